// The inbox: my claimed tasks, then one queue per role I hold (admins and auditors: every
// task), each searchable, filterable by process and by overdue, sortable and paged by the
// server (fast on queues of thousands). Tasks are claimed and released in place, and the
// list refreshes itself, saying when new tasks came.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api/client.js';
import * as engine from '../api/engine.js';
import { useApp } from '../components/AppContext.js';
import { Message } from '../components/Banner.jsx';
import { roleLabel } from '../components/labels.js';
import { Pager } from '../components/Pager.jsx';
import { TaskTable } from '../components/TaskTable.jsx';
import { useResource } from '../components/useResource.js';
import { number, t, timeOnly } from '../i18n/index.js';
import { setQuery } from '../router.jsx';

const PAGE = 25;
const POLL_MS = 10_000;
const EVERYTHING = new Set(['admin', 'auditor']); // they see every task

/** My claimed tasks; every task for those who see all; then a queue per role. */
function queueTabs(user, units) {
  const tabs = [{ id: 'mine', label: t('inbox.mine') }];
  if (user.roles.some((role) => EVERYTHING.has(role))) tabs.push({ id: 'all', label: t('inbox.all') });
  for (const role of user.roles.filter((r) => !EVERYTHING.has(r))) {
    tabs.push({ id: `role:${role}`, label: roleLabel(role, units) });
  }
  return tabs;
}

function tabQuery(tab) {
  if (tab === 'mine') return { assignee: 'me', state: 'claimed' };
  if (tab.startsWith('role:')) return { role: tab.slice(5) };
  return {}; // all
}

export default function InboxPage({ query }) {
  const app = useApp();
  const tabs = queueTabs(app.user, app.units);
  const tab = tabs.some((candidate) => candidate.id === query.get('tab')) ? query.get('tab') : tabs[0].id;
  const search = query.get('q') || '';
  const process = query.get('process') || '';
  const overdue = query.get('overdue') === '1';
  const sort = query.get('sort') || 'due_at';
  const offset = Math.max(0, Number(query.get('offset')) || 0);
  const [typed, setTyped] = useState(search);
  const [notice, setNotice] = useState(null);
  const [busy, setBusy] = useState({});
  const [updatedAt, setUpdatedAt] = useState(null);
  const seen = useRef(null);

  useEffect(() => setTyped(search), [search]);
  useEffect(() => { // search as one types, once the typing pauses
    if (typed === search) return undefined;
    const timer = setTimeout(() => setQuery({ q: typed.trim(), offset: null }), 300);
    return () => clearTimeout(timer);
  }, [typed]);
  useEffect(() => { seen.current = null; }, [tab, search, process, overdue, sort, offset]);

  const page = useResource(async () => {
    const answer = await engine.tasks({
      ...tabQuery(tab), definition_key: process, search,
      due_before: overdue ? new Date().toISOString() : undefined, sort, limit: PAGE, offset,
    });
    const ids = new Set(answer.items.map((task) => task.id));
    if (seen.current) {
      const fresh = [...ids].filter((id) => !seen.current.has(id)).length;
      if (fresh) setNotice(t('inbox.newTasks', { count: fresh }));
    }
    seen.current = ids;
    setUpdatedAt(new Date());
    return answer;
  }, [tab, search, process, overdue, sort, offset], { poll: POLL_MS });

  const act = async (task, action, done) => {
    setBusy((before) => ({ ...before, [task.id]: true }));
    try {
      const changed = await action(task.id);
      page.setData((before) => ({ ...before, items: before.items.map((row) => (row.id === task.id ? changed : row)) }));
      setNotice(done);
    } catch (failure) {
      if (failure instanceof ApiError) setNotice(t('error.conflict', { detail: failure.message }));
      page.reload({ quiet: true });
    } finally {
      setBusy((before) => ({ ...before, [task.id]: false }));
    }
  };

  const processes = Object.entries(app.definitions).sort((a, b) => a[1].localeCompare(b[1]));
  const data = page.data;
  return (
    <section>
      <div class="page-head">
        <h1>{t('inbox.title')}</h1>
        {updatedAt && <span class="muted small" aria-live="off">{t('inbox.updated', { time: timeOnly(updatedAt) })}</span>}
      </div>
      <div class="tabs" role="tablist" aria-label={t('inbox.tabs')}>
        {tabs.map((candidate) => (
          <button type="button" role="tab" key={candidate.id} id={`tab-${candidate.id}`} aria-selected={candidate.id === tab}
            aria-controls="queue" class="tab" onClick={() => setQuery({ tab: candidate.id === tabs[0].id ? null : candidate.id, offset: null })}>
            {candidate.label}
          </button>
        ))}
      </div>
      <div id="queue" role="tabpanel" aria-labelledby={`tab-${tab}`}>
        <form class="filters" role="search" onSubmit={(event) => { event.preventDefault(); setQuery({ q: typed.trim(), offset: null }); }}>
          <div class="field field-grow">
            <label for="search">{t('inbox.search')}</label>
            <input id="search" type="search" value={typed} placeholder={t('inbox.searchHint')} maxLength={100}
              onInput={(event) => setTyped(event.currentTarget.value)} />
          </div>
          <div class="field">
            <label for="process">{t('inbox.process')}</label>
            <select id="process" value={process} onChange={(event) => setQuery({ process: event.currentTarget.value, offset: null })}>
              <option value="">{t('inbox.anyProcess')}</option>
              {processes.map(([key, name]) => <option key={key} value={key}>{name}</option>)}
            </select>
          </div>
          <label class="check">
            <input type="checkbox" checked={overdue} onChange={(event) => setQuery({ overdue: event.currentTarget.checked ? '1' : null, offset: null })} />
            {t('inbox.overdueOnly')}
          </label>
        </form>
        <div aria-live="polite" class="live">{notice && <Message kind="info" onDismiss={() => setNotice(null)}>{notice}</Message>}</div>
        {page.error && !data && <Message kind="error">{t('error.generic', { detail: page.error.message })}</Message>}
        {!data && !page.error && <p aria-busy="true">{t('app.loading')}</p>}
        {data && (
          <>
            <p class="muted small">{data.total_exact ? t('inbox.count', { count: number(data.total) }) : t('inbox.countMore', { count: number(data.total) })}</p>
            {data.items.length === 0
              ? <p class="empty">{tab === 'mine' && !search && !process && !overdue ? t('inbox.emptyMine') : t('inbox.empty')}</p>
              : (
                <TaskTable tasks={data.items} sort={sort} caption={tabs.find((c) => c.id === tab).label}
                  onSort={(next) => setQuery({ sort: next === 'due_at' ? null : next, offset: null })}
                  busy={busy}
                  onClaim={(task) => act(task, engine.claim, t('task.claimed'))}
                  onUnclaim={(task) => act(task, engine.unclaim, t('task.unclaimedDone'))} />
              )}
            <Pager offset={offset} limit={PAGE} total={data.total} exact={data.total_exact} shown={data.items.length}
              onPage={(next) => setQuery({ offset: next || null })} />
          </>
        )}
      </div>
    </section>
  );
}
