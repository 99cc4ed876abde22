// The process instances the user may follow, newest first, each linking to where it stands.
import * as engine from '../api/engine.js';
import { useApp } from '../components/AppContext.js';
import { Message } from '../components/Banner.jsx';
import { InstanceTable } from '../components/InstanceTable.jsx';
import { QueryPager } from '../components/Pager.jsx';
import { useResource } from '../components/useResource.js';
import { t } from '../i18n/index.js';
import { setQuery } from '../router.jsx';

const PAGE = 25;
const STATUSES = ['running', 'completed', 'suspended', 'terminated', 'error'];

export default function InstancesPage({ query }) {
  const app = useApp();
  const status = query.get('status') || '';
  const process = query.get('process') || '';
  const offset = Math.max(0, Number(query.get('offset')) || 0);
  const page = useResource(() => engine.instances({ status, definition_key: process, limit: PAGE, offset }),
    [status, process, offset], { poll: 30_000 });
  const startable = new Set(app.startable.map((p) => p.definition.key));
  const processes = Object.entries(app.definitions).filter(([key]) => startable.has(key) || key === process);
  return (
    <section>
      <h1>{t('instances.title')}</h1>
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <div class="field">
          <label for="status">{t('instances.status')}</label>
          <select id="status" value={status} onChange={(event) => setQuery({ status: event.currentTarget.value, offset: null })}>
            <option value="">{t('instances.anyStatus')}</option>
            {STATUSES.map((s) => <option key={s} value={s}>{t(`status.${s}`)}</option>)}
          </select>
        </div>
        {processes.length > 1 && (
          <div class="field">
            <label for="process">{t('inbox.process')}</label>
            <select id="process" value={process} onChange={(event) => setQuery({ process: event.currentTarget.value, offset: null })}>
              <option value="">{t('inbox.anyProcess')}</option>
              {processes.map(([key, name]) => <option key={key} value={key}>{name}</option>)}
            </select>
          </div>
        )}
      </form>
      {page.error && !page.data && <Message kind="error">{t('error.generic', { detail: page.error.message })}</Message>}
      <InstanceTable page={page} hrefOf={(instance) => `/instances/${instance.id}`} />
      <QueryPager data={page.data} offset={offset} limit={PAGE} />
    </section>
  );
}
