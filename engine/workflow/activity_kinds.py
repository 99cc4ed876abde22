"""What kind of BPMN element a task spec is, named as Camunda 7 names its activity types
(`userTask`, `intermediateTimer`, `boundaryMessage`, ...): the names BPMN tools and clients
already know, so the engine's activity tree and history speak them too."""
from __future__ import annotations

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (
    ErrorEventDefinition,
    EscalationEventDefinition,
    SignalEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.simple import (
    CancelEventDefinition,
    TerminateEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins import (
    BoundaryEventMixin,
    CallActivityMixin,
    EndEventMixin,
    EventBasedGatewayMixin,
    ExclusiveGatewayMixin,
    InclusiveGatewayMixin,
    IntermediateCatchEventMixin,
    IntermediateThrowEventMixin,
    ManualTaskMixin,
    NoneTaskMixin,
    ParallelGatewayMixin,
    ReceiveTaskMixin,
    ScriptTaskMixin,
    SendTaskMixin,
    ServiceTaskMixin,
    StartEventMixin,
    SubWorkflowTaskMixin,
    TransactionSubprocessMixin,
    UserTaskMixin,
)

# (spec class, its type); the first that matches names the element. Events are named by
# their event definition below.
_PLAIN = (
    (UserTaskMixin, "userTask"), (ManualTaskMixin, "manualTask"),
    (ServiceTaskMixin, "serviceTask"), (ScriptTaskMixin, "scriptTask"),
    (SendTaskMixin, "sendTask"), (ReceiveTaskMixin, "receiveTask"),
    (CallActivityMixin, "callActivity"), (TransactionSubprocessMixin, "transaction"),
    (SubWorkflowTaskMixin, "subProcess"), (EventBasedGatewayMixin, "eventBasedGateway"),
    (ExclusiveGatewayMixin, "exclusiveGateway"), (InclusiveGatewayMixin, "inclusiveGateway"),
    (ParallelGatewayMixin, "parallelGateway"), (NoneTaskMixin, "task"),
)
_DEFINITIONS = ((TimerEventDefinition, "timer"), (MessageEventDefinition, "message"),
                (SignalEventDefinition, "signal"), (ErrorEventDefinition, "error"),
                (EscalationEventDefinition, "escalation"),
                (ConditionalEventDefinition, "conditional"), (CancelEventDefinition, "cancel"),
                (TerminateEventDefinition, "terminate"))
_START = {"timer": "startTimerEvent", "message": "messageStartEvent",
          "signal": "signalStartEvent", "error": "errorStartEvent",
          "escalation": "escalationStartEvent", "conditional": "conditionalStartEvent"}
_CATCH = {"timer": "intermediateTimer", "message": "intermediateMessageCatch",
          "signal": "intermediateSignalCatch", "conditional": "intermediateConditional"}
_BOUNDARY = {"timer": "boundaryTimer", "message": "boundaryMessage",
             "signal": "boundarySignal", "error": "boundaryError",
             "escalation": "boundaryEscalation", "conditional": "boundaryConditional",
             "cancel": "cancelBoundaryCatch"}
_THROW = {"message": "intermediateMessageThrowEvent", "signal": "intermediateSignalThrow",
          "escalation": "intermediateEscalationThrowEvent"}
_END = {"message": "messageEndEvent", "signal": "signalEndEvent", "error": "errorEndEvent",
        "escalation": "escalationEndEvent", "cancel": "cancelEndEvent",
        "terminate": "terminateEndEvent"}


def activity_type(spec) -> str:
    """The activity type of a task spec of a BPMN element."""
    event = _event_kind(spec)
    if isinstance(spec, StartEventMixin):
        return _START.get(event, "startEvent")
    if isinstance(spec, BoundaryEventMixin):
        return _BOUNDARY.get(event, "boundaryEvent")
    if isinstance(spec, IntermediateCatchEventMixin):
        return _CATCH.get(event, "intermediateCatchEvent")
    if isinstance(spec, IntermediateThrowEventMixin):
        return _THROW.get(event, "intermediateNoneThrowEvent")
    if isinstance(spec, EndEventMixin):
        return _END.get(event, "noneEndEvent")
    for cls, name in _PLAIN:
        if isinstance(spec, cls):
            return name
    name = type(spec).__name__  # e.g. a business rule task
    return name[:1].lower() + name[1:]


def is_gateway(spec) -> bool:
    return isinstance(spec, (ExclusiveGatewayMixin, InclusiveGatewayMixin,
                             ParallelGatewayMixin))


def elements(executable) -> dict[str, tuple[str, str | None]]:
    """Every element of a process and the processes it calls: id -> (type, name)."""
    found = {}
    for process in (executable.spec, *executable.subprocess_specs.values()):
        for spec in process.task_specs.values():
            element = getattr(spec, "bpmn_id", None)
            if element is not None:
                found.setdefault(element, (activity_type(spec), spec.bpmn_name))
    return found


def _event_kind(spec) -> str | None:
    definition = getattr(spec, "event_definition", None)
    for cls, kind in _DEFINITIONS:
        if isinstance(definition, cls):
            return kind
    return None
