// The running (and suspended) instances of one version moved to another: first the plan,
// instance by instance (would it move, and if not why), then the move itself.
import { useState } from 'preact/hooks';
import * as engine from '../api/engine.js';
import { Message } from '../components/Banner.jsx';
import { t } from '../i18n/index.js';
import { Link } from '../router.jsx';

export function VersionMove({ definitionKey, from, to }) {
  const [plan, setPlan] = useState(null); // the answer's items, dry run or done
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  const run = async (dryRun) => {
    setBusy(true);
    setFailure(null);
    try {
      setPlan((await engine.moveVersion(definitionKey, from, to, dryRun)).items);
    } catch (error) {
      setFailure(error.message);
    } finally {
      setBusy(false);
    }
  };
  const done = plan && plan.length > 0 && !plan[0].dry_run;
  return (
    <section class="panel" aria-labelledby="move-title">
      <h2 id="move-title">{t('move.title', { from, to })}</h2>
      <p class="muted small">{t('move.help')}</p>
      <div class="actions-row">
        <button type="button" class="button" disabled={busy || from === to} onClick={() => run(true)}>{t('move.plan')}</button>
        {plan && !done && plan.some((item) => item.allowed) && (
          <button type="button" class="button button-danger" disabled={busy} onClick={() => run(false)}>{t('move.apply')}</button>
        )}
      </div>
      {failure && <Message kind="error">{t('error.generic', { detail: failure })}</Message>}
      {plan && plan.length === 0 && <p class="empty">{t('move.none', { version: from })}</p>}
      {plan && plan.length > 0 && (
        <table class="records" data-testid="move-plan">
          <thead><tr><th scope="col">{t('move.instance')}</th><th scope="col">{t('move.outcome')}</th></tr></thead>
          <tbody>
            {plan.map((item) => (
              <tr key={item.process_instance_id} data-instance-id={item.process_instance_id}>
                <td data-label={t('move.instance')}><Link href={`/cockpit/instances/${item.process_instance_id}`}>{item.process_instance_id.slice(0, 8)}</Link></td>
                <td data-label={t('move.outcome')}>
                  {item.allowed ? t(item.dry_run ? 'move.would' : 'move.moved', { version: item.to_version }) : t('move.refused')}
                  {item.reasons.length > 0 && <ul class="small">{item.reasons.map((r, i) => <li key={i}>{r}</li>)}</ul>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
