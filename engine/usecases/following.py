"""Following an instance as the people who work in it do: its documents, where it stands on
its diagrams, and its timeline of who did what and when. Read with the instance (who may:
engine/usecases/policy.py); the timeline leaves out the data entered, which the event log
keeps for auditors. Also: the processes a user may start, with their start forms."""
from __future__ import annotations

import json

from sqlalchemy import func, select

from engine.persistence import event_log, state_store
from engine.persistence.tables import (
    Document,
    Event,
    ProcessDefinition,
    Task,
    User,
)
from engine.usecases import policy
from engine.usecases.context import EngineContext
from engine.usecases.deployments import _latest_definitions
from engine.usecases.shared import (
    OPEN_STATES,
    _definition_view,
    _document_view,
    _stored_files,
    _suspended_keys,
    _task_view,
    _visible_instance,
)
from engine.usecases.task_subjects import shown_subject
from engine.usecases.views import (
    Actor,
    ActivityView,
    CallView,
    DiagramView,
    DocumentView,
    ProcessRunView,
    StartableView,
    TimelineEntry,
)
from engine.workflow import progress

# What an entry of the timeline may tell of an event's payload: names, decisions, reasons,
# file names; never the form data itself.
_TOLD = {
    event_log.INSTANCE_STARTED: ("definition_version",),
    event_log.TASK_READY: ("role", "due_at", "assignee"),
    event_log.TASK_UNCLAIMED: ("assignee", "reason"),
    event_log.TASK_REASSIGNED: ("assignee", "previous", "reason"),
    event_log.DOCUMENT_UPLOADED: ("document_id", "filename", "size"),
    event_log.DRAFT_BUILT: ("document_id", "filename", "size"),
    event_log.INSTANCE_ERROR: ("message",),
    event_log.INSTANCE_TERMINATED: ("reason",),
    event_log.INSTANCE_SUSPENDED: ("reason",),
    event_log.INSTANCE_RESUMED: ("reason",),
    event_log.INSTANCE_RETRIED: ("reason",),
    event_log.INSTANCE_MIGRATED: ("from_version", "to_version"),
    event_log.VARIABLES_CHANGED: ("set", "deleted"),  # the names, never the values
}


def instance_documents(ctx: EngineContext, actor: Actor, instance_id: str) -> list[DocumentView]:
    """The documents uploaded to the instance, oldest first."""
    with ctx.db.read() as s:
        instance = _visible_instance(s, actor, instance_id)
        rows = s.scalars(select(Document).where(Document.process_instance_id == instance.id)
                         .order_by(Document.uploaded_at, Document.id))
        return [_document_view(d) for d in rows]


def instance_timeline(ctx: EngineContext, actor: Actor, instance_id: str) -> list[TimelineEntry]:
    """Every event of the instance in order, as who did what when: the task's name and
    subject instead of its id, the actor's full name, no form data (a checker's decision
    excepted)."""
    with ctx.db.read() as s:
        instance = _visible_instance(s, actor, instance_id)
        events = list(s.scalars(select(Event).where(Event.process_instance_id == instance.id)
                                .order_by(Event.seq)))
        tasks = {t.id: t for t in s.scalars(select(Task).where(
            Task.process_instance_id == instance.id))}
        actors = {e.actor for e in events}
        names = dict(s.execute(select(User.username, User.full_name)
                               .where(User.username.in_(actors))).all())
    entries = []
    for event in events:
        payload = json.loads(event.payload)
        task = tasks.get(event.task_id) if event.task_id else None
        told = {key: payload[key] for key in _TOLD.get(event.type, ()) if key in payload}
        decision = (payload.get("data") or {}).get("decision") \
            if event.type == event_log.TASK_COMPLETED else None
        if isinstance(decision, str):
            told["decision"] = decision
        entries.append(TimelineEntry(
            seq=event.seq, occurred_at=event.occurred_at, actor=event.actor,
            actor_name=names.get(event.actor), type=event.type, element_id=event.element_id,
            task_id=event.task_id, task_name=task.name if task else payload.get("name"),
            subject=task.subject if task else None, details=told))
    return entries


def instance_diagram(ctx: EngineContext, actor: Actor, instance_id: str) -> DiagramView:
    """The instance's diagrams (the files of its version, as deployed) and, for the
    top-level process and every sub-process run, which elements finished, which are under
    way (each with its workflow task's id and its type) and the open tasks with their
    queue."""
    with ctx.db.read() as s:
        instance = _visible_instance(s, actor, instance_id)
        definition = instance.definition
        wf, _ = state_store.load(s, instance, ctx.executable(definition))
        tree = progress.instance_progress(wf)
        open_tasks = {t.id: _task_view(t) for t in s.scalars(select(Task).where(
            Task.process_instance_id == instance.id, Task.state.in_(OPEN_STATES)))}
        stored = _stored_files(s, definition)
        files = {name: stored[name].decode("utf-8") for name in definition.files}
        root = _run_view(s, tree, open_tasks)
        error_seq = s.scalar(select(func.max(Event.seq)).where(
            Event.process_instance_id == instance.id,
            Event.type == event_log.INSTANCE_ERROR)) if instance.status == "error" else None
        return DiagramView(process_instance_id=instance.id, definition_key=definition.key,
                           definition_version=definition.version, status=instance.status,
                           diagrams=files, root=root, error_seq=error_seq)


def _run_view(s, node: progress.WorkflowProgress, open_tasks: dict) -> ProcessRunView:
    return ProcessRunView(
        workflow_id=node.workflow_id, process_id=node.process_id,
        process_name=node.process_name, file=node.file,
        subject=shown_subject(s, node.subject) if node.subject else None,
        completed=node.completed, active=node.active,
        open_tasks=[open_tasks[i] for i in node.ready_task_ids if i in open_tasks],
        calls=[CallView(element_id=element, runs=[_run_view(s, run, open_tasks) for run in runs])
               for element, runs in node.calls.items()],
        activities=[ActivityView(id=a.task_id, element_id=a.element_id, name=a.name,
                                 activity_type=a.activity_type, failed=a.failed)
                    for a in node.open],
        caller_name=node.caller_name, caller_type=node.caller_type,
        under_way=node.under_way)


def startable_processes(ctx: EngineContext, actor: Actor) -> list[StartableView]:
    """The latest version of each process someone may start (it names its starters), the
    actor may start and no admin suspended, with its start form (None: it starts without
    one)."""
    with ctx.db.read() as s:
        rows = s.scalars(_latest_definitions().order_by(ProcessDefinition.key))
        suspended = _suspended_keys(s)
        views = []
        for definition in rows:
            if not definition.startable_by or definition.key in suspended \
                    or not policy.may_start(actor, definition.startable_by):
                continue
            rules = definition.start_rules or {}
            form_key = rules.get("startForm")
            views.append(StartableView(
                definition=_definition_view(definition), start_form_key=form_key,
                start_form=definition.forms.get(form_key) if form_key else None,
                units_variable=rules.get("unitsVariable"),
                starter_unit_variable=rules.get("starterUnitVariable")))
        return views
