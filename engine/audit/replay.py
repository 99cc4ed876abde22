"""Replay: re-execute an instance from its recorded events against the exact diagram version
it ran on, in a fresh workflow, and check after every event that the replay holds what the
history says; at the end, that it holds what the database stores.

What replay must handle: task ids (SpiffWorkflow makes random UUIDs; recorded ids are mapped
to replayed tasks by process, element and role as `task_ready` events announce them), and
scripts that read the clock (they see the recorded time of the event that ran them).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime

from engine.persistence import event_log
from engine.persistence.event_log import EventRecord
from engine.workflow import external_tasks, instance_data, runtime, version_move
from engine.workflow.model import resolve_role, user_task_key

RUN_ERRORS = runtime.RUN_ERRORS


@dataclass(frozen=True)
class Divergence:
    seq: int | None  # the event at which replay and history part (None: the stored state)
    event_type: str | None
    what: str
    expected: object
    found: object


@dataclass(frozen=True)
class ReplayReport:
    consistent: bool
    events_replayed: int
    divergence: Divergence | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class StoredState:
    """What the database holds for the instance, to compare with the replay's end."""
    status: str
    state_json: str
    open_tasks: dict[str, tuple[str, str]]  # task id -> (element id, role)


# version number -> (executable spec, user-task metadata) of the instance's process
Versions = Callable[[int], tuple[runtime.ExecutableSpec, dict]]


@dataclass
class _Replay:
    versions: Versions
    executable: runtime.ExecutableSpec | None = None
    user_tasks: dict | None = None  # "file#element" -> UserTaskMeta fields
    wf: object = None
    mapped: dict = field(default_factory=dict)  # recorded task id -> replayed task
    last_error: str | None = None
    status: str = "running"
    replayed: int = 0

    def role_of(self, task) -> str:
        meta = self.user_tasks[user_task_key(task.task_spec)]
        return resolve_role(meta["role_template"], task.data)

    def describe(self, task) -> dict:
        return {"process_id": runtime.process_id_of(task), "element_id": task.task_spec.bpmn_id,
                "role": self.role_of(task)}

    def unannounced(self) -> list:
        """Ready tasks of the replay that no `task_ready` event has named yet."""
        known = {id(t) for t in self.mapped.values()}
        return [t for t in runtime.ready_user_tasks(self.wf) if id(t) not in known]


class _Diverged(Exception):
    def __init__(self, divergence: Divergence):
        self.divergence = divergence


def replay(records: list[EventRecord], instance_id: str, versions: Versions,
           stored: StoredState | None = None) -> ReplayReport:
    """Replay `records` (the instance's whole history) against the versions it ran on."""
    problem = event_log.verify_chain(records, instance_id)
    if problem is not None:
        return ReplayReport(False, 0, Divergence(problem.seq, None, "hash chain", "an intact chain",
                                                 problem.reason))
    state = _Replay(versions)
    try:
        for record in records:
            _apply(state, record)
            state.replayed += 1
        _check_quiescent(state, None, None)
        if stored is not None:
            _compare_stored(state, stored)
    except _Diverged as diverged:
        return ReplayReport(False, state.replayed, diverged.divergence)
    return ReplayReport(True, state.replayed)


def _diverge(record: EventRecord | None, what: str, expected, found):
    raise _Diverged(Divergence(record.seq if record else None, record.type if record else None,
                               what, expected, found))


def _apply(state: _Replay, record: EventRecord) -> None:
    at = datetime.fromisoformat(record.occurred_at)
    if record.type == event_log.INSTANCE_STARTED:
        if state.wf is not None:
            _diverge(record, "a second start", "one instance_started event", record.seq)
        state.executable, state.user_tasks = _version(state, record,
                                                      record.payload.get("definition_version"))
        variables = record.payload.get("variables", {})
        state.wf = runtime.new_workflow(state.executable, variables)
        _run(state, record, lambda: runtime.run_to_wait_states(state.wf, at))
        trigger = record.payload.get("trigger")
        if trigger is not None:  # a message, signal or timer set off its start event
            _run(state, record, lambda: runtime.trigger_start(
                state.wf, trigger["kind"], trigger["name"], variables, at))
        _check_digest(state, record)
        return
    if state.wf is None:
        _diverge(record, "history start", "instance_started first", record.type)
    handler = _HANDLERS.get(record.type)
    if handler is None:
        _diverge(record, "event type", "a known event type", record.type)
    handler(state, record, at)


def _version(state: _Replay, record: EventRecord, number):
    try:
        return state.versions(number)
    except Exception as exc:  # an unknown version is a divergence, whatever the lookup raised
        _diverge(record, "process version", f"version {number} available", str(exc))


def _on_migrated(state: _Replay, record: EventRecord, at) -> None:
    """Move the replay to the version the instance was moved to, the same way."""
    target, user_tasks = _version(state, record, record.payload.get("to_version"))
    replay_ids = {recorded: task.id for recorded, task in state.mapped.items()}
    outcome = version_move.migrate(state.wf, target)
    if not outcome.allowed:
        _diverge(record, "migration", "allowed", outcome.reasons)
    state.wf, state.executable, state.user_tasks = outcome.workflow, target, user_tasks
    state.mapped = {recorded: state.wf.get_task_from_id(task_id)
                    for recorded, task_id in replay_ids.items()}
    _run(state, record, lambda: runtime.run_to_wait_states(state.wf, at))
    _check_digest(state, record)


def _on_timers_fired(state: _Replay, record: EventRecord, at) -> None:
    """The worker ran the instance at `at`; its due timers fire again here."""
    _run(state, record, lambda: runtime.run_to_wait_states(state.wf, at))
    _check_digest(state, record)


def _on_event_received(state: _Replay, record: EventRecord, at) -> None:
    """A message or signal reached the instance: deliver it again, the same way."""
    payload = record.payload
    reached = []

    def deliver():
        reached.extend(runtime.deliver_event(state.wf, payload.get("kind"), payload.get("name"),
                                             payload.get("variables", {}),
                                             payload.get("correlation", {}), at))
    _run(state, record, deliver)
    if state.last_error is None and reached != payload.get("elements"):
        _diverge(record, "elements the event reached", payload.get("elements"), reached)
    _check_digest(state, record)


def _external_task(state: _Replay, record: EventRecord):
    task = external_tasks.waiting_task(state.wf, element_id=record.element_id)
    if task is None:
        _diverge(record, "external task", f"{record.element_id} waiting for a worker", None)
    return task


def _on_external_completed(state: _Replay, record: EventRecord, at) -> None:
    task = _external_task(state, record)
    _run(state, record, lambda: runtime.complete_external_task(
        state.wf, task, record.payload.get("variables", {}), at))
    _check_digest(state, record)


def _on_external_bpmn_error(state: _Replay, record: EventRecord, at) -> None:
    task = _external_task(state, record)
    caught = []
    _run(state, record, lambda: caught.append(runtime.external_task_error(
        state.wf, task, record.payload.get("error_code"), record.payload.get("variables", {}),
        at)))
    if state.last_error is None and caught != [record.payload.get("caught_by")]:
        _diverge(record, "error boundary event", record.payload.get("caught_by"), caught)
    _check_digest(state, record)


def _on_external_failed(state: _Replay, record: EventRecord, _at) -> None:
    """No retries left: the task fails; the instance_error event that follows says so."""
    external_tasks.fail(_external_task(state, record))
    state.last_error = external_tasks.incident_message(record.element_id,
                                                       record.payload.get("message", ""))
    state.status = "error"
    _check_digest(state, record)


def _on_task_updated(state: _Replay, record: EventRecord, _at) -> None:
    task = _mapped_ready(state, record)
    role = record.payload.get("role")
    if role is not None and state.role_of(task) != role:
        _diverge(record, "role after migration", role, state.role_of(task))


def _run(state: _Replay, record: EventRecord, step) -> None:
    try:
        step()
        state.last_error = None
    except RUN_ERRORS as exc:
        state.last_error = str(exc)
        state.status = "error"


def _check_digest(state: _Replay, record: EventRecord) -> None:
    expected = record.payload.get("state_digest")
    found = runtime.state_digest(state.wf)
    if expected != found:
        _diverge(record, "instance data after the event", expected, found)


def _mapped_ready(state: _Replay, record: EventRecord):
    task = state.mapped.get(record.task_id)
    if task is None:
        _diverge(record, "task", f"task {record.task_id} announced by task_ready", "never announced")
    if not runtime.is_ready_user_task(task):
        _diverge(record, "task state", f"{record.element_id} ready", task.state)
    return task


def _on_ready(state: _Replay, record: EventRecord, _at) -> None:
    want = {"process_id": record.payload.get("process_id"), "element_id": record.element_id,
            "role": record.payload.get("role")}
    for task in state.unannounced():
        if state.describe(task) == want:
            state.mapped[record.task_id] = task
            return
    _diverge(record, "ready task", want, [state.describe(t) for t in state.unannounced()])


def _on_claim(state: _Replay, record: EventRecord, _at) -> None:
    _mapped_ready(state, record)


def _on_completed(state: _Replay, record: EventRecord, at) -> None:
    _check_quiescent(state, record, "before this completion")
    task = _mapped_ready(state, record)
    _run(state, record, lambda: runtime.complete_user_task(
        state.wf, task, record.payload.get("data", {}), at))
    _check_digest(state, record)


def _on_cancelled(state: _Replay, record: EventRecord, _at) -> None:
    task = state.mapped.get(record.task_id)
    if task is None or runtime.is_ready_user_task(task):
        _diverge(record, "cancelled task", f"{record.element_id} no longer ready",
                 "still ready" if task is not None else "never announced")


def _on_instance_completed(state: _Replay, record: EventRecord, _at) -> None:
    if not state.wf.is_completed():
        _diverge(record, "instance completion", "completed",
                 [state.describe(t) for t in runtime.ready_user_tasks(state.wf)])
    state.status = "completed"


def _on_error(state: _Replay, record: EventRecord, _at) -> None:
    expected = record.payload.get("message")
    if state.last_error != expected:
        _diverge(record, "error of the last step", expected, state.last_error)


def _on_status(state: _Replay, record: EventRecord, _at) -> None:
    """Suspend and resume: an admin's hold on the instance, nothing the workflow computes."""
    before = record.payload.get("status_before")
    if before != state.status:
        _diverge(record, "status before the admin action", state.status, before)
    state.status = record.payload.get("status_after")


def _on_terminated(state: _Replay, record: EventRecord, _at) -> None:
    _on_status(state, record, _at)
    runtime.cancel(state.wf)
    _check_digest(state, record)


def _on_retried(state: _Replay, record: EventRecord, at) -> None:
    _on_status(state, record, at)
    _run(state, record, lambda: runtime.retry_failed_tasks(
        state.wf, record.payload.get("data", {}), at))
    _check_digest(state, record)


def _on_variables_changed(state: _Replay, record: EventRecord, _at) -> None:
    """An admin's change of the instance's variables: the same change to the open tasks."""
    instance_data.change_open_data(state.wf, record.payload.get("values", {}),
                                   record.payload.get("deleted", []))
    _check_digest(state, record)


def _no_engine_effect(state: _Replay, record: EventRecord, _at) -> None:
    """Documents (uploaded, or drafts the engine assembled), the archive and the publication
    change nothing the replay computes; document hashes are checked elsewhere (bundle.py)."""


_HANDLERS = {
    event_log.TASK_READY: _on_ready,
    event_log.TASK_CLAIMED: _on_claim,
    event_log.TASK_UNCLAIMED: _on_claim,
    event_log.TASK_REASSIGNED: _on_claim,
    event_log.TASK_COMPLETED: _on_completed,
    event_log.TASK_CANCELLED: _on_cancelled,
    event_log.INSTANCE_COMPLETED: _on_instance_completed,
    event_log.INSTANCE_ERROR: _on_error,
    event_log.DOCUMENT_UPLOADED: _no_engine_effect,
    event_log.INSTANCE_SUSPENDED: _on_status,
    event_log.INSTANCE_RESUMED: _on_status,
    event_log.INSTANCE_TERMINATED: _on_terminated,
    event_log.INSTANCE_RETRIED: _on_retried,
    event_log.INSTANCE_MIGRATED: _on_migrated,
    event_log.TASK_UPDATED: _on_task_updated,
    event_log.TIMERS_FIRED: _on_timers_fired,
    event_log.EVENT_RECEIVED: _on_event_received,
    event_log.EXTERNAL_TASK_COMPLETED: _on_external_completed,
    event_log.EXTERNAL_TASK_BPMN_ERROR: _on_external_bpmn_error,
    event_log.EXTERNAL_TASK_FAILED: _on_external_failed,
    event_log.DRAFT_BUILT: _no_engine_effect,
    event_log.ARCHIVE_BUILT: _no_engine_effect,
    event_log.LKJ_PUBLISHED: _no_engine_effect,
    event_log.VARIABLES_CHANGED: _on_variables_changed,
}


def _check_quiescent(state: _Replay, record: EventRecord | None, when: str | None) -> None:
    """Every task the replay made ready must have been recorded as ready."""
    if state.wf is None:
        _diverge(record, "history", "an instance_started event", "no events")
    extra = state.unannounced()
    if extra:
        _diverge(record, f"ready tasks {when or 'at the end'}", "only the tasks history recorded",
                 [state.describe(t) for t in extra])


def _compare_stored(state: _Replay, stored: StoredState) -> None:
    stored_wf = runtime.load_state(stored.state_json, state.executable)
    expected, found = runtime.state_digest(state.wf), runtime.state_digest(stored_wf)
    if expected != found:
        _diverge(None, "stored instance state", expected, found)
    open_replayed = {task_id: (task.task_spec.bpmn_id, state.role_of(task))
                     for task_id, task in state.mapped.items()
                     if runtime.is_ready_user_task(task)}
    if open_replayed != stored.open_tasks:
        _diverge(None, "stored open task rows", open_replayed, stored.open_tasks)
    if stored.status != state.status:
        _diverge(None, "stored instance status", state.status, stored.status)
