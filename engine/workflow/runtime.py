"""SpiffWorkflow behind one narrow surface: build specs, create, load, run and save workflows,
read their user tasks. Nothing else in the engine imports SpiffWorkflow's workflow classes.

Specs are stored once per deployed version and instances without them: an instance's state
is the serialized task tree and data only, restored against the (cached, read-only) spec.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, TaskConverter
from SpiffWorkflow.bpmn.specs.mixins import ManualTaskMixin, NoneTaskMixin
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.workflow import decisions, events, external_tasks, sandbox, timers
from engine.workflow.run_guard import RunFailed, guarded
from engine.workflow.sandbox import (
    SCRIPT_ENGINE,
    ScriptFailed,
    ScriptKilled,
    ScriptOutOfMemory,
    ScriptRejected,
    ScriptTimeout,
    script_time,
)

timers.install()
external_tasks.install()
decisions.install()

_SETTLED = TaskState.COMPLETED | TaskState.CANCELLED
# What running a diagram may raise: the instance goes to `error`, the caller sees no crash.
RUN_ERRORS = (SpiffWorkflowException, ScriptRejected, ScriptFailed, ScriptKilled,
              ScriptTimeout, ScriptOutOfMemory, RunFailed)
_run_guard = guarded(RUN_ERRORS)  # anything else a run raises becomes RunFailed


def configure_scripts(settings) -> None:
    """Run this process's scripts under the settings' limits (`script_*`): every workflow
    shares one jail per process, so the latest call decides for all."""
    sandbox.configure(sandbox.Limits(
        time_s=settings.script_time_limit_s, memory_mib=settings.script_memory_mib,
        workers=settings.script_workers, max_data_bytes=settings.script_max_data_bytes))


class _InstanceConverter(BpmnWorkflowConverter):
    """Serializes a workflow without its specs and restores it against given spec objects."""

    def to_dict(self, workflow):
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class _TaskConverter(TaskConverter):
    """Converts a task's internal data completely: an event-based gateway keeps the events
    it saw there (SpiffWorkflow objects), which the registry's fast mode would leave for a
    JSON encoder the engine does not use."""

    def to_dict(self, task):
        dct = super().to_dict(task)
        if task.internal_data and self.registry._encoder_mode:
            self.registry._encoder_mode = False
            try:
                dct["internal_data"] = self.registry.convert(task.internal_data)
            finally:
                self.registry._encoder_mode = True
        return dct


def _make_serializers():
    spec_registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
    instance_config = dict(SPIFF_CONFIG)
    instance_config[BpmnWorkflow] = _InstanceConverter
    instance_config[Task] = _TaskConverter
    instance_registry = BpmnWorkflowSerializer.configure(instance_config)
    return BpmnWorkflowSerializer(spec_registry), BpmnWorkflowSerializer(instance_registry)


_SPEC_SERIALIZER, _INSTANCE_SERIALIZER = _make_serializers()
STATE_FORMAT = _INSTANCE_SERIALIZER.VERSION


@dataclass(frozen=True)
class ExecutableSpec:
    """A process spec with every process it calls: immutable, shared by all its instances."""
    spec: object
    subprocess_specs: dict


def spec_registry():
    """The serializer registry SpiffWorkflow's spec diff compares task specs with."""
    return _SPEC_SERIALIZER.registry


def dump_spec(spec, subprocess_specs) -> str:
    registry = _SPEC_SERIALIZER.registry
    return json.dumps({
        "spec": registry.convert(spec),
        "subprocess_specs": {name: registry.convert(s) for name, s in subprocess_specs.items()},
    }, separators=(",", ":"))


def load_spec(text: str) -> ExecutableSpec:
    dct = json.loads(text)
    registry = _SPEC_SERIALIZER.registry
    return ExecutableSpec(
        spec=registry.restore(dct["spec"]),
        subprocess_specs={name: registry.restore(s) for name, s in dct["subprocess_specs"].items()},
    )


def new_workflow(executable: ExecutableSpec, data: dict | None = None) -> BpmnWorkflow:
    wf = BpmnWorkflow(executable.spec, executable.subprocess_specs, script_engine=SCRIPT_ENGINE)
    for task in wf.get_tasks(state=TaskState.READY):  # the start task; its data flows onward
        task.data.update(data or {})
    return wf


def _convert(obj) -> dict:
    registry = _INSTANCE_SERIALIZER.registry
    registry._encoder_mode = True  # lets the registry's JSON encoder see custom types
    try:
        return registry.convert(obj)
    finally:
        registry._encoder_mode = False


def state_dict(wf: BpmnWorkflow) -> dict:
    """The whole instance state as one JSON-ready dict (the workflow, its subprocesses and
    every task)."""
    dct = _convert(wf)
    dct[_INSTANCE_SERIALIZER.VERSION_KEY] = STATE_FORMAT
    return dct


def dump_state(wf: BpmnWorkflow) -> str:
    return json.dumps(state_dict(wf), separators=(",", ":"))


def workflows_of(wf: BpmnWorkflow) -> dict[str, object]:
    """The top workflow ('') and each subprocess (by the id of the task that calls it)."""
    return {"": wf, **{str(key): sp for key, sp in wf.subprocesses.items()}}


def state_head(wf: BpmnWorkflow) -> dict:
    """The state without its tasks: each workflow's data, events and attributes, with empty
    task maps for the task rows to fill (see engine/persistence/state_store.py)."""
    workflows = list(workflows_of(wf).values())
    tasks = [w.tasks for w in workflows]
    try:
        for w in workflows:
            w.tasks = {}  # the converters then leave the tasks out
        return state_dict(wf)
    finally:
        for w, kept in zip(workflows, tasks):
            w.tasks = kept


def task_dict(task) -> dict:
    """One task as the state stores it (its data as a delta against its parent's)."""
    return _convert(task)


def load_state(text: str, executable: ExecutableSpec) -> BpmnWorkflow:
    return restore_state(json.loads(text), executable)


def restore_state(dct: dict, executable: ExecutableSpec) -> BpmnWorkflow:
    """The workflow from a state dict; every parent task must come before its children."""
    _INSTANCE_SERIALIZER.migrate(dct)
    wf = _INSTANCE_SERIALIZER.registry.restore(
        dct, spec=executable.spec, subprocess_specs=executable.subprocess_specs)
    # The script engine is not serialized; without this, scripts would run in this process.
    wf.script_engine = SCRIPT_ENGINE
    return wf


@_run_guard
def run_to_wait_states(wf: BpmnWorkflow, now: datetime | None = None,
                       on_complete=None) -> None:
    """Run every task the engine can run (timers that are due fire); scripts and timers see
    `now` (default: the wall clock) as the current time. `on_complete(task)` is told of
    every task the engine completed."""
    with script_time(now):
        wf.refresh_timers()
        wf.do_engine_steps(did_complete_task=on_complete)
        while passing := _ready_tasks(wf, is_pass_through):
            for task in passing:
                task.run()
                if on_complete:
                    on_complete(task)
            wf.do_engine_steps(did_complete_task=on_complete)
    events.raise_uncaught_errors(wf)


def is_pass_through(task_spec) -> bool:
    """`bpmn:task` and `bpmn:manualTask` complete at once, as Camunda 7 runs them: nobody
    is asked to confirm work done outside the engine."""
    return isinstance(task_spec, (NoneTaskMixin, ManualTaskMixin))


def _ready_tasks(wf: BpmnWorkflow, wanted) -> list:
    """Ready tasks whose spec is `wanted`, in creation order (top-level process first,
    then each subprocess). Reads the task maps instead of walking the task tree, whose
    walk grows with the instance's history."""
    return [task for workflow in (wf, *wf.subprocesses.values())
            for task in workflow.tasks.values()
            if task.state == TaskState.READY and wanted(task.task_spec)]


def _waits_for_a_person(task_spec) -> bool:
    return task_spec.manual and not is_pass_through(task_spec)


def ready_user_tasks(wf: BpmnWorkflow) -> list:
    """The user tasks waiting for a person, in creation order."""
    return _ready_tasks(wf, _waits_for_a_person)


def is_completed(wf: BpmnWorkflow) -> bool:
    """Whether the workflow has finished. SpiffWorkflow's own check walks the task tree
    until it meets an unfinished task, past every settled iteration of a long loop; a scan
    of the task map costs far less, and SpiffWorkflow confirms (and records) a yes."""
    if wf.completed:
        return True
    if any(task.state & TaskState.NOT_FINISHED_MASK for task in wf.tasks.values()):
        return False
    return wf.is_completed()


def is_settled(task) -> bool:
    """Completed or cancelled: the task will not change again."""
    return bool(task.state & _SETTLED)


_PREDICTED = TaskState.FUTURE | TaskState.PREDICTED_MASK  # not yet reached


def prediction_mark(task):
    """For a predicted task (FUTURE, LIKELY, MAYBE) with no data of its own: everything its
    stored form depends on (its delta against the parent is the parent's keys). Equal marks
    mean an equal stored form, so a save need not serialize it again. None otherwise."""
    if not task.state & _PREDICTED or task.data or task.internal_data:
        return None
    parent = task.parent
    return (task.state, task.last_state_change, task.triggered, tuple(task._children),
            task._parent, tuple(parent.data) if parent is not None else ())


def is_ready_user_task(task) -> bool:
    return task.state == TaskState.READY and _waits_for_a_person(task.task_spec)


def task_by_id(wf: BpmnWorkflow, task_id: str):
    try:
        return wf.get_task_from_id(UUID(str(task_id)))
    except (ValueError, KeyError, TypeError):
        return None


@_run_guard
def complete_user_task(wf: BpmnWorkflow, task, data: dict, now: datetime | None = None,
                       on_complete=None) -> None:
    task.data.update(data)
    with script_time(now):
        task.run()
    run_to_wait_states(wf, now, on_complete)


def next_timer_at(wf: BpmnWorkflow) -> datetime | None:
    """When the earliest waiting timer of the instance fires, or None."""
    return events.next_timer_at(wf)


def due_timer_ids(wf: BpmnWorkflow, now: datetime) -> dict[str, str]:
    """task id -> element id of the waiting timers due at `now`."""
    return events.due_timer_ids(wf, now)


def failed_element_ids(wf: BpmnWorkflow) -> list[str]:
    """The elements whose step failed (what an admin's retry runs again), sorted."""
    return sorted({task.task_spec.bpmn_id for task in wf.get_tasks(state=TaskState.ERROR)})


@_run_guard
def retry_failed_tasks(wf: BpmnWorkflow, data_patch: dict, now: datetime | None = None,
                      on_complete=None) -> list[str]:
    """Run the tasks that failed again, from their parent's data plus `data_patch`; return
    their element ids."""
    failed = wf.get_tasks(state=TaskState.ERROR)
    for task in failed:
        task.reset_branch(None)  # ready again, with its parent's data
        task.data.update(data_patch)  # after the reset: becoming ready re-copies the data
    run_to_wait_states(wf, now, on_complete)
    return [task.task_spec.bpmn_id for task in failed]


@_run_guard
def trigger_start(wf: BpmnWorkflow, kind: str, name: str, payload: dict,
                  now: datetime | None = None, on_complete=None) -> str | None:
    """Set off the start event of a new instance that waits for this message, signal or
    timer (events.trigger_start) and run on; its element id, or None."""
    with script_time(now):
        element = events.trigger_start(wf, kind, name, payload)
    if element is not None:
        run_to_wait_states(wf, now, on_complete)
    return element


@_run_guard
def deliver_event(wf: BpmnWorkflow, kind: str, name: str, payload: dict, correlation: dict,
                  now: datetime | None = None, on_complete=None) -> list[str]:
    """Deliver a message or signal to the instance's waiting catches (events.deliver) and
    run on; the elements reached."""
    with script_time(now):
        reached = events.deliver(wf, kind, name, payload, correlation)
    if reached:
        run_to_wait_states(wf, now, on_complete)
    return reached


@_run_guard
def complete_external_task(wf: BpmnWorkflow, task, variables: dict, now: datetime | None = None,
                           on_complete=None) -> None:
    """A worker finished a waiting service task: its variables join, the instance runs on."""
    with script_time(now):
        external_tasks.complete(task, variables)
    run_to_wait_states(wf, now, on_complete)


@_run_guard
def external_task_error(wf: BpmnWorkflow, task, error_code: str, variables: dict,
                        now: datetime | None = None, on_complete=None) -> str | None:
    """A worker raised a BPMN error on a waiting service task; the error boundary event
    that caught it (the instance runs on from there), or None."""
    with script_time(now):
        caught = external_tasks.throw_error(task, error_code, variables)
    if caught is not None:
        run_to_wait_states(wf, now, on_complete)
    return caught


def cancel(wf: BpmnWorkflow) -> None:
    wf.cancel()


def state_digest(wf: BpmnWorkflow) -> str:
    """A fingerprint of what the instance holds, free of task ids (which are random): the
    open user tasks with their data, the workflow data, and whether it has completed."""
    open_tasks = sorted(canonical_json({"process": process_id_of(t), "element": t.task_spec.bpmn_id,
                                        "data": t.data}) for t in ready_user_tasks(wf))
    return hashlib.sha256(canonical_json({"open": open_tasks, "data": wf.data,
                                          "completed": is_completed(wf)}).encode()).hexdigest()


def canonical_json(value) -> str:
    """One spelling per value: sorted keys, no spaces, UTF-8; other types as their string."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)


def process_id_of(task) -> str:
    return task.workflow.spec.name
