// Tasks as a table (as cards on a phone): what the task is and what it is about, its process
// and phase, when it came, when it is due (overdue ones marked), who holds it, and what the
// user can do with it right there.
import { dateTime, isoAttribute, t } from '../i18n/index.js';
import { Link } from '../router.jsx';
import { useApp } from './AppContext.js';
import { processLabel, roleLabel, userLabel } from './labels.js';
import { holdsQueue } from './queues.js';

export const SORTABLE = { name: 'name', created: 'created_at', due: 'due_at' };

export function Due({ task }) {
  if (!task.due_at) return <span class="muted">{t('task.noDue')}</span>;
  return (
    <span class={task.overdue ? 'due overdue' : 'due'}>
      <time datetime={isoAttribute(task.due_at)}>{dateTime(task.due_at)}</time>
      {task.overdue && <span class="badge badge-danger">{t('task.overdue')}</span>}
    </span>
  );
}

export function TaskTitle({ task, link = true }) {
  return (
    <>
      {link ? <Link href={`/tasks/${task.id}`} class="task-name">{task.name}</Link> : <span class="task-name">{task.name}</span>}
      {task.subject && <span class="task-subject">{task.subject}</span>}
    </>
  );
}

function SortHeader({ column, label, sort, onSort }) {
  const key = SORTABLE[column];
  const state = sort === key ? 'ascending' : sort === `-${key}` ? 'descending' : 'none';
  const next = state === 'ascending' && key !== 'name' ? `-${key}` : key;
  return (
    <th scope="col" aria-sort={state}>
      <button type="button" class="sort" onClick={() => onSort(next)} title={t('col.sortBy', { column: label })}>
        {label}<span aria-hidden="true" class="sort-mark">{state === 'ascending' ? '▲' : state === 'descending' ? '▼' : '↕'}</span>
      </button>
    </th>
  );
}

export function TaskTable({ tasks, sort, onSort, onClaim, onUnclaim, busy = {}, caption }) {
  const app = useApp();
  const mine = (task) => task.state === 'claimed' && task.assignee === app.user.username;
  const mayClaim = (task) => task.state === 'ready' && holdsQueue(app.user, task);
  return (
    <table class="tasks">
      {caption && <caption class="visually-hidden">{caption}</caption>}
      <thead>
        <tr>
          <SortHeader column="name" label={t('col.task')} sort={sort} onSort={onSort} />
          <th scope="col">{t('col.process')}</th>
          <SortHeader column="created" label={t('col.created')} sort={sort} onSort={onSort} />
          <SortHeader column="due" label={t('col.due')} sort={sort} onSort={onSort} />
          <th scope="col">{t('col.assignee')}</th>
          <th scope="col"><span class="visually-hidden">{t('col.actions')}</span></th>
        </tr>
      </thead>
      <tbody>
        {tasks.map((task) => (
          <tr key={task.id} class={task.overdue ? 'is-overdue' : ''} data-task-id={task.id}>
            <td data-label={t('col.task')}><TaskTitle task={task} /></td>
            <td data-label={t('col.process')}>
              <span>{processLabel(task.definition_key, app.definitions)}</span>
              {task.phase && <span class="task-phase">{task.phase}</span>}
              <span class="task-queue">{t('task.queue')}: {roleLabel(task.role, app.units)}</span>
            </td>
            <td data-label={t('col.created')}><time datetime={isoAttribute(task.created_at)}>{dateTime(task.created_at)}</time></td>
            <td data-label={t('col.due')}><Due task={task} /></td>
            <td data-label={t('col.assignee')}>{userLabel(task.assignee, app.user)}</td>
            <td class="actions">
              {mayClaim(task) && onClaim && (
                <button type="button" class="button button-small button-primary" disabled={busy[task.id]}
                  onClick={() => onClaim(task)} aria-label={`${t('task.claim')}: ${task.name}${task.subject ? ` — ${task.subject}` : ''}`}>{t('task.claim')}</button>
              )}
              {mine(task) && <Link class="button button-small button-primary" href={`/tasks/${task.id}`}>{t('task.work')}</Link>}
              {mine(task) && onUnclaim && (
                <button type="button" class="button button-small" disabled={busy[task.id]}
                  onClick={() => onUnclaim(task)} aria-label={`${t('task.unclaim')}: ${task.name}`}>{t('task.unclaim')}</button>
              )}
              {!mine(task) && !(mayClaim(task) && onClaim) && <Link class="button button-small" href={`/tasks/${task.id}`}>{t('task.open')}</Link>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
