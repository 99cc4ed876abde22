// The notification outbox (admin): messages waiting, delivered and failed, with the counts;
// a failed one is sent again (a fresh round of attempts).
import { useState } from 'preact/hooks';
import * as engine from '../api/engine.js';
import { Message } from '../components/Banner.jsx';
import { QueryPager } from '../components/Pager.jsx';
import { useResource } from '../components/useResource.js';
import { AdminTabs, attempt } from '../cockpit/AdminTabs.jsx';
import { dateTime, number, t } from '../i18n/index.js';
import { Link, setQuery } from '../router.jsx';

const PAGE = 50;
const STATES = ['pending', 'failed', 'delivered'];

export default function OutboxPage({ query }) {
  const state = query.get('state') || '';
  const offset = Math.max(0, Number(query.get('offset')) || 0);
  const page = useResource(() => engine.outbox({ state, limit: PAGE, offset }), [state, offset], { poll: 30_000 });
  const [outcome, setOutcome] = useState(null);
  const counts = page.data?.counts;
  return (
    <section>
      <h1>{t('admin.outbox')}</h1>
      <AdminTabs active="outbox" />
      {counts && (
        <ul class="counts" aria-label={t('outbox.counts')}>
          <li><button type="button" class="button button-small" aria-pressed={!state} onClick={() => setQuery({ state: null, offset: null })}>
            {t('cockpit.countAll', { count: number(Object.values(counts).reduce((a, b) => a + b, 0)) })}</button></li>
          {STATES.map((s) => (
            <li key={s}><button type="button" class="button button-small" data-state={s} aria-pressed={state === s}
              onClick={() => setQuery({ state: s, offset: null })}>{t(`outbox.state.${s}`)}: {number(counts[s] || 0)}</button></li>
          ))}
        </ul>
      )}
      {outcome && <Message kind={outcome.kind}>{outcome.text}</Message>}
      {page.error && <Message kind="error">{t('error.generic', { detail: page.error.message })}</Message>}
      {page.data && page.data.items.length === 0 && <p class="empty">{t('outbox.empty')}</p>}
      {page.data && page.data.items.length > 0 && (
        <table class="records">
          <thead><tr>
            <th scope="col">{t('outbox.created')}</th><th scope="col">{t('outbox.to')}</th><th scope="col">{t('outbox.subject')}</th>
            <th scope="col">{t('outbox.stateCol')}</th><th scope="col">{t('col.actions')}</th>
          </tr></thead>
          <tbody>
            {page.data.items.map((m) => (
              <tr key={m.id} data-message-id={m.id}>
                <td data-label={t('outbox.created')}>{dateTime(m.created_at)}</td>
                <td data-label={t('outbox.to')}>{m.recipient}<div class="muted small">{m.channel}{m.username ? ` · ${m.username}` : ''}</div></td>
                <td data-label={t('outbox.subject')}>
                  {m.subject}
                  {m.process_instance_id && <div class="small"><Link href={`/cockpit/instances/${m.process_instance_id}`}>{t('outbox.instance')}</Link></div>}
                </td>
                <td data-label={t('outbox.stateCol')}>
                  {t(`outbox.state.${m.state}`)} · {t('outbox.attempts', { count: m.attempts })}
                  {m.last_error && <div class="small error-text">{m.last_error}</div>}
                </td>
                <td data-label={t('col.actions')}>
                  {m.state === 'failed' && (
                    <button type="button" class="button button-small"
                      onClick={() => attempt(async () => { await engine.retryOutboxMessage(m.id); page.reload(); }, setOutcome, t('outbox.requeued'))}>
                      {t('outbox.retry')}</button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <QueryPager data={page.data} offset={offset} limit={PAGE} />
    </section>
  );
}
