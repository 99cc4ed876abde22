// An administrator's repairs of one instance: the incident (status `error`) with its message
// and a retry (optionally with corrected data), and suspend, resume, terminate. Each asks
// for a reason, which the engine keeps in the instance's history.
import { useState } from 'preact/hooks';
import { ApiError } from '../api/client.js';
import * as engine from '../api/engine.js';
import { Message } from '../components/Banner.jsx';
import { t } from '../i18n/index.js';

// status -> the changes an administrator may ask for from it
const CHANGES = {
  running: ['suspended', 'terminated'],
  suspended: ['running', 'terminated'],
  error: ['terminated'],
};

function parsedData(text) {
  if (!text.trim()) return {};
  const value = JSON.parse(text);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new SyntaxError(t('cockpit.dataObject'));
  return value;
}

export function InstanceActions({ instance, isAdmin, onChanged }) {
  const [reason, setReason] = useState('');
  const [data, setData] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState(null); // {kind, text}
  const changes = CHANGES[instance.status] || [];

  const act = async (run, done) => {
    if (!reason.trim()) {
      setOutcome({ kind: 'error', text: t('cockpit.reasonNeeded') });
      return;
    }
    setBusy(true);
    setOutcome(null);
    try {
      const after = await run();
      setOutcome(after.status === 'error'
        ? { kind: 'error', text: t('cockpit.retryFailedAgain', { message: after.error }) }
        : { kind: 'success', text: t(done, { status: t(`status.${after.status}`) }) });
      setReason('');
      onChanged();
    } catch (error) {
      const text = error instanceof SyntaxError ? t('cockpit.dataInvalid', { detail: error.message })
        : error instanceof ApiError && error.status === 409 ? t('error.conflict', { detail: error.message })
          : t('error.generic', { detail: error.message });
      setOutcome({ kind: 'error', text });
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      {instance.status === 'error' && (
        <section class="panel" aria-labelledby="incident-title" data-testid="incident">
          <h2 id="incident-title">{t('cockpit.incident')}</h2>
          <Message kind="error">{t('instance.error', { message: instance.error })}</Message>
          {isAdmin && (
            <div class="field">
              <label for="retry-data">{t('cockpit.retryData')}</label>
              <textarea id="retry-data" class="code" rows={3} value={data} placeholder='{"parts": 4}'
                onInput={(event) => setData(event.currentTarget.value)} aria-describedby="retry-data-help" />
              <span id="retry-data-help" class="muted small">{t('cockpit.retryDataHelp')}</span>
            </div>
          )}
        </section>
      )}
      {isAdmin && (changes.length > 0 || instance.status === 'error') && (
        <section class="panel" aria-labelledby="actions-title">
          <h2 id="actions-title">{t('cockpit.actions')}</h2>
          <div class="field">
            <label for="action-reason">{t('cockpit.reason')}</label>
            <input id="action-reason" type="text" value={reason} maxLength={500} onInput={(event) => setReason(event.currentTarget.value)} />
          </div>
          <div class="actions-row">
            {instance.status === 'error' && (
              <button type="button" class="button" disabled={busy}
                onClick={() => act(() => engine.retry(instance.id, parsedData(data), reason.trim()), 'cockpit.done')}>{t('cockpit.retry')}</button>
            )}
            {changes.map((status) => (
              <button key={status} type="button" class={`button${status === 'terminated' ? ' button-danger' : ''}`} disabled={busy}
                onClick={() => act(() => engine.changeStatus(instance.id, status, reason.trim()), 'cockpit.done')}>{t(`cockpit.to.${status}`)}</button>
            ))}
          </div>
        </section>
      )}
      {outcome && <Message kind={outcome.kind}>{outcome.text}</Message>}
    </>
  );
}
