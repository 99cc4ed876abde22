// One instance in the cockpit: its status and incident with the administrator's repairs,
// the live diagram (open tasks, and per element the tokens of every instance of the same
// version: the heat), and the audit trail with the chain's check and the replay (where it
// parts from the history, the element is marked on the diagram).
import { useState } from 'preact/hooks';
import * as engine from '../api/engine.js';
import { ApiError } from '../api/client.js';
import { useApp } from '../components/AppContext.js';
import { Message } from '../components/Banner.jsx';
import { processLabel } from '../components/labels.js';
import { useResource } from '../components/useResource.js';
import { AuditTrail } from '../cockpit/AuditTrail.jsx';
import { InstanceActions } from '../cockpit/InstanceActions.jsx';
import { TaskHolders } from '../cockpit/TaskHolders.jsx';
import { dateTime, number, t } from '../i18n/index.js';
import { Link } from '../router.jsx';
import { Diagram } from './InstancePage.jsx';
import { StatusBadge } from '../components/InstanceTable.jsx';

export default function CockpitInstancePage({ params }) {
  const app = useApp();
  const isAdmin = app.user.roles.includes('admin');
  const [divergence, setDivergence] = useState(null); // where a replay parted from the history
  const details = useResource(() => engine.instance(params.id), [params.id], { poll: 20_000 });
  const instance = details.data;
  const signature = instance ? `${instance.status}:${instance.open_tasks.map((task) => task.id).join(',')}` : null;
  // the audit trail also shows who holds each task: a task given to someone is a new event
  const holders = instance ? instance.open_tasks.map((task) => task.assignee || '').join(',') : '';
  const picture = useResource(async () => {
    if (!instance) return null;
    const [diagram, load] = await Promise.all([
      engine.instanceDiagram(params.id), engine.versionLoad(instance.definition_key, instance.definition_version)]);
    return { diagram, load };
  }, [params.id, signature]);

  if (details.error instanceof ApiError && details.error.status === 404) {
    return <section><h1>{t('instance.notFound')}</h1><p><Link href="/cockpit">{t('nav.cockpit')}</Link></p></section>;
  }
  if (details.error && !instance) return <Message kind="error">{t('error.generic', { detail: details.error.message })}</Message>;
  if (!instance) return <p aria-busy="true">{t('app.loading')}</p>;
  const load = picture.data?.load;
  const heat = load ? Object.fromEntries(load.elements.map((element) => [element.element_id, element.open_tasks])) : {};
  const running = load ? load.instances.running + load.instances.suspended + load.instances.error : 0;

  return (
    <article class="instance-page">
      <p class="crumbs"><Link href="/cockpit">{t('nav.cockpit')}</Link></p>
      <h1>{processLabel(instance.definition_key, app.definitions)}</h1>
      <p class="lead">
        <StatusBadge status={instance.status} />{' '}
        <span class="muted">{t('instance.version', { version: instance.definition_version })} · {t('instance.startedAt', { time: dateTime(instance.started_at), user: instance.started_by })}</span>
        {' · '}<Link href={`/instances/${instance.id}`}>{t('cockpit.followPage')}</Link>
      </p>

      <InstanceActions instance={instance} isAdmin={isAdmin} onChanged={details.reload} />
      {isAdmin && <TaskHolders instance={instance} units={app.units} onChanged={details.reload} />}

      <section class="panel" aria-labelledby="diagram-title">
        <h2 id="diagram-title">{t('instance.diagram')}</h2>
        {load && <p class="muted small">{t('cockpit.heatHelp', { count: number(running), version: instance.definition_version })}</p>}
        {picture.data ? <Diagram diagram={picture.data.diagram} units={app.units} heat={heat}
          markers={divergence?.element_id ? { 'lkj-invalid': [divergence.element_id] } : {}} /> : <p aria-busy="true">{t('app.loading')}</p>}
      </section>

      {divergence && <Message kind="error">{t('audit.divergedAt', { seq: divergence.seq ?? '—', element: divergence.element_id || '—' })}</Message>}
      <AuditTrail instanceId={instance.id} units={app.units} key={`${signature}:${holders}`} onDivergence={setDivergence} />
    </article>
  );
}
