// Completed tasks across instances (auditors, admins): by role, by who completed them and
// by period (Jakarta days), oldest completion first, each with its instance's audit trail.
import * as engine from '../api/engine.js';
import { useApp } from '../components/AppContext.js';
import { Message } from '../components/Banner.jsx';
import { allRoles, processLabel, roleLabel } from '../components/labels.js';
import { QueryPager } from '../components/Pager.jsx';
import { useResource } from '../components/useResource.js';
import { dateTime, t } from '../i18n/index.js';
import { Link, setQuery } from '../router.jsx';

const PAGE = 50;
const day = (date, next = false) => {
  if (!date) return '';
  const moment = new Date(`${date}T00:00:00+07:00`);
  if (next) moment.setUTCDate(moment.getUTCDate() + 1);
  return moment.toISOString();
};

export default function CompletedTasksPage({ query }) {
  const app = useApp();
  const role = query.get('role') || '';
  const user = query.get('user') || '';
  const from = query.get('from') || '';
  const to = query.get('to') || '';
  const offset = Math.max(0, Number(query.get('offset')) || 0);
  const page = useResource(() => engine.completedTasks({ role, user, from: day(from), to: day(to, true), limit: PAGE, offset }),
    [role, user, from, to, offset]);
  const set = (name) => (event) => setQuery({ [name]: event.currentTarget.value.trim(), offset: null });
  return (
    <section>
      <h1>{t('done.title')}</h1>
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <div class="field"><label for="done-role">{t('users.roles')}</label>
          <select id="done-role" value={role} onChange={set('role')}>
            <option value="">{t('done.anyRole')}</option>
            {allRoles(app.unitList).map((r) => <option key={r} value={r}>{roleLabel(r, app.units)}</option>)}
          </select></div>
        <div class="field"><label for="done-user">{t('done.by')}</label><input id="done-user" value={user} onChange={set('user')} /></div>
        <div class="field"><label for="done-from">{t('done.from')}</label><input id="done-from" type="date" value={from} onChange={set('from')} /></div>
        <div class="field"><label for="done-to">{t('done.to')}</label><input id="done-to" type="date" value={to} onChange={set('to')} /></div>
      </form>
      {page.error && <Message kind="error">{t('error.generic', { detail: page.error.message })}</Message>}
      {page.data && page.data.items.length === 0 && <p class="empty">{t('done.empty')}</p>}
      {page.data && page.data.items.length > 0 && (
        <table class="records">
          <thead><tr>
            <th scope="col">{t('col.task')}</th><th scope="col">{t('inbox.process')}</th><th scope="col">{t('task.queue')}</th>
            <th scope="col">{t('done.by')}</th><th scope="col">{t('done.at')}</th><th scope="col">{t('col.due')}</th>
          </tr></thead>
          <tbody>
            {page.data.items.map((task) => (
              <tr key={task.id} data-task-id={task.id}>
                <td data-label={t('col.task')}>{task.name}{task.subject && <div class="muted small">{task.subject}</div>}</td>
                <td data-label={t('inbox.process')}><Link href={`/cockpit/instances/${task.process_instance_id}`}>{processLabel(task.definition_key, app.definitions)}</Link></td>
                <td data-label={t('task.queue')}>{roleLabel(task.role, app.units)}</td>
                <td data-label={t('done.by')}>{task.completed_by}</td>
                <td data-label={t('done.at')}>{dateTime(task.completed_at)}</td>
                <td data-label={t('col.due')}>{task.due_at ? dateTime(task.due_at) : '—'}
                  {task.due_at && new Date(task.completed_at) > new Date(task.due_at) && <span class="badge badge-status-error"> {t('sla.late')}</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <QueryPager data={page.data} offset={offset} limit={PAGE} />
    </section>
  );
}
