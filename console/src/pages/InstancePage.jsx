// Where an instance stands: its diagram (finished elements marked, open tasks highlighted
// with their queue, sub-processes opened from their call activities), its open tasks, its
// documents and its history in plain words. It refreshes itself while open.
import { useMemo, useState } from 'preact/hooks';
import { ApiError, downloadDocument } from '../api/client.js';
import * as engine from '../api/engine.js';
import { useApp } from '../components/AppContext.js';
import { Message } from '../components/Banner.jsx';
import { processLabel, roleLabel, userLabel } from '../components/labels.js';
import { Due, TaskTitle } from '../components/TaskTable.jsx';
import { useResource } from '../components/useResource.js';
import { DiagramViewer } from '../diagram/DiagramViewer.jsx';
import { bytes, dateTime, isoAttribute, t } from '../i18n/index.js';
import { Link } from '../router.jsx';
import { StatusBadge } from '../components/InstanceTable.jsx';

const POLL_MS = 15_000;
const RECENT = 20; // history entries shown before "show all"

/** An event of the timeline in plain words: who did what. */
export function timelineSentence(entry, units) {
  const actor = entry.actor === 'system' ? t('history.system') : (entry.actor_name || entry.actor);
  const details = entry.details || {};
  let key = `history.${entry.type}`;
  if (entry.type === 'task_completed' && details.decision) key = `history.task_completed_${details.decision}`;
  if (entry.type === 'task_ready' && details.assignee) key = 'history.task_ready_assigned';
  return t(key, {
    actor, task: entry.task_name || entry.element_id || '', role: roleLabel(details.role, units),
    assignee: details.assignee || '',
    filename: details.filename || '', message: details.message || '', to: details.to_version ?? '',
    names: [...(details.set || []), ...(details.deleted || [])].join(', '),
  });
}

function Timeline({ entries, units }) {
  const [all, setAll] = useState(false);
  const sentence = (entry) => timelineSentence(entry, units);
  const newestFirst = [...entries].reverse();
  const shown = all ? newestFirst : newestFirst.slice(0, RECENT);
  return (
    <>
    <ol class="timeline" reversed>
      {shown.map((entry) => (
        <li key={entry.seq}>
          <time datetime={isoAttribute(entry.occurred_at)}>{dateTime(entry.occurred_at)}</time>
          <span class="timeline-text">
            {sentence(entry)}
            {entry.subject && <span class="muted"> — {t('history.about', { subject: entry.subject })}</span>}
            {entry.details?.reason && <span class="muted"> ({entry.details.reason})</span>}
          </span>
        </li>
      ))}
    </ol>
    {!all && entries.length > RECENT && (
      <button type="button" class="button button-small" onClick={() => setAll(true)}>{t('instance.showAll', { count: entries.length })}</button>
    )}
    </>
  );
}

function Documents({ documents }) {
  if (!documents.length) return <p class="muted">{t('instance.noDocuments')}</p>;
  return (
    <table class="records">
      <thead><tr>
        <th scope="col">{t('doc.name')}</th><th scope="col">{t('doc.size')}</th>
        <th scope="col">{t('doc.by')}</th><th scope="col">{t('doc.at')}</th>
      </tr></thead>
      <tbody>
        {documents.map((document) => (
          <tr key={document.id}>
            <td data-label={t('doc.name')}>
              <a href={`/api/v1/documents/${document.id}/content`} data-document-id={document.id}
                aria-label={t('doc.download', { name: document.filename })}
                onClick={(event) => { event.preventDefault(); downloadDocument(document.id, document.filename); }}>{document.filename}</a>
            </td>
            <td data-label={t('doc.size')}>{bytes(document.size)}</td>
            <td data-label={t('doc.by')}>{document.uploaded_by}</td>
            <td data-label={t('doc.at')}><time datetime={isoAttribute(document.uploaded_at)}>{dateTime(document.uploaded_at)}</time></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The run shown: the top-level process, or a sub-process run reached through call
 * activities (`path`: [{element, run index}]). */
function runAt(root, path) {
  let run = root;
  const trail = [{ run, label: run.process_name }];
  for (const step of path) {
    const call = run.calls.find((c) => c.element_id === step.element);
    const next = call?.runs[step.index];
    if (!next) break;
    run = next;
    trail.push({ run, label: `${run.process_name}${run.subject ? ` — ${run.subject}` : ''}` });
  }
  return { run, trail };
}

/** The run of a call worth opening first: one with open work, else the latest. */
function liveRun(runs) {
  const open = runs.findIndex((run) => run.active.length > 0);
  return open >= 0 ? open : runs.length - 1;
}

export function Diagram({ diagram, units, heat, markers }) {
  const [path, setPath] = useState([]);
  const { run, trail } = runAt(diagram.root, path);
  const xml = diagram.diagrams[run.file];
  const openable = Object.fromEntries(run.calls.filter((c) => c.runs.length).map((c) => [c.element_id, c.runs.length]));
  const tasks = run.open_tasks.map((task) => ({ element_id: task.element_id, queue: roleLabel(task.role, units), assignee: task.assignee }));
  const parentCall = path.length ? runAt(diagram.root, path.slice(0, -1)).run.calls.find((c) => c.element_id === path[path.length - 1].element) : null;

  return (
    <>
      <nav aria-label={t('instance.breadcrumb')} class="crumbs">
        <ol>
          {trail.map((step, i) => (
            <li key={i}>
              {i < trail.length - 1
                ? <button type="button" class="link" onClick={() => setPath(path.slice(0, i))}>{step.label}</button>
                : <span aria-current="location">{step.label}</span>}
            </li>
          ))}
        </ol>
      </nav>
      {parentCall && parentCall.runs.length > 1 && (
        <div class="field field-inline">
          <label for="run">{t('instance.runs')}</label>
          <select id="run" value={path[path.length - 1].index}
            onChange={(event) => setPath([...path.slice(0, -1), { ...path[path.length - 1], index: Number(event.currentTarget.value) }])}>
            {parentCall.runs.map((candidate, i) => (
              <option key={i} value={i}>{t('instance.run', { n: i + 1, subject: candidate.subject || candidate.process_name })}</option>
            ))}
          </select>
        </div>
      )}
      <p class="muted small">{t('instance.diagramHelp')}</p>
      {xml && (
        <DiagramViewer xml={xml} completed={run.completed} active={run.active} tasks={tasks} openable={openable} heat={heat} markers={markers}
          label={`${t('instance.diagram')}: ${run.process_name}`}
          onOpen={(element) => {
            const call = run.calls.find((c) => c.element_id === element);
            if (call?.runs.length) setPath([...path, { element, index: liveRun(call.runs) }]);
          }} />
      )}
    </>
  );
}

export default function InstancePage({ params }) {
  const app = useApp();
  const details = useResource(async () => {
    const [instance, timeline, documents] = await Promise.all([
      engine.instance(params.id), engine.instanceTimeline(params.id), engine.instanceDocuments(params.id)]);
    return { instance, timeline: timeline.items, documents: documents.items };
  }, [params.id], { poll: POLL_MS });
  // The diagram is read again only when the open tasks or the status change.
  const signature = details.data
    ? `${details.data.instance.status}:${details.data.instance.open_tasks.map((task) => task.id).join(',')}` : null;
  const diagram = useResource(() => (signature ? engine.instanceDiagram(params.id) : Promise.resolve(null)), [params.id, signature]);
  const units = app.units;

  const openTasks = useMemo(() => details.data?.instance.open_tasks || [], [details.data]);
  if (details.error instanceof ApiError && details.error.status === 404) {
    return <section><h1>{t('instance.notFound')}</h1><p><Link href="/instances">{t('nav.instances')}</Link></p></section>;
  }
  if (details.error && !details.data) return <Message kind="error">{t('error.generic', { detail: details.error.message })}</Message>;
  if (!details.data) return <p aria-busy="true">{t('app.loading')}</p>;
  const { instance, timeline, documents } = details.data;

  return (
    <article class="instance-page">
      <p class="crumbs"><Link href="/instances">{t('nav.instances')}</Link></p>
      <h1>{processLabel(instance.definition_key, app.definitions)}</h1>
      <p class="lead">
        <StatusBadge status={instance.status} />{' '}
        <span class="muted">{t('instance.version', { version: instance.definition_version })} · {t('instance.startedAt', { time: dateTime(instance.started_at), user: instance.started_by })}</span>
        {instance.ended_at && <span class="muted"> · {t('instance.endedAt', { time: dateTime(instance.ended_at) })}</span>}
      </p>
      {instance.error && <Message kind="error">{t('instance.error', { message: instance.error })}</Message>}

      <section class="panel" aria-labelledby="diagram-title">
        <h2 id="diagram-title">{t('instance.diagram')}</h2>
        {diagram.data ? <Diagram diagram={diagram.data} units={units} /> : <p aria-busy="true">{t('app.loading')}</p>}
      </section>

      <div class="columns">
        <section class="panel" aria-labelledby="open-title">
          <h2 id="open-title">{t('instance.openTasks')}</h2>
          {openTasks.length === 0 ? <p class="muted">{t('instance.noOpenTasks')}</p> : (
            <ul class="open-tasks">
              {openTasks.map((task) => (
                <li key={task.id} class={task.overdue ? 'is-overdue' : ''} data-task-id={task.id}>
                  <TaskTitle task={task} />
                  <span class="muted small">{task.phase ? `${task.phase} · ` : ''}{t('task.queue')}: {roleLabel(task.role, units)} · {userLabel(task.assignee, app.user)}</span>
                  <span class="small"><Due task={task} /></span>
                </li>
              ))}
            </ul>
          )}
        </section>
        <section class="panel" aria-labelledby="documents-title">
          <h2 id="documents-title">{t('instance.documents')}</h2>
          <Documents documents={documents} />
        </section>
      </div>

      <section class="panel" aria-labelledby="history-title">
        <h2 id="history-title">{t('instance.history')}</h2>
        <Timeline entries={timeline} units={units} />
      </section>
    </article>
  );
}
