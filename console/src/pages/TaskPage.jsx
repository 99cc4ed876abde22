// One task: what it is and what it is about, the data it sees (as tables), and its form.
// The user claims it here if it waits in their queue; once it is theirs they fill the form
// (checked as they submit, server refusals shown at their fields) and complete it, then go
// on to their next task.
import { useState } from 'preact/hooks';
import { ApiError } from '../api/client.js';
import * as engine from '../api/engine.js';
import { useApp } from '../components/AppContext.js';
import { Message } from '../components/Banner.jsx';
import { flash } from '../components/flash.js';
import { processLabel, roleLabel, userLabel } from '../components/labels.js';
import { holdsQueue } from '../components/queues.js';
import { Due } from '../components/TaskTable.jsx';
import { useResource } from '../components/useResource.js';
import { VariablesView } from '../components/VariablesView.jsx';
import { dateTime, isoAttribute, t } from '../i18n/index.js';
import { Link, navigate } from '../router.jsx';
import { SchemaForm } from '../forms/SchemaForm.jsx';

/** Where to go after completing: a new task the user may take, else their oldest claimed
 * task, else the inbox. */
async function nextTaskOf(user, completion) {
  const mine = completion.next_tasks.find((task) => holdsQueue(user, task));
  if (mine) return mine;
  const claimed = await engine.tasks({ assignee: 'me', state: 'claimed', sort: 'created_at', limit: 1 });
  return claimed.items[0] || null;
}

/** The form's fields already in the task's data, for a form filled again after a return
 * (a unit's indicators): not for a checker's decision, which must be each checker's own. */
function prefill(schema, variables) {
  const names = Object.keys(schema?.properties || {});
  if (!variables || names.includes('decision')) return {};
  return Object.fromEntries(names.filter((name) => variables[name] !== undefined).map((name) => [name, variables[name]]));
}

export default function TaskPage({ params }) {
  const app = useApp();
  const [message, setMessage] = useState(null);
  const [busy, setBusy] = useState(false);
  const loaded = useResource(async () => {
    const task = await engine.task(params.id);
    const [form, variables, documents] = await Promise.all([
      engine.taskForm(params.id), engine.taskVariables(params.id),
      engine.instanceDocuments(task.process_instance_id).catch(() => ({ items: [] }))]);
    return { task, form, variables: variables.variables, documents: Object.fromEntries(documents.items.map((d) => [d.id, d])) };
  }, [params.id]);

  if (loaded.error instanceof ApiError && loaded.error.status === 404) {
    return <section><h1>{t('task.notFound')}</h1><p><Link href="/">{t('notFound.back')}</Link></p></section>;
  }
  if (loaded.error && !loaded.data) return <Message kind="error">{t('error.generic', { detail: loaded.error.message })}</Message>;
  if (!loaded.data) return <p aria-busy="true">{t('app.loading')}</p>;

  const { task, form, variables, documents } = loaded.data;
  const user = app.user;
  const mine = task.state === 'claimed' && task.assignee === user.username;
  const mayClaim = task.state === 'ready' && holdsQueue(user, task);
  const schema = form.schema || {};
  const hasFields = Object.keys(schema.properties || {}).length > 0;

  const act = async (action) => {
    setBusy(true);
    setMessage(null);
    try {
      const changed = await action(task.id);
      loaded.setData((before) => ({ ...before, task: changed }));
    } catch (failure) {
      if (failure instanceof ApiError) setMessage({ kind: 'error', text: t('error.conflict', { detail: failure.message }) });
      loaded.reload({ quiet: true });
    } finally {
      setBusy(false);
    }
  };

  const complete = async (data) => {
    setMessage(null);
    try {
      const completion = await engine.complete(task.id, data);
      const next = await nextTaskOf(user, completion).catch(() => null);
      flash(`${t('task.completed', { name: task.name })} ${next ? t('task.next', { name: next.name }) : t('task.noNext')}`);
      navigate(next ? `/tasks/${next.id}` : '/');
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 422) {
        // shown at the fields the answer names; a refusal naming none is told here
        if (!Object.keys(failure.fieldErrors).length) setMessage({ kind: 'error', text: t('task.serverRejected', { detail: failure.message }) });
      } else if (failure instanceof ApiError) {
        setMessage({ kind: 'error', text: t('error.conflict', { detail: failure.message }) });
      }
      throw failure; // the form shows the field errors
    }
  };

  return (
    <article class="task-page">
      <p class="crumbs"><Link href="/">{t('nav.inbox')}</Link> › {processLabel(task.definition_key, app.definitions)}{task.phase ? ` › ${task.phase}` : ''}</p>
      <h1>{task.name}</h1>
      {task.subject && <p class="lead"><span class="muted">{t('task.about')}:</span> {task.subject}</p>}
      <dl class="facts facts-inline">
        <div class="fact"><dt>{t('task.state')}</dt><dd><span class={`badge badge-${task.state}`}>{t(`task.state.${task.state}`)}</span></dd></div>
        <div class="fact"><dt>{t('task.queue')}</dt><dd>{roleLabel(task.role, app.units)}</dd></div>
        <div class="fact"><dt>{t('col.assignee')}</dt><dd>{userLabel(task.assignee, user)}</dd></div>
        <div class="fact"><dt>{t('col.created')}</dt><dd><time datetime={isoAttribute(task.created_at)}>{dateTime(task.created_at)}</time></dd></div>
        <div class="fact"><dt>{t('col.due')}</dt><dd><Due task={task} /></dd></div>
      </dl>
      <p class="toolbar">
        {mayClaim && <button type="button" class="button button-primary" disabled={busy} onClick={() => act(engine.claim)}>{t('task.claim')}</button>}
        {mine && <button type="button" class="button" disabled={busy} onClick={() => act(engine.unclaim)}>{t('task.unclaim')}</button>}
        <Link class="button" href={`/instances/${task.process_instance_id}`}>{t('task.where')}</Link>
      </p>
      {message && <Message kind={message.kind}>{message.text}</Message>}

      <section class="panel" aria-labelledby="task-data">
        <h2 id="task-data">{t('task.data')}</h2>
        <VariablesView data={variables} documents={documents} />
      </section>

      <section class="panel" aria-labelledby="task-form">
        <h2 id="task-form">{schema.title || t('task.form')}</h2>
        {schema.description && <p class="muted">{schema.description}</p>}
        {task.state === 'completed' && <p>{t('task.completedBy', { user: task.completed_by, time: dateTime(task.completed_at) })}</p>}
        {task.state === 'cancelled' && <p>{t('task.readOnly', { state: t('task.state.cancelled').toLowerCase() })}</p>}
        {mayClaim && <p>{t('task.mustClaim')}</p>}
        {task.state === 'claimed' && !mine && <p>{t('task.claimedBy', { user: task.assignee })}</p>}
        {mine && !hasFields && <p class="muted">{t('task.noForm')}</p>}
        {mine && (
          <SchemaForm key={task.id} schema={{ ...schema, title: undefined, description: undefined }} formData={prefill(schema, variables)}
            onSubmit={complete} submitLabel={t('task.submit')} idPrefix="task"
            context={{ instanceId: task.process_instance_id, documents }} />
        )}
      </section>
    </article>
  );
}
