// A button whose action is asked once more before it runs: the first press shows the
// question with "yes" and "cancel" in place (no browser dialog, so it reads like the page).
import { useState } from 'preact/hooks';
import { t } from '../i18n/index.js';

export function ConfirmButton({ label, question, confirmLabel, onConfirm, disabled, quiet }) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" class={`button button-small${quiet ? ' button-quiet' : ''}`} disabled={disabled}
        onClick={() => setAsking(true)}>{label}</button>
    );
  }
  return (
    <span class="confirm" role="group" aria-label={question}>
      <span>{question}</span>{' '}
      <button type="button" class="button button-small" disabled={disabled}
        onClick={() => { setAsking(false); onConfirm(); }}>{confirmLabel}</button>{' '}
      <button type="button" class="button button-small button-quiet" onClick={() => setAsking(false)}>{t('confirm.cancel')}</button>
    </span>
  );
}
