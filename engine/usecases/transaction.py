"""The one instance transaction: how every command that changes a process instance runs.

1. **Read**, without a lock: the instance row, the command's checks and preparation, and
   the workflow (from the context's cache or the state rows).
2. **Run**, outside any database transaction: the command's step on the workflow and the
   engine's steps to the next wait states. Scripts and conditions run here (in the jail,
   engine/workflow/sandbox.py), so a slow script holds no database lock and a claim on
   another instance is not kept waiting. What the run raises (a failing script, a
   condition no flow satisfies) becomes the instance's `error`, never a crash.
3. **Write**, in one transaction: lock the instance; if it is no longer at the version read
   in step 1, someone else changed it: start again from step 1 (scripts have no side
   effects, so running them again is safe). Otherwise check again, then write the events,
   task rows, notifications, state and status together.

A command describes its part by overriding the hooks of `InstanceCommand`; `change_instance`
runs it. Starting an instance (nothing to lock yet) shares the run and the write
(`run_step`, `write_state`).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.orm.exc import StaleDataError

from engine.errors import ConcurrentUpdate, InstanceNotFound, WorkflowError
from engine.messaging import outbox
from engine.metrics import Stopwatch, record_command
from engine.persistence import event_log
from engine.persistence.tables import ProcessInstance, Task, TaskQueue
from engine.usecases.context import EngineContext
from engine.usecases import external_task_rows, subscriptions
from engine.usecases.shared import OPEN_STATES
from engine.usecases.task_subjects import subject_and_phase
from engine.usecases.views import Actor
from engine.workflow import events, runtime
from engine.workflow.model import (
    groups_and_users,
    queues_of,
    resolve_due_date,
    resolve_role,
    user_task_key,
)

# How often a command starts again because the instance changed under it before giving up
# with ConcurrentUpdate (409): only a burst of changes to one instance gets there.
MAX_ATTEMPTS = 5


class InstanceCommand:
    """One command's part in the instance transaction. `check` runs in the read and in the
    write phase (raise an engine error to refuse); `prepare` once, in the read phase;
    `act` on the workflow between them; `record` and `result` in the write phase."""

    actor: Actor
    name = "instance_command"  # in the metrics: the use case's name
    loads_workflow = True  # False: the command changes rows only (e.g. suspend)
    reuses_state_rows = True  # False: every state row is rewritten (a version move)
    returned = False  # the new tasks are a send-back (their notice says so)

    def check(self, s, instance: ProcessInstance) -> None:
        pass

    def prepare(self, s, instance: ProcessInstance) -> None:
        pass

    def act(self, wf, now: datetime, thrown: "Thrown"):
        """Change the workflow; may return a replacement workflow. Raising one of
        runtime.RUN_ERRORS puts the instance in `error` (with what happened so far)."""

    def writes(self) -> bool:
        """False after `act`: store nothing (a dry run, a refused move); `result` is
        called with no session."""
        return True

    def record(self, s, instance: ProcessInstance, log: event_log.EventLog, now: datetime,
               wf) -> None:
        pass

    def result(self, s, instance: ProcessInstance | None, new_tasks: list[Task]):
        return None


class _Moved(Exception):
    """The instance changed between the read and the write phase."""


def change_instance(ctx: EngineContext, command: InstanceCommand, instance_ref,
                    missing: Exception | None = None):
    """Run `command` on the instance `instance_ref` (an id, or a scalar subquery giving
    it) as described above; returns `command.result(...)`. The time of each phase goes to
    the metrics (engine/metrics.py)."""
    watch, restarts = Stopwatch(), 0
    try:
        for _ in range(MAX_ATTEMPTS):
            outcome = _attempt(ctx, command, instance_ref, missing, watch)
            if outcome is not _MOVED:
                return outcome
            restarts += 1
        raise ConcurrentUpdate("the process instance kept changing meanwhile; retry")
    finally:
        record_command(command.name, watch.total(), restarts)


_MOVED = object()  # an attempt found the instance changed since its read phase


def _attempt(ctx: EngineContext, command: InstanceCommand, instance_ref, missing, watch):
    with watch("read"), ctx.db.read() as s:
        instance = s.scalars(select(ProcessInstance)
                             .where(ProcessInstance.id == instance_ref)).one_or_none()
        if instance is None:
            raise missing or InstanceNotFound(f"no process instance '{instance_ref}'")
        command.check(s, instance)
        command.prepare(s, instance)
        instance_id, version = instance.id, instance.version
        wf, stored = ctx.take_workflow(s, instance) if command.loads_workflow \
            else (None, None)
    now = ctx.clock.now()
    thrown = Thrown()
    error = None
    if wf is not None:
        with watch("run"):
            wf, error = run_step(lambda: command.act(wf, now, thrown), wf)
    if not command.writes():
        return command.result(None, None, [])
    try:
        with watch("write"), ctx.db.write() as s:
            instance = lock_instance(ctx, s, instance_id)
            if instance.version != version:
                raise _Moved
            command.check(s, instance)
            log = event_log.EventLog(s, instance_id)
            command.record(s, instance, log, now, wf)
            if error is not None:
                record_error(instance, log, now, error)
            new_tasks = []
            if wf is not None:
                new_tasks, stored = write_state(
                    ctx, s, instance, wf, stored if command.reuses_state_rows else None,
                    now, log, command.actor, thrown, command.returned)
            s.flush()  # the version column refuses a lost update here
            result = command.result(s, instance, new_tasks)
            saved_version = instance.version
    except (_Moved, StaleDataError):
        return _MOVED
    if wf is not None:
        if command.reuses_state_rows:
            ctx.keep_workflow(instance_id, saved_version, wf, stored)
        else:  # a cached workflow of the old spec must not be reused
            ctx.forget_workflow(instance_id)
    pass_on_thrown(ctx, instance_id, thrown)
    return result


def pass_on_thrown(ctx: EngineContext, instance_id: str, thrown: "Thrown") -> None:
    """Messages and signals the instance threw and did not catch itself reach the other
    instances (engine/usecases/bpmn_events.py), once the change that threw them is stored."""
    if thrown.events:
        from engine.usecases import bpmn_events  # it builds on this module
        bpmn_events.pass_on(ctx, instance_id, thrown.events)


def run_step(step, wf):
    """(workflow, error message or None) after `step()`: the workflow `step` returned, or
    `wf` changed in place."""
    try:
        return step() or wf, None
    except runtime.RUN_ERRORS as exc:
        return wf, str(exc)


def record_error(instance: ProcessInstance, log: event_log.EventLog, now: datetime,
                 message: str) -> None:
    """The instance waits in `error` for an admin's retry."""
    instance.status, instance.error = "error", message
    log.append(event_log.INSTANCE_ERROR, "system", now, payload={"message": message})


def lock_instance(ctx: EngineContext, s, instance_ref,
                  missing: Exception | None = None) -> ProcessInstance:
    """The instance (by id, or a subquery giving it), locked for this transaction: its
    writers (and its event chain) go one at a time. A writer that waited reads what the one
    before it wrote."""
    instance = s.scalars(ctx.db.lock_clause(
        select(ProcessInstance).where(ProcessInstance.id == instance_ref), of=ProcessInstance)
        .execution_options(populate_existing=True)).one_or_none()
    if instance is None:
        raise missing or InstanceNotFound(f"no process instance '{instance_ref}'")
    return instance


def lock_instance_status(ctx: EngineContext, s, instance_id: str) -> str:
    """The instance's status, with the instance locked as `lock_instance` does, for
    commands that change task rows and the event chain but not the workflow."""
    status = s.scalar(ctx.db.lock_clause(
        select(ProcessInstance.status).where(ProcessInstance.id == instance_id)))
    if status is None:
        raise InstanceNotFound(f"no process instance '{instance_id}'")
    return status


class Thrown:
    """Collects the diagram's notification events (a `notify` property) the engine passed."""

    def __init__(self):
        self.tasks = []
        self.events = []  # events.ThrownEvent: what left the instance (messages, signals)

    def __call__(self, task):
        extensions = getattr(task.task_spec, "extensions", None) or {}
        if "notify" in extensions.get("properties", {}):
            self.tasks.append(task)


def write_state(ctx: EngineContext, s, instance: ProcessInstance, wf, stored, now: datetime,
                log: event_log.EventLog, actor: Actor, thrown: Thrown | None = None,
                returned: bool = False):
    """(the new task rows, what the state rows hold now) after writing the workflow: task
    rows and their events and notices, the status, the next timer, what the LKj document
    needs (engine/usecases/report_jobs.py), the state."""
    # Events no element of this instance caught are not part of its state.
    left = events.take_thrown(wf)
    if thrown is not None:
        thrown.events += left
    new_tasks = sync_tasks(ctx, s, instance, wf, now, log, actor, thrown, returned)
    # The LKj document reacts to what was just recorded (drafts, publication, archive), in
    # this transaction. Imported here: report_jobs builds on this module.
    from engine.usecases import report_jobs
    report_jobs.after_write(ctx, s, instance, wf, log, now)
    return new_tasks, ctx.save_workflow(s, instance, wf, stored)


_OPEN_ROWS = select(Task).where(Task.process_instance_id == bindparam("instance_id"),
                                Task.state.in_(OPEN_STATES))  # built once: the hot path


def sync_tasks(ctx: EngineContext, s, instance: ProcessInstance, wf, now: datetime,
               log: event_log.EventLog, actor: Actor, thrown: Thrown | None = None,
               returned: bool = False) -> list[Task]:
    """Make the task rows match the workflow: a row for every new ready user task, open
    rows whose task is gone are cancelled, and the instance status follows the workflow.
    Each change is also appended to the instance's event log; the notifications it causes
    go to the outbox, and the instance's next timer is noted for the workers."""
    definition = ctx.definition(s, instance.definition_id)
    open_rows = {t.id: t for t in s.scalars(_OPEN_ROWS, {"instance_id": instance.id})}
    created, notices = [], []
    ready_ids = set()
    for spiff_task in runtime.ready_user_tasks(wf):
        task_id = str(spiff_task.id)
        ready_ids.add(task_id)
        if task_id in open_rows:
            continue
        meta = definition.user_tasks.get(user_task_key(spiff_task.task_spec))
        if meta is None:
            raise WorkflowError(f"user task '{spiff_task.task_spec.bpmn_id}' has no metadata")
        try:
            role = resolve_role(meta["role_template"], spiff_task.data)
            due_at = _due_at(ctx, meta, spiff_task.data, now)
        except (KeyError, ValueError) as exc:
            raise WorkflowError(f"task '{meta['element_id']}': {exc.args[0]}") from None
        # A group nobody holds yet is no error: admins see every task until someone does.
        subject, phase = subject_and_phase(s, spiff_task)
        groups, users = groups_and_users(role)
        # A task the diagram gives to one user (camunda:assignee) opens claimed by that user.
        assignee = users[0] if meta.get("assigned") and users else None
        row = Task(id=task_id, process_instance_id=instance.id, definition_key=definition.key,
                   process_id=runtime.process_id_of(spiff_task), element_id=meta["element_id"],
                   name=meta["name"], subject=subject, phase=phase, role=role,
                   state="claimed" if assignee else "ready", assignee=assignee,
                   claimed_at=now if assignee else None,
                   form_key=meta["form_key"], created_at=now, due_at=due_at, version=1)
        created.append(row)
        kind = meta.get("notification", "task_assigned")
        if returned and kind == "task_assigned":
            kind = "returned_for_revision"
        notices.append(outbox.Notice(
            kind=kind, role=role, name=row.name, process_instance_id=instance.id,
            definition_key=definition.key, task_id=row.id, due_at=row.due_at,
            groups=groups, users=users))
        log.append(event_log.TASK_READY, "system", now, element_id=row.element_id,
                   task_id=row.id,
                   payload={"role": role, "name": row.name, "process_id": row.process_id,
                            "form_key": row.form_key,
                            "due_at": event_log.iso(row.due_at) if row.due_at else None,
                            **({"assignee": assignee} if assignee else {})})
    for task_id, row in open_rows.items():
        if task_id not in ready_ids and row.state in OPEN_STATES:
            row.state, row.completed_at = "cancelled", now
            log.append(event_log.TASK_CANCELLED, "system", now, element_id=row.element_id,
                       task_id=row.id)
    if runtime.is_completed(wf) and instance.status == "running":
        instance.status, instance.ended_at = "completed", now
        log.append(event_log.INSTANCE_COMPLETED, actor.username, now)
    instance.next_timer_at = runtime.next_timer_at(wf) if instance.status == "running" else None
    if created:  # plain INSERTs: nothing in this transaction changes the new rows again
        s.connection().execute(insert(Task), [_row_values(row) for row in created])
        queue_rows = [row for task in created for row in _queue_rows(task.id, task.role)]
        if queue_rows:
            s.connection().execute(insert(TaskQueue), queue_rows)
    subscriptions.sync(s, instance, wf)
    external_task_rows.sync(s, instance, wf, now)
    outbox.queue(s, ctx.settings, notices + _thrown_notices(instance, definition, thrown), now)
    return created


_TASK_COLUMNS = tuple(column.key for column in Task.__table__.columns)


def _row_values(row: Task) -> dict:
    return {key: getattr(row, key) for key in _TASK_COLUMNS}


def _queue_rows(task_id: str, role: str) -> list[dict]:
    """The `task_queue` rows of a task several queues may work (none for one queue)."""
    queues = queues_of(role)
    return [{"task_id": task_id, "queue": queue} for queue in queues] if len(queues) > 1 else []


def set_task_queues(s, task_id: str, role: str) -> None:
    """Replace a kept task's `task_queue` rows (its role changed)."""
    s.execute(delete(TaskQueue).where(TaskQueue.task_id == task_id))
    rows = _queue_rows(task_id, role)
    if rows:
        s.execute(insert(TaskQueue), rows)


def _due_at(ctx: EngineContext, meta: dict, data: dict, now: datetime) -> datetime | None:
    """Working time from now (dueDuration), a date (camunda:dueDate), or no due date."""
    if meta["due_duration"]:
        return ctx.calendar.add(now, meta["due_duration"])
    return resolve_due_date(meta.get("due_date", ""), data)


def _thrown_notices(instance, definition, thrown: Thrown | None) -> list[outbox.Notice]:
    notices = []
    for task in (thrown.tasks if thrown else []):
        properties = task.task_spec.extensions["properties"]
        notices.append(outbox.Notice(
            kind=properties["notify"],
            role=resolve_role(properties.get("notifyRole", ""), task.data),
            name=task.task_spec.bpmn_name or task.task_spec.bpmn_id,
            process_instance_id=instance.id, definition_key=definition.key))
    return notices
