// The user's account: who they are, their roles (queues), and changing their own password
// (the answer carries a new token; the older ones end).
import { useState } from 'preact/hooks';
import { ApiError, currentSession, setSession } from '../api/client.js';
import * as engine from '../api/engine.js';
import { useApp } from '../components/AppContext.js';
import { Message } from '../components/Banner.jsx';
import { roleLabel } from '../components/labels.js';
import { t } from '../i18n/index.js';

const MIN_LENGTH = 8;

export default function AccountPage() {
  const app = useApp();
  const [fields, setFields] = useState({ current: '', next: '', repeat: '' });
  const [message, setMessage] = useState(null);
  const [busy, setBusy] = useState(false);
  const field = (name) => ({ value: fields[name], onInput: (event) => setFields({ ...fields, [name]: event.currentTarget.value }) });

  const submit = async (event) => {
    event.preventDefault();
    if (fields.next !== fields.repeat) {
      setMessage({ kind: 'error', text: t('account.mismatch') });
      return;
    }
    setBusy(true);
    setMessage(null);
    try {
      const answer = await engine.changePassword(fields.current, fields.next);
      setSession({ ...currentSession(), token: answer.access_token, expiresAt: Date.now() + answer.expires_in * 1000 });
      setFields({ current: '', next: '', repeat: '' });
      setMessage({ kind: 'success', text: t('account.changed') });
    } catch (failure) {
      if (failure instanceof ApiError) {
        const detail = Object.values(failure.fieldErrors).flat().join(' ') || failure.message;
        setMessage({ kind: 'error', text: t('error.generic', { detail }) });
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <h1>{t('account.title')}</h1>
      <dl class="facts">
        <div class="fact"><dt>{t('signIn.username')}</dt><dd>{app.user.username}{app.user.full_name ? ` — ${app.user.full_name}` : ''}</dd></div>
        <div class="fact"><dt>{t('account.roles')}</dt><dd>{app.user.roles.map((role) => roleLabel(role, app.units)).join(', ')}</dd></div>
      </dl>
      <section class="panel" aria-labelledby="password-title">
        <h2 id="password-title">{t('account.changePassword')}</h2>
        {message && <Message kind={message.kind}>{message.text}</Message>}
        <form class="stack narrow" onSubmit={submit}>
          <div class="field">
            <label for="current-password">{t('account.current')}</label>
            <input id="current-password" type="password" autoComplete="current-password" required {...field('current')} />
          </div>
          <div class="field">
            <label for="new-password">{t('account.new')}</label>
            <input id="new-password" type="password" autoComplete="new-password" required minLength={MIN_LENGTH}
              aria-describedby="new-password-hint" {...field('next')} />
            <span id="new-password-hint" class="muted small">{t('account.minLength')}</span>
          </div>
          <div class="field">
            <label for="repeat-password">{t('account.repeat')}</label>
            <input id="repeat-password" type="password" autoComplete="new-password" required minLength={MIN_LENGTH} {...field('repeat')} />
          </div>
          <button type="submit" class="button button-primary" disabled={busy}>{t('account.submit')}</button>
        </form>
      </section>
    </section>
  );
}
