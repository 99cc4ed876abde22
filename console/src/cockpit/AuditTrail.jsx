// An instance's audit trail for auditors: every event of its hash chain in plain words (who,
// what, when, the data entered, the documents' fingerprints), the chain's check, the replay
// with its verdict, and the audit bundle to verify offline (`lkj audit verify`).
import { useState } from 'preact/hooks';
import * as engine from '../api/engine.js';
import { Message } from '../components/Banner.jsx';
import { useResource } from '../components/useResource.js';
import { dateTime, isoAttribute, number, t } from '../i18n/index.js';
import { timelineSentence } from '../pages/InstancePage.jsx';

const short = (hash) => (hash ? `${hash.slice(0, 12)}…` : '');

function Entered({ event }) {
  const payload = event.payload || {};
  if (event.type === 'document_uploaded') {
    return <span>{payload.filename} · <span class="hash" title={payload.sha256}>SHA-256 {payload.sha256}</span></span>;
  }
  const data = payload.data ?? payload.variables;
  if (data && Object.keys(data).length) return <pre>{JSON.stringify(data, null, 1)}</pre>;
  if (payload.reason) return <span>{t('cockpit.reasonShown', { reason: payload.reason })}</span>;
  return null;
}

function ChainVerdict({ chain }) {
  if (chain.intact) {
    return <p class="verdict verdict-ok" data-testid="chain-verdict">{t('audit.chainIntact', { count: number(chain.events) })} <span class="hash">{chain.head_hash}</span></p>;
  }
  return <p class="verdict verdict-bad" data-testid="chain-verdict">{t('audit.chainBroken', { seq: chain.broken_at, problem: chain.problem })}</p>;
}

function ReplayVerdict({ report }) {
  if (report.consistent) {
    return <p class="verdict verdict-ok" role="status" data-testid="replay-verdict">{t('audit.replayConsistent', { count: number(report.events_replayed) })}</p>;
  }
  const where = report.divergence;
  return (
    <p class="verdict verdict-bad" role="status" data-testid="replay-verdict">
      {t('audit.replayDiverges', { seq: where?.seq ?? '—', what: where?.what || '' })}
    </p>
  );
}

export function AuditTrail({ instanceId, units, onDivergence }) {
  const trail = useResource(async () => {
    const [history, timeline, chain] = await Promise.all([
      engine.instanceHistory(instanceId, { limit: 10000 }), engine.instanceTimeline(instanceId), engine.instanceChain(instanceId)]);
    const told = Object.fromEntries(timeline.items.map((entry) => [entry.seq, entry]));
    return { events: history.events, told, chain };
  }, [instanceId]);
  const [replay, setReplay] = useState(null);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState(null);

  const runReplay = async () => {
    setBusy(true);
    setFailure(null);
    try {
      const report = await engine.replay(instanceId);
      setReplay(report);
      const event = trail.data?.events.find((e) => e.seq === report.divergence?.seq);
      onDivergence?.(report.consistent ? null : { ...report.divergence, element_id: event?.element_id || null });
    } catch (error) {
      setFailure(error.message);
    } finally {
      setBusy(false);
    }
  };
  const download = () => engine.auditBundle(instanceId).catch((error) => setFailure(error.message));

  return (
    <section class="panel" aria-labelledby="audit-title">
      <h2 id="audit-title">{t('audit.title')}</h2>
      {trail.error && <Message kind="error">{t('error.generic', { detail: trail.error.message })}</Message>}
      {trail.data && <ChainVerdict chain={trail.data.chain} />}
      <div class="actions-row">
        <button type="button" class="button" disabled={busy} onClick={runReplay}>{t('audit.replay')}</button>
        <button type="button" class="button button-quiet" onClick={download}>{t('audit.bundle')}</button>
      </div>
      {replay && <ReplayVerdict report={replay} />}
      {failure && <Message kind="error">{t('error.generic', { detail: failure })}</Message>}
      {!trail.data && !trail.error && <p aria-busy="true">{t('app.loading')}</p>}
      {trail.data && (
        <table class="records audit-events">
          <thead><tr>
            <th scope="col">#</th><th scope="col">{t('audit.when')}</th><th scope="col">{t('audit.who')}</th>
            <th scope="col">{t('audit.what')}</th><th scope="col">{t('audit.entered')}</th><th scope="col">{t('audit.hash')}</th>
          </tr></thead>
          <tbody>
            {trail.data.events.map((event) => {
              const told = trail.data.told[event.seq];
              const broken = trail.data.chain.broken_at === event.seq;
              return (
                <tr key={event.seq} data-seq={event.seq} class={broken || replay?.divergence?.seq === event.seq ? 'is-overdue' : ''}>
                  <td data-label="#">{event.seq}</td>
                  <td data-label={t('audit.when')}><time datetime={isoAttribute(event.occurred_at)}>{dateTime(event.occurred_at)}</time></td>
                  <td data-label={t('audit.who')}>{event.actor === 'system' ? t('history.system') : event.actor}</td>
                  <td data-label={t('audit.what')}>{told ? timelineSentence(told, units) : event.type}</td>
                  <td data-label={t('audit.entered')}><Entered event={event} /></td>
                  <td data-label={t('audit.hash')}><span class="hash" title={event.hash}>{short(event.hash)}</span></td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
