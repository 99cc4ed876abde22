// The cockpit (administrators and auditors): every instance, found by process, version,
// status, year started and who started it, with the count in each status; each one links
// to its page with the incidents, the actions and the audit trail.
import * as engine from '../api/engine.js';
import { useApp } from '../components/AppContext.js';
import { Message } from '../components/Banner.jsx';
import { InstanceTable } from '../components/InstanceTable.jsx';
import { QueryPager } from '../components/Pager.jsx';
import { useResource } from '../components/useResource.js';
import { number, t } from '../i18n/index.js';
import { setQuery } from '../router.jsx';

const PAGE = 25;
export const STATUSES = ['running', 'suspended', 'error', 'completed', 'terminated'];

function Filter({ id, label, children }) {
  return <div class="field"><label for={id}>{label}</label>{children}</div>;
}

export default function CockpitPage({ query }) {
  const app = useApp();
  const filters = {
    definition_key: query.get('process') || '',
    version: query.get('version') || '',
    status: query.get('status') || '',
    year: query.get('year') || '',
    started_by: query.get('by') || '',
  };
  const offset = Math.max(0, Number(query.get('offset')) || 0);
  const page = useResource(() => engine.searchInstances({
    ...filters, version: filters.definition_key ? filters.version : '', limit: PAGE, offset,
  }), [JSON.stringify(filters), offset], { poll: 30_000 });
  const change = (name) => (event) => setQuery({ [name]: event.currentTarget.value.trim(), offset: null });
  const counts = page.data?.counts;
  const all = counts ? Object.values(counts).reduce((a, b) => a + b, 0) : 0;

  return (
    <section>
      <h1>{t('cockpit.title')}</h1>
      <p class="muted">{t('cockpit.intro')}</p>
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <Filter id="f-process" label={t('inbox.process')}>
          <select id="f-process" value={filters.definition_key} onChange={(event) => setQuery({ process: event.currentTarget.value, version: null, offset: null })}>
            <option value="">{t('inbox.anyProcess')}</option>
            {Object.entries(app.definitions).map(([key, name]) => <option key={key} value={key}>{name}</option>)}
          </select>
        </Filter>
        {filters.definition_key && (
          <Filter id="f-version" label={t('cockpit.version')}>
            <input id="f-version" type="number" min="1" inputMode="numeric" value={filters.version} onChange={change('version')} />
          </Filter>
        )}
        <Filter id="f-status" label={t('instances.status')}>
          <select id="f-status" value={filters.status} onChange={change('status')}>
            <option value="">{t('instances.anyStatus')}</option>
            {STATUSES.map((s) => <option key={s} value={s}>{t(`status.${s}`)}</option>)}
          </select>
        </Filter>
        <Filter id="f-year" label={t('cockpit.year')}>
          <input id="f-year" type="number" min="1900" max="2200" inputMode="numeric" value={filters.year} onChange={change('year')} />
        </Filter>
        <Filter id="f-by" label={t('instances.startedBy')}>
          <input id="f-by" type="text" value={filters.started_by} onChange={(event) => setQuery({ by: event.currentTarget.value.trim(), offset: null })} />
        </Filter>
      </form>
      {counts && (
        <ul class="counts" aria-label={t('cockpit.counts')}>
          <li><button type="button" class="button button-small" aria-pressed={filters.status === ''} onClick={() => setQuery({ status: null, offset: null })}>
            {t('cockpit.countAll', { count: number(all) })}</button></li>
          {STATUSES.map((s) => (
            <li key={s}><button type="button" class="button button-small" data-status={s} aria-pressed={filters.status === s}
              onClick={() => setQuery({ status: s, offset: null })}>{t(`status.${s}`)}: {number(counts[s] || 0)}</button></li>
          ))}
        </ul>
      )}
      {page.error && <Message kind="error">{t('error.generic', { detail: page.error.message })}</Message>}
      <InstanceTable page={page} hrefOf={(instance) => `/cockpit/instances/${instance.id}`} cockpit />
      <QueryPager data={page.data} offset={offset} limit={PAGE} />
    </section>
  );
}
