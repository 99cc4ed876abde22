// An administrator gives an open task of the instance to someone else when its holder is
// away: to an active user who holds one of the task's queues (anyone, for a task that was
// one user's alone: it moves to the new user's queue). The server decides; the list only
// offers the users it would accept.
import { useState } from 'preact/hooks';
import * as engine from '../api/engine.js';
import { Message } from '../components/Banner.jsx';
import { roleLabel, userLabel } from '../components/labels.js';
import { holdsQueue, isOneUsersTask } from '../components/queues.js';
import { useResource } from '../components/useResource.js';
import { t } from '../i18n/index.js';

function mayReceive(user, task) {
  return isOneUsersTask(task) || holdsQueue(user, task);
}

function TaskRow({ task, users, units, onDone, report }) {
  const [username, setUsername] = useState('');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const candidates = users.filter((user) => user.username !== task.assignee && mayReceive(user, task));
  const give = async (event) => {
    event.preventDefault();
    setBusy(true);
    try {
      const after = await engine.reassign(task.id, username, reason.trim());
      report({ kind: 'success', text: t('holders.given', { task: task.name, user: after.assignee }) });
      setUsername('');
      setReason('');
      onDone();
    } catch (error) {
      report({ kind: 'error', text: t('error.generic', { detail: error.message }) });
    } finally {
      setBusy(false);
    }
  };
  const id = `give-${task.id}`;
  return (
    <tr data-task-id={task.id}>
      <td>{task.name}</td>
      <td>{roleLabel(task.role, units)}</td>
      <td data-testid="holder">{userLabel(task.assignee)}</td>
      <td>
        <form class="inline-form" onSubmit={give}>
          <label class="visually-hidden" for={`${id}-user`}>{t('holders.to', { task: task.name })}</label>
          <select id={`${id}-user`} value={username} required onChange={(event) => setUsername(event.currentTarget.value)}>
            <option value="">{t('form.select')}</option>
            {candidates.map((user) => <option key={user.username} value={user.username}>{user.full_name ? `${user.full_name} (${user.username})` : user.username}</option>)}
          </select>
          <label class="visually-hidden" for={`${id}-reason`}>{t('holders.reasonFor', { task: task.name })}</label>
          <input id={`${id}-reason`} type="text" maxLength={500} value={reason} placeholder={t('holders.reason')}
            onInput={(event) => setReason(event.currentTarget.value)} />
          <button type="submit" class="button button-small" disabled={busy || !username}>{t('holders.give')}</button>
        </form>
      </td>
    </tr>
  );
}

export function TaskHolders({ instance, units, onChanged }) {
  const users = useResource(() => engine.users(), []);
  const [outcome, setOutcome] = useState(null);
  if (instance.status !== 'running' || instance.open_tasks.length === 0) return null;
  const active = (users.data?.items || []).filter((user) => user.active);
  return (
    <section class="panel" aria-labelledby="holders-title">
      <h2 id="holders-title">{t('holders.title')}</h2>
      <p class="muted small">{t('holders.help')}</p>
      <table>
        <thead>
          <tr><th>{t('col.task')}</th><th>{t('task.queue')}</th><th>{t('col.assignee')}</th><th>{t('holders.give')}</th></tr>
        </thead>
        <tbody>
          {instance.open_tasks.map((task) => <TaskRow key={`${task.id}:${task.assignee}`} task={task} users={active} units={units}
            onDone={onChanged} report={setOutcome} />)}
        </tbody>
      </table>
      {outcome && <Message kind={outcome.kind}>{outcome.text}</Message>}
    </section>
  );
}
