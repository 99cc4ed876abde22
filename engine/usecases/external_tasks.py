"""Service tasks run by external workers (a worker account: role `worker`, or an admin).

- `fetch_and_lock`: the oldest fetchable tasks of the topics asked for, locked to the
  worker for each topic's `lock_duration_ms`; a task is fetchable when nobody holds an
  unexpired lock on it and its retry time (after a failure) has come. One transaction
  with `FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite has a single writer): two workers
  never hold the same task. With `wait_ms` the call waits, polling, until a task comes or
  the time is up (at most `MAX_WAIT_MS`).
- `complete_external_task`: the worker that holds the lock finishes the task; its
  variables join the instance, which runs on.
- `external_task_bpmn_error`: the worker raises a BPMN error; an error boundary event on
  the task that catches its code takes over. None does: the task fails as with no retries
  left (an incident), its message naming the error.
- `external_task_failure`: with retries left the task is fetchable again after
  `retry_timeout_ms`; with none it is an incident: the instance waits in `error` with
  the worker's message, and an admin's retry (`retry_instance`) makes the task fetchable
  again.
- `extend_external_task_lock`: the holder keeps the task longer.
- `get_external_task`: one task, waiting or out of retries, with its last failure.
- `set_external_task_retries` (admins): a waiting task gets that many retries (0: the
  incident a last failure makes); a task out of retries gets them back with the admin's
  retry of its instance (`retry_instance`), fetchable again.

Each outcome that changes the instance runs through the instance transaction and is in
its history; replay finishes the same service task the same way.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select

from engine.errors import (
    ExternalTaskNotFound,
    ExternalTaskNotLocked,
    InstanceNotRunning,
    InvalidInput,
)
from engine.persistence import event_log
from engine.persistence.tables import ExternalTask, ProcessDefinition, ProcessInstance
from engine.usecases import policy
from engine.usecases.administration import retry_instance
from engine.usecases.constraints import (
    EXTERNAL_FETCH_MAX,
    EXTERNAL_LOCK_MAX_MS,
    EXTERNAL_WAIT_MAX_MS,
    INT32_MAX,
)
from engine.usecases.context import EngineContext
from engine.usecases.shared import _check_json_data
from engine.usecases.transaction import InstanceCommand, change_instance, record_error
from engine.usecases.views import Actor
from engine.workflow import external_tasks, runtime

MAX_TASKS = EXTERNAL_FETCH_MAX
MAX_WAIT_MS = EXTERNAL_WAIT_MAX_MS  # a long poll holds a server thread: bounded
MAX_LOCK_MS = EXTERNAL_LOCK_MAX_MS
POLL_S = 0.1  # how often a long poll looks again


@dataclass(frozen=True)
class LockedTask:
    id: str
    topic: str
    worker_id: str
    lock_expires_at: object
    process_instance_id: str
    business_key: str | None
    element_id: str
    retries: int | None
    error_message: str | None
    variables: dict
    # the version the instance runs: (key, version, row id)
    definition: tuple[str, int, int] | None = None
    error_details: str | None = None  # the worker's details of its last failure


# ---------------------------------------------------------------- fetching

def fetch_and_lock(ctx: EngineContext, actor: Actor, worker_id, topics, max_tasks=1,
                   wait_ms=0) -> list[LockedTask]:
    policy.require_worker(actor)
    _check_worker(worker_id)
    topics = _checked_topics(topics)
    if not isinstance(max_tasks, int) or isinstance(max_tasks, bool) \
            or not 1 <= max_tasks <= MAX_TASKS:
        raise InvalidInput("Invalid fetch", {"max_tasks": [f"must be 1 to {MAX_TASKS}"]})
    if not isinstance(wait_ms, int) or isinstance(wait_ms, bool) or not 0 <= wait_ms <= MAX_WAIT_MS:
        raise InvalidInput("Invalid fetch", {"wait_ms": [f"must be 0 to {MAX_WAIT_MS}"]})
    give_up = time.monotonic() + wait_ms / 1000
    while True:
        locked = _lock(ctx, worker_id, topics, max_tasks)
        if locked or time.monotonic() >= give_up:
            return locked
        time.sleep(min(POLL_S, max(0.0, give_up - time.monotonic())))


def _lock(ctx, worker_id, topics: dict, max_tasks: int) -> list[LockedTask]:
    now = ctx.clock.now()
    with ctx.db.write() as s:
        query = (_with_instance()
                 .where(ExternalTask.topic.in_(topics), ProcessInstance.status == "running",
                        or_(ExternalTask.lock_expires_at.is_(None),
                            ExternalTask.lock_expires_at <= now),
                        or_(ExternalTask.fetchable_at.is_(None), ExternalTask.fetchable_at <= now),
                        or_(ExternalTask.retries.is_(None), ExternalTask.retries > 0))
                 .order_by(ExternalTask.created_at, ExternalTask.id).limit(max_tasks))
        if ctx.db.dialect != "sqlite":  # SQLite's one writer serialises fetches already
            query = query.with_for_update(skip_locked=True, of=ExternalTask)
        locked = []
        for row, business_key, *definition in s.execute(query).all():
            lock_ms, wanted = topics[row.topic]
            row.worker_id = worker_id
            row.lock_expires_at = now + timedelta(milliseconds=lock_ms)
            variables = row.variables if wanted is None else {
                name: row.variables[name] for name in wanted if name in row.variables}
            locked.append(LockedTask(row.id, row.topic, worker_id, row.lock_expires_at,
                                     row.process_instance_id, business_key, row.element_id,
                                     row.retries, row.error_message, variables,
                                     tuple(definition), row.error_details))
        return locked


def _with_instance():
    """Tasks with their instance's business key and version (key, version, row id)."""
    return (select(ExternalTask, ProcessInstance.business_key, ProcessDefinition.key,
                   ProcessDefinition.version, ProcessDefinition.id)
            .join(ProcessInstance, ProcessInstance.id == ExternalTask.process_instance_id)
            .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id))


def _checked_topics(topics) -> dict:
    """topic name -> (lock duration ms, variable names or None)."""
    problem = "must be a non-empty list of {name, lock_duration_ms, variables?}"
    if not isinstance(topics, list) or not topics:
        raise InvalidInput("Invalid fetch", {"topics": [problem]})
    checked = {}
    for topic in topics:
        name = topic.get("name") if isinstance(topic, dict) else None
        lock = topic.get("lock_duration_ms") if isinstance(topic, dict) else None
        wanted = topic.get("variables") if isinstance(topic, dict) else None
        if not isinstance(name, str) or not name or not isinstance(lock, int) \
                or isinstance(lock, bool) or not 1 <= lock <= MAX_LOCK_MS or not (
                    wanted is None or (isinstance(wanted, list)
                                       and all(isinstance(v, str) for v in wanted))):
            raise InvalidInput("Invalid fetch", {"topics": [problem]})
        checked[name] = (lock, wanted)
    return checked


def _check_worker(worker_id) -> None:
    if not isinstance(worker_id, str) or not worker_id.strip() or len(worker_id) > 255:
        raise InvalidInput("Invalid worker", {"worker_id": ["must be a text of 1 to 255 "
                                                            "characters"]})


# ---------------------------------------------------------------- the holder reports

def complete_external_task(ctx: EngineContext, actor: Actor, task_id: str, worker_id,
                           variables=None) -> None:
    variables = _checked_variables(worker_id, variables)
    _report(ctx, actor, task_id, _Completion(worker_id, variables))


def external_task_bpmn_error(ctx: EngineContext, actor: Actor, task_id: str, worker_id,
                             error_code, message=None, variables=None) -> str | None:
    """The element id of the error boundary event that caught the error. When none does,
    None: the task fails as a worker's last failure does (the instance waits in `error` for
    an admin, the error's code and message in its message, its variables in the details),
    instead of the worker being refused and fetching the task again and again."""
    variables = _checked_variables(worker_id, variables)
    if not isinstance(error_code, str) or not error_code.strip() or len(error_code) > 255:
        raise InvalidInput("Invalid BPMN error", {"error_code": ["must be a text of 1 to 255 "
                                                                 "characters"]})
    try:
        return _report(ctx, actor, task_id, _BpmnError(worker_id, error_code, message, variables))
    except _Uncaught as uncaught:  # nothing was written: the failure is reported instead
        details = json.dumps({"variables": variables}, ensure_ascii=False) if variables else None
        _report(ctx, actor, task_id, _Incident(worker_id, str(uncaught), details))
        return None


def external_task_failure(ctx: EngineContext, actor: Actor, task_id: str, worker_id,
                          message=None, details=None, retries=0, retry_timeout_ms=0) -> None:
    _check_worker(worker_id)
    errors = {}
    if message is not None and not isinstance(message, str):
        errors["message"] = ["must be a text"]
    if details is not None and not isinstance(details, str):
        errors["details"] = ["must be a text"]
    for field, value in (("retries", retries), ("retry_timeout_ms", retry_timeout_ms)):
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_LOCK_MS:
            errors[field] = ["must be a whole number, 0 or more"]
    if errors:
        raise InvalidInput("Invalid failure", errors)
    if retries > 0:  # the task waits for its next try: the instance does not change
        policy.require_worker(actor)
        now = ctx.clock.now()
        with ctx.db.write() as s:
            row = _held(s, task_id, worker_id, now, lock=True)
            row.worker_id, row.lock_expires_at = None, None
            row.retries, row.fetchable_at = retries, now + timedelta(milliseconds=retry_timeout_ms)
            row.error_message, row.error_details = message, details
        return
    _report(ctx, actor, task_id, _Incident(worker_id, message or "", details))


def extend_external_task_lock(ctx: EngineContext, actor: Actor, task_id: str, worker_id,
                              new_duration_ms) -> None:
    policy.require_worker(actor)
    _check_worker(worker_id)
    if not isinstance(new_duration_ms, int) or isinstance(new_duration_ms, bool) \
            or not 1 <= new_duration_ms <= MAX_LOCK_MS:
        raise InvalidInput("Invalid lock", {"new_duration_ms": [f"must be 1 to {MAX_LOCK_MS}"]})
    now = ctx.clock.now()
    with ctx.db.write() as s:
        _held(s, task_id, worker_id, now, lock=True).lock_expires_at = \
            now + timedelta(milliseconds=new_duration_ms)


def unlock_external_task(ctx: EngineContext, actor: Actor, task_id: str) -> None:
    """Release a task's lock, whoever holds it (a stuck worker): fetchable again at once."""
    policy.require_worker(actor)
    with ctx.db.write() as s:
        row = s.get(ExternalTask, task_id, with_for_update=True)
        if row is None:
            raise ExternalTaskNotFound(f"no external task '{task_id}'")
        row.worker_id, row.lock_expires_at = None, None


def list_external_tasks(ctx: EngineContext, actor: Actor, topic: str | None = None,
                        process_instance_id: str | None = None) -> list[LockedTask]:
    """The service tasks waiting for workers, oldest first, locked or not (then
    `worker_id` is None), with their error and retries."""
    policy.require_worker(actor)
    with ctx.db.read() as s:
        query = (_with_instance()
                 .order_by(ExternalTask.created_at, ExternalTask.id))
        if topic:
            query = query.where(ExternalTask.topic == topic)
        if process_instance_id:
            query = query.where(ExternalTask.process_instance_id == process_instance_id)
        return [_listed(row, business_key, definition)
                for row, business_key, *definition in s.execute(query).all()]


def _listed(row: ExternalTask, business_key, definition) -> LockedTask:
    return LockedTask(row.id, row.topic, row.worker_id, row.lock_expires_at,
                      row.process_instance_id, business_key, row.element_id, row.retries,
                      row.error_message, {}, tuple(definition), row.error_details)


def get_external_task(ctx: EngineContext, actor: Actor, task_id: str) -> LockedTask:
    """One service task waiting for a worker (or out of retries: `retries` 0), without its
    variables."""
    policy.require_worker(actor)
    with ctx.db.read() as s:
        found = s.execute(_with_instance().where(ExternalTask.id == task_id)).one_or_none()
        if found is None:
            raise ExternalTaskNotFound(f"no external task '{task_id}'")
        row, business_key, *definition = found
        return _listed(row, business_key, definition)


def set_external_task_retries(ctx: EngineContext, actor: Actor, task_id: str,
                              retries) -> None:
    """An admin's retries for a task: a waiting task keeps them for its next failures (0
    makes the incident a worker's last failure makes); a task out of retries comes back,
    fetchable, through the admin's retry of its instance."""
    policy.require_admin(actor)
    if not isinstance(retries, int) or isinstance(retries, bool) \
            or not 0 <= retries <= INT32_MAX:
        raise InvalidInput("Invalid retries", {"retries": ["must be a whole number, 0 or "
                                                           "more"]})
    with ctx.db.read() as s:
        row = s.get(ExternalTask, task_id)
        if row is None:
            raise ExternalTaskNotFound(f"no external task '{task_id}'")
        instance_id, out_of_retries = row.process_instance_id, row.retries == 0
    if out_of_retries and retries > 0:
        retry_instance(ctx, actor, instance_id, reason=f"external task '{task_id}' given "
                                                       f"{retries} retries")
    elif not out_of_retries and retries == 0:
        _report(ctx, actor, task_id, _RetriesTaken(actor.username))
        return
    with ctx.db.write() as s:
        row = s.get(ExternalTask, task_id, with_for_update=True)
        if row is not None and (row.retries != 0 or retries == 0):
            row.retries = retries


def _checked_variables(worker_id, variables) -> dict:
    _check_worker(worker_id)
    variables = {} if variables is None else variables
    if not isinstance(variables, dict):
        raise InvalidInput("Invalid variables", {"variables": ["must be an object"]})
    _check_json_data(variables)
    return variables


def _held(s, task_id: str, worker_id: str, now, lock: bool = False) -> ExternalTask:
    row = s.get(ExternalTask, task_id, with_for_update=lock)
    if row is None:
        raise ExternalTaskNotFound(f"no external task '{task_id}'")
    if row.worker_id != worker_id or row.lock_expires_at is None or row.lock_expires_at <= now:
        raise ExternalTaskNotLocked(f"worker '{worker_id}' does not hold the lock of "
                                    f"external task '{task_id}'")
    return row


def _report(ctx, actor, task_id, command: "_Report"):
    policy.require_worker(actor)
    command.actor, command.task_id, command.now = actor, task_id, ctx.clock.now()
    with ctx.db.read() as s:
        instance_id = s.scalar(select(ExternalTask.process_instance_id)
                               .where(ExternalTask.id == task_id))
    if instance_id is None:
        raise ExternalTaskNotFound(f"no external task '{task_id}'")
    return change_instance(ctx, command, instance_id,
                           missing=ExternalTaskNotFound(f"no external task '{task_id}'"))


class _Report(InstanceCommand):
    """What the worker holding an external task's lock reports, as an instance command."""
    name = "external_task"

    def __init__(self, worker_id: str):
        self.worker_id = worker_id

    def check(self, s, instance):
        _held(s, self.task_id, self.worker_id, self.now)

    def prepare(self, s, instance):
        row = s.get(ExternalTask, self.task_id)
        # when the task began to wait: the log's only trace of its start (history)
        self.element_id, self.waiting_since = row.element_id, row.created_at

    def act(self, wf, now, thrown):
        task = external_tasks.waiting_task(wf, self.task_id)
        if task is None:
            raise ExternalTaskNotFound(f"external task '{self.task_id}' no longer waits")
        return self.finish(wf, task, now, thrown)

    def record(self, s, instance, log, now, wf):
        log.append(self.event_type, self.actor.username, now, element_id=self.element_id,
                   task_id=self.task_id, payload={**self.payload(),
                                                  "worker_id": self.worker_id,
                                                  "waiting_since": event_log.iso(
                                                      self.waiting_since),
                                                  "state_digest": runtime.state_digest(wf)})


class _Completion(_Report):
    event_type = event_log.EXTERNAL_TASK_COMPLETED

    def __init__(self, worker_id, variables):
        super().__init__(worker_id)
        self.variables = variables

    def finish(self, wf, task, now, thrown):
        runtime.complete_external_task(wf, task, self.variables, now, thrown)

    def payload(self):
        return {"variables": self.variables}


class _Uncaught(Exception):
    """No error boundary event catches a worker's BPMN error (raised before any write)."""


class _BpmnError(_Report):
    event_type = event_log.EXTERNAL_TASK_BPMN_ERROR

    def __init__(self, worker_id, error_code, message, variables):
        super().__init__(worker_id)
        self.error_code, self.message, self.variables = error_code, message, variables

    def finish(self, wf, task, now, thrown):
        self.caught = runtime.external_task_error(wf, task, self.error_code, self.variables,
                                                  now, thrown)
        if self.caught is None:
            said = f" ({self.message})" if self.message else ""
            raise _Uncaught(f"BPMN error '{self.error_code}'{said}: no error boundary event "
                            f"on '{self.element_id}' catches it")

    def payload(self):
        return {"error_code": self.error_code, "message": self.message,
                "variables": self.variables, "caught_by": self.caught}

    def result(self, s, instance, new_tasks):
        return self.caught


class _Incident(_Report):
    """No retries left: the task fails and the instance waits in error for an admin."""
    event_type = event_log.EXTERNAL_TASK_FAILED

    def __init__(self, worker_id, message, details):
        super().__init__(worker_id)
        self.message, self.details = message, details

    def finish(self, wf, task, now, thrown):
        external_tasks.fail(task)

    def payload(self):
        return {"message": self.message, "details": self.details, "retries": 0}

    def record(self, s, instance, log, now, wf):
        super().record(s, instance, log, now, wf)
        row = s.get(ExternalTask, self.task_id)  # kept while the instance waits in error
        row.retries, row.error_message, row.error_details = 0, self.message, self.details
        row.worker_id, row.lock_expires_at = None, None
        record_error(instance, log, now,
                     external_tasks.incident_message(self.element_id, self.message))


class _RetriesTaken(_Incident):
    """An admin sets a waiting task's retries to 0: the incident a worker's last failure
    makes, whoever holds the lock."""

    def __init__(self, admin: str):
        super().__init__(None, f"retries set to 0 by {admin}", None)

    def check(self, s, instance):
        if instance.status != "running":
            raise InstanceNotRunning(f"the process instance is {instance.status}")
        row = s.get(ExternalTask, self.task_id)
        if row is None or row.retries == 0:
            raise ExternalTaskNotFound(f"external task '{self.task_id}' no longer waits")
