"""BPMN events that cross an instance's border: what a diagram threw that no element of the
same instance caught (messages, signals, uncaught errors and escalations), and the
instance's waiting timers.

SpiffWorkflow keeps an uncaught thrown event in the workflow (`bpmn_events`), which is not
part of the stored state: the engine takes them out after every run and hands them on.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (
    ErrorEventDefinition,
    EscalationEventDefinition,
    SignalEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.util.task import TaskState

from engine.workflow import spec_features, timers
from engine.workflow.run_guard import RunFailed
from engine.workflow.sandbox import SCRIPT_ENGINE, current_time, script_time

KINDS = ((MessageEventDefinition, "message"), (SignalEventDefinition, "signal"),
         (ErrorEventDefinition, "error"), (EscalationEventDefinition, "escalation"))


@dataclass(frozen=True)
class ThrownEvent:
    kind: str  # message, signal, error, escalation (or the definition's class name)
    name: str  # the message's or signal's name; for errors and escalations their code
    payload: dict  # the data of the task that threw it


def raise_uncaught_errors(wf) -> None:
    """A BPMN error no error boundary event caught stops the instance (an incident for an
    admin) instead of ending its path silently. The error is taken out of the workflow, so
    it is reported once (and once again in replay)."""
    uncaught = [e for e in wf.bpmn_events if isinstance(e.event_definition, ErrorEventDefinition)]
    if uncaught:
        wf.bpmn_events = [e for e in wf.bpmn_events if e not in uncaught]
        definition = uncaught[0].event_definition
        raise RunFailed(f"BPMN error '{definition.code or definition.name}' "
                        f"({definition.name}) was thrown and no error boundary event caught it")


def kind_of(definition) -> str:
    for cls, kind in KINDS:
        if isinstance(definition, cls):
            return kind
    return type(definition).__name__


def take_thrown(wf) -> list[ThrownEvent]:
    """The events thrown out of the instance since the last call (removed from it)."""
    taken = []
    for event in wf.get_events():
        definition = event.event_definition
        name = getattr(definition, "code", None) or definition.name or ""
        payload = event.payload if isinstance(event.payload, dict) else {}
        taken.append(ThrownEvent(kind_of(definition), name, payload))
    return taken


def timer_of(task_spec) -> TimerEventDefinition | None:
    """The timer a catching event (or an event-based gateway, whose definition holds each
    event behind it) waits for, or None."""
    definition = getattr(task_spec, "event_definition", None)
    if isinstance(definition, MultipleEventDefinition):
        definition = next((d for d in definition.event_definitions
                           if isinstance(d, TimerEventDefinition)), None)
    return definition if isinstance(definition, TimerEventDefinition) else None


def _waiting_timers(wf) -> list:
    """(task, its due time) of the timers waiting to fire, from the workflow's registry of
    waiting events (not a walk of the task tree). SpiffWorkflow names their definitions
    TimeDate-, Duration- and CycleTimerEventDefinition: the test is on the class."""
    found = []
    for task in wf.event_manager.tasks.values():
        timer = timer_of(task.task_spec) if task.state == TaskState.WAITING else None
        if timer is not None:
            found.append((task, timers.due_time(timer.details(task).value)))
    return found


def next_timer_at(wf) -> datetime | None:
    """When the earliest waiting timer of the instance fires, or None."""
    due = [moment for _, moment in _waiting_timers(wf) if moment is not None]
    return min(due) if due else None


def due_timer_ids(wf, now: datetime) -> dict[str, str]:
    """task id -> element id of the waiting timers due at `now` (a cycle stays waiting
    after it fired, so what fired is what was due, not what stopped waiting)."""
    return {str(task.id): _timer_element(task.task_spec) for task, due in _waiting_timers(wf)
            if due is not None and due < now}  # SpiffWorkflow fires strictly after


def _timer_element(task_spec) -> str:
    """The timer event's element: behind an event-based gateway, the catch event that
    waits for the gateway's timer (the gateway holds its events' definitions, in the order
    of its outgoing flows)."""
    definition = task_spec.event_definition
    if isinstance(definition, MultipleEventDefinition) \
            and len(definition.event_definitions) == len(task_spec.outputs):
        index = definition.event_definitions.index(timer_of(task_spec))
        return task_spec.outputs[index].bpmn_id
    return task_spec.bpmn_id


# ---------------------------------------------------------------- messages and signals

DELIVERABLE = {"message": MessageEventDefinition, "signal": SignalEventDefinition}


@dataclass(frozen=True)
class Catch:
    """A message or signal catch an instance waits at."""
    task_id: str
    kind: str
    name: str
    element_id: str


def _definitions_of(task_spec) -> list[tuple[object, str]]:
    """(event definition, element id) a waiting task catches with: an event-based gateway
    holds its branches' definitions, in the order of its outgoing flows."""
    definition = getattr(task_spec, "event_definition", None)
    if isinstance(definition, MultipleEventDefinition):
        outputs = task_spec.outputs
        same = len(outputs) == len(definition.event_definitions)
        return [(d, outputs[i].bpmn_id if same else task_spec.bpmn_id)
                for i, d in enumerate(definition.event_definitions)]
    return [(definition, task_spec.bpmn_id)] if definition is not None else []


def has_catches(wf) -> bool:
    """Whether the process has any message or signal catch at all."""
    return spec_features.uses(wf, "catches", lambda task_spec: any(
        kind_of(definition) in DELIVERABLE for definition, _ in _definitions_of(task_spec)))


def waiting_catches(wf) -> list[Catch]:
    """The message and signal catches of the instance that wait now."""
    found = []
    for task in wf.event_manager.tasks.values():
        if task.state != TaskState.WAITING:
            continue
        for definition, element_id in _definitions_of(task.task_spec):
            kind = kind_of(definition)
            if kind in DELIVERABLE and definition.name:
                found.append(Catch(str(task.id), kind, definition.name, element_id))
    return found


def deliver(wf, kind: str, name: str, payload: dict, correlation: dict | None = None) -> list[str]:
    """Catch the message or signal `name` at every waiting catch of the instance whose task
    data holds `correlation` (variable -> value). Its `payload` becomes variables of the
    instance (and, where the diagram names a message or signal variable, that variable).
    Returns the elements reached (none: nothing waited for it here)."""
    reached = []
    for task in list(wf.event_manager.tasks.values()):
        if task.state != TaskState.WAITING:
            continue
        if any(task.data.get(variable) != value for variable, value in (correlation or {}).items()):
            continue
        for definition, element_id in _definitions_of(task.task_spec):
            # the catch's own definition: dialects subclass SpiffWorkflow's definitions,
            # which compare equal only to their own class
            if kind_of(definition) != kind or definition.name != name:
                continue
            event = BpmnEvent(definition, payload=dict(payload))
            task.data.update(payload)
            task.task_spec.catch(task, event)
            task.task_spec._update(task)
            reached.append(element_id)
            break
    return reached


@dataclass(frozen=True)
class StartEvent:
    """A start event that waits for something: a message, a signal or a timer."""
    element_id: str
    kind: str  # message, signal, timer
    name: str  # the message's or signal's name; for a timer its element id
    timer: TimerEventDefinition | None = None


def start_events(spec) -> list[StartEvent]:
    """The top-level start events of a process that wait for an event."""
    found = []
    for task_spec in spec.task_specs.values():
        if type(task_spec).__name__ != "StartEvent":
            continue
        definition = getattr(task_spec, "event_definition", None)
        timer = timer_of(task_spec)
        if timer is not None:
            found.append(StartEvent(task_spec.bpmn_id, "timer", task_spec.bpmn_id, timer))
        elif kind_of(definition) in DELIVERABLE and definition.name:
            found.append(StartEvent(task_spec.bpmn_id, kind_of(definition), definition.name))
    return found


def trigger_start(wf, kind: str, name: str, payload: dict) -> str | None:
    """Set off the start event of a new instance that catches `kind`/`name` (for a timer:
    the start event's element id); its element id, or None. A timer start event whose
    time has already come has fired by itself: that counts."""
    for task in list(wf.tasks.values()):
        spec = task.task_spec
        if type(spec).__name__ != "StartEvent":
            continue
        timer = timer_of(spec)
        if kind == "timer":
            if timer is None or spec.bpmn_id != name:
                continue
            if task.state == TaskState.WAITING:
                _fire_start_timer(task, timer)
            return spec.bpmn_id if task.state & TaskState.FINISHED_MASK or \
                task.state == TaskState.READY else None
        if task.state == TaskState.WAITING and kind in DELIVERABLE \
                and kind_of(spec.event_definition) == kind and spec.event_definition.name == name:
            spec.catch(task, BpmnEvent(spec.event_definition, payload=dict(payload)))
            spec._update(task)
            return spec.bpmn_id
    return None


def _fire_start_timer(task, timer) -> None:
    """Fire a waiting timer start event now, once. A cycle makes a path per repetition when
    its next time has passed: it is given one repetition, due now, then none."""
    spec = task.task_spec
    if isinstance(timer, CycleTimerEventDefinition):
        due = current_time() - timedelta(microseconds=1)
        task._set_internal_data(event_value={"cycles": 1, "next": due.isoformat(),
                                             "duration": 0})
        spec._update(task)  # the one path
        spec._update(task)  # no repetition left: marked as fired
        spec._update(task)  # and so it completes
    else:
        spec.catch(task, BpmnEvent(timer))
        spec._update(task)


# ---------------------------------------------------------------- timer start events

@dataclass(frozen=True)
class StartSchedule:
    """When a timer start event starts instances: first at `due_at`, then (a cycle) every
    `interval_s` seconds, `repeats_left` more times (None: forever)."""
    due_at: datetime | None
    interval_s: int | None = None
    repeats_left: int | None = 0


def start_schedule(timer: TimerEventDefinition, now: datetime) -> StartSchedule:
    """The schedule of a timer start event as of `now`: a date is that date, a duration
    runs from `now`, a cycle (`R3/PT1H`, `R/2026-03-02T08:00:00+07:00/P1W`) starts at its
    start or one interval from `now`. Its expression is evaluated in the jail."""
    with script_time(now):
        value = SCRIPT_ENGINE.environment.evaluate(timer.expression, {})
        if not isinstance(value, str):
            raise ValueError(f"timer expression {timer.expression!r} gave {value!r}, not text")
        if isinstance(timer, CycleTimerEventDefinition):
            cycles, start, duration = TimerEventDefinition.parse_iso_recurring_interval(value)
            if cycles == 0:
                return StartSchedule(None)
            return StartSchedule(_aware(start), int(duration.total_seconds()),
                                 None if cycles < 0 else cycles - 1)
        moment = TimerEventDefinition.parse_time_or_duration(value)
        if not isinstance(moment, datetime):  # a duration: from now
            moment = now + TimerEventDefinition.get_timedelta_from_start(moment, now)
        return StartSchedule(_aware(moment))


def next_start(schedule: StartSchedule, due_at: datetime, now: datetime) -> StartSchedule:
    """The schedule after the start due at `due_at`: a cycle's first due time after `now`
    (due times missed while no worker ran are skipped: one start stands for them), else
    nothing more."""
    if schedule.interval_s is None or schedule.interval_s <= 0 or schedule.repeats_left == 0:
        return StartSchedule(None)
    step = timedelta(seconds=schedule.interval_s)
    steps = max(1, (now - due_at) // step + 1)  # the first due time after now
    left = schedule.repeats_left
    if left is not None:
        if steps > left:
            return StartSchedule(None)
        left -= steps
    return StartSchedule(due_at + steps * step, schedule.interval_s, left)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
