"""BPMN events that cross an instance's border: what a diagram threw that no element of the
same instance caught (messages, signals, uncaught errors and escalations), and the
instance's waiting timers.

SpiffWorkflow keeps an uncaught thrown event in the workflow (`bpmn_events`), which is not
part of the stored state: the engine takes them out after every run and hands them on.
"""
from __future__ import annotations

from dataclasses import dataclass

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (
    ErrorEventDefinition,
    EscalationEventDefinition,
    SignalEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

KINDS = ((MessageEventDefinition, "message"), (SignalEventDefinition, "signal"),
         (ErrorEventDefinition, "error"), (EscalationEventDefinition, "escalation"))


@dataclass(frozen=True)
class ThrownEvent:
    kind: str  # message, signal, error, escalation (or the definition's class name)
    name: str  # the message's or signal's name; for errors and escalations their code
    payload: dict  # the data of the task that threw it


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


def is_timer(task_spec) -> bool:
    """Whether a catching event waits for a timer (a date, a duration or a cycle)."""
    return isinstance(getattr(task_spec, "event_definition", None), TimerEventDefinition)
