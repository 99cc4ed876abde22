"""The checks a diagram passes before SpiffWorkflow sees it, each reported on the element
at fault with its line, in the process owner's words: references between elements,
expressions and scripts (Camunda's `${...}` translated here to Python, once), timer values
as they will be evaluated at run time, Java-only implementations, diagram interchange.

`check_document` returns whether the document's references hold: SpiffWorkflow parses only
such documents (its own messages about a broken reference name no line).
"""
from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.workflow.dialects import NS, camunda
from engine.workflow.expressions import (
    ExpressionRefused,
    is_camunda_expression,
    to_python,
)
from engine.workflow import script_rules
from engine.workflow.sandbox import check_source

BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
# report(severity, message, node): severity "error" or "warning"
Report = Callable[[str, str, object], None]

_EXPRESSIONS = (
    (".//bpmn:conditionExpression", "eval", "condition"),
    (".//bpmn:scriptTask/bpmn:script", "exec", "script"),
    (".//spiffworkflow:preScript", "exec", "pre-script"),
    (".//spiffworkflow:postScript", "exec", "post-script"),
    (".//bpmn:loopCardinality", "eval", "loop cardinality"),
    (".//bpmn:completionCondition", "eval", "completion condition"),
    (".//bpmn:loopCondition", "eval", "loop condition"),
)
_TIMERS = {"timeDuration": "duration", "timeDate": "date-time", "timeCycle": "repeating cycle"}
# ISO 8601 written bare: a repeating cycle, a duration, a date or date-time
_ISO_LOOKING = re.compile(r"^(R\d*/\S+|P(?=[\dT])[\dYMWDTHS.,]+|\d{4}-\d{2}-\d{2}(T\S*)?)$",
                          re.IGNORECASE)
_FLOW_NODES = ("startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent",
               "boundaryEvent", "task", "userTask", "manualTask", "scriptTask", "serviceTask",
               "sendTask", "receiveTask", "businessRuleTask", "callActivity", "subProcess",
               "transaction", "exclusiveGateway", "parallelGateway", "inclusiveGateway",
               "eventBasedGateway", "complexGateway")
_ACTIVITIES = {"task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask",
               "receiveTask", "businessRuleTask", "callActivity", "subProcess", "transaction"}
_JAVA_ONLY = {"class": "a Java class", "delegateExpression": "a Java delegate expression",
              "expression": "a Java expression"}
# camunda:type="external" (its camunda:topic) is run by external workers: on service tasks
EXTERNAL = "external"


def local(node) -> str:
    return node.tag.rsplit("}", 1)[-1] if isinstance(node.tag, str) else ""


def check_document(doc, report: Report) -> bool:
    """Every check of one document; False when a reference is broken."""
    ids = {node.get("id"): node for node in doc.iter() if isinstance(node.tag, str)
           and node.get("id")}
    references_hold = _references(doc, ids, report)
    _java_only(doc, report)
    _expressions(doc, report)
    _timers(doc, report)
    _interchange(doc, report)
    _lanes(doc, report)
    processes = doc.xpath("./bpmn:process", namespaces=NS)
    none_executable = not any(is_executable(process) for process in processes)
    for process in processes:
        if none_executable:
            report("warning", f"process '{process.get('id')}' is not marked executable; no "
                              "process of this file is (bpmn.io saves new processes so), so it "
                              "is deployed as executable: tick 'Executable' in the modeler to "
                              "say so", process)
        elif not is_executable(process):
            report("warning", f"process '{process.get('id')}' is not executable: nothing is "
                              "deployed from it (tick 'Executable' in the modeler, or set "
                              "isExecutable=\"true\")", process)
    return references_hold


def is_executable(process) -> bool:
    return process.get("isExecutable") == "true"


def executable_as_drawn(doc) -> None:
    """A file none of whose processes is marked executable is meant to run (bpmn.io marks
    every new process non-executable and has no switch for it): mark them all, in the parsed
    tree only (the file is stored as sent)."""
    processes = doc.xpath("./bpmn:process", namespaces=NS)
    if not any(is_executable(process) for process in processes):
        for process in processes:
            process.set("isExecutable", "true")


def _references(doc, ids: dict, report: Report) -> bool:
    before = [0]

    def broken(message, node):
        before[0] += 1
        report("error", message, node)

    for flow in doc.xpath(".//bpmn:sequenceFlow", namespaces=NS):
        for end, word in (("sourceRef", "starts at"), ("targetRef", "leads to")):
            ref = flow.get(end)
            if not ref:
                broken(f"sequence flow has no {end}: it must connect two elements", flow)
            elif ref not in ids or local(ids[ref]) not in _FLOW_NODES:
                broken(f"sequence flow {word} '{ref}', which is not an element of the "
                       f"diagram", flow)
    for flow in doc.xpath(".//bpmn:messageFlow", namespaces=NS):
        for end in ("sourceRef", "targetRef"):
            ref = flow.get(end)
            if not ref or ref not in ids:
                broken(f"message flow's {end} '{ref or ''}' is not an element of the diagram",
                       flow)
    for node in doc.xpath(".//*[@default]", namespaces=NS):
        flow = ids.get(node.get("default"))
        if flow is None or local(flow) != "sequenceFlow" or flow.get("sourceRef") != node.get("id"):
            broken(f"default flow '{node.get('default')}' is not a sequence flow leaving "
                   f"this element", node)
    messages = {m.get("id") for m in doc.xpath(".//bpmn:message", namespaces=NS)}
    for node in doc.xpath(".//bpmn:messageEventDefinition | .//bpmn:receiveTask | "
                          ".//bpmn:sendTask", namespaces=NS):
        ref = node.get("messageRef")
        if ref and ref not in messages:
            broken(f"message '{ref}' is not defined in the diagram (bpmn:message)",
                   _element_of(node))
        elif not ref and local(node) == "messageEventDefinition":
            broken("message event names no message (messageRef)", _element_of(node))
    for event in doc.xpath(".//bpmn:boundaryEvent", namespaces=NS):
        host = ids.get(event.get("attachedToRef"))
        if host is None or local(host) not in _ACTIVITIES:
            broken(f"boundary event is attached to '{event.get('attachedToRef') or ''}', "
                   f"which is not a task or subprocess of the diagram", event)
    for call in doc.xpath(".//bpmn:callActivity", namespaces=NS):
        if not call.get("calledElement"):
            broken("call activity names no process to call (calledElement)", call)
    return before[0] == 0


def _element_of(node):
    """The element a problem belongs to: the nearest with an id, past event definitions
    (a timer's problem is the timer event's)."""
    while node is not None and (not node.get("id")
                                or local(node).endswith("EventDefinition")):
        node = node.getparent()
    return node


def _java_only(doc, report: Report) -> None:
    for node in doc.iter():
        if not isinstance(node.tag, str):
            continue
        for attribute, what in _JAVA_ONLY.items():
            if node.get(camunda(attribute)) and local(node) in _ACTIVITIES | {
                    "intermediateThrowEvent", "endEvent"}:
                report("error", f"camunda:{attribute} names {what}, which only a Java engine "
                                "runs; use a script task (Python) instead", node)
    for node in doc.xpath(".//*[@camunda:type]", namespaces=NS):
        kind = node.get(camunda("type"))
        if kind != EXTERNAL:
            report("error", f"camunda:type '{kind}' is not run here: a service task is either "
                            f"'{EXTERNAL}' (run by external workers fetching its "
                            "camunda:topic) or a script task (Python)", node)
        elif local(node) != "serviceTask":
            report("error", "only service tasks are run by external workers here: make it a "
                            "service task", node)
    for listener in doc.xpath(".//camunda:executionListener | .//camunda:taskListener",
                              namespaces=NS):
        report("error", f"a Camunda {local(listener)} is not run here (it is Java or a "
                        "Camunda script); use a script task or a pre- or post-script",
               _element_of(listener))
    for script in doc.xpath(".//bpmn:scriptTask", namespaces=NS):
        language = (script.get("scriptFormat") or "python").strip().lower()
        if language not in ("python", "python3", "text/x-python"):
            report("error", f"script format '{script.get('scriptFormat')}' is not run here: "
                            "scripts are Python", script)


def _expressions(doc, report: Report) -> None:
    """Translate `${...}`, then compile every expression and script under the sandbox."""
    for xpath, mode, what in _EXPRESSIONS:
        for node in doc.xpath(xpath, namespaces=NS):
            source = _translated(node, what, report)
            if source is None:
                continue
            reason = check_source(source, mode)
            if reason:
                report("error", f"{what} does not compile: {reason}", _element_of(node))


def _translated(node, what: str, report: Report) -> str | None:
    """The node's Python source (a `${...}` text is replaced by its translation)."""
    source = (node.text or "").strip()
    if not source:
        return None
    if is_camunda_expression(source) or "${" in source:
        try:
            source = to_python(source)
        except ExpressionRefused as exc:
            report("error", f"{what} '{source}' is not evaluated here: {exc}",
                   _element_of(node))
            return None
        node.text = source
    return source


def _timers(doc, report: Report) -> None:
    for kind, shape in _TIMERS.items():
        for node in doc.xpath(f".//bpmn:{kind}", namespaces=NS):
            source = _translated(node, "timer", report)
            if source is None:
                if not (node.text or "").strip():
                    report("error", f"timer has no {shape}", _element_of(node))
                continue
            if _ISO_LOOKING.match(source):
                source = node.text = as_literal(source)
            problem = timer_problem(source, kind) or _start_timer_problem(node, source)
            if problem:
                report("error", problem, _element_of(node))


def _start_timer_problem(node, source: str) -> str | None:
    """A process's timer start event is evaluated before the process has any data: an
    expression reading a variable could never give a time (an event sub-process's timer
    start reads its instance's data, and is not this)."""
    event = node.getparent().getparent()
    if local(event) != "startEvent" or local(event.getparent()) != "process":
        return None
    program = script_rules.prepare(source, "eval")  # it compiled: timer_problem checked
    unknown = sorted(program.names - program.written - script_rules.PROVIDED_NAMES)
    if not unknown:
        return None
    return (f"a timer start event's expression reads {', '.join(unknown)}, but a process "
            "has no data before it starts: give a date, a duration or a cycle")


def as_literal(iso_text: str) -> str:
    """A timer written as bare ISO 8601 text (`PT1M`, as Camunda Modeler and the BPMN
    specification's examples write it) is that text, in the expression language here: a
    quoted string."""
    return json.dumps(iso_text)


def timer_problem(source: str, kind: str) -> str | None:
    """Why this timer expression fails at run time, or None. A literal is evaluated now;
    an expression over variables compiles now and is evaluated when the timer starts."""
    shape = _TIMERS[kind]
    if _ISO_LOOKING.match(source):
        source = as_literal(source)
    reason = check_source(source, "eval")
    if reason:
        return f"timer expression does not compile: {reason}"
    try:
        value = ast.literal_eval(source)
    except (ValueError, SyntaxError):
        return None  # computed from task data when the timer starts
    if not isinstance(value, str):
        return (f"timer value {source} is a {type(value).__name__}, not an ISO 8601 "
                f"{shape} in quotes (e.g. \"PT1H\")")
    try:
        if kind == "timeDuration":
            TimerEventDefinition.parse_iso_duration(value)
        elif kind == "timeDate":
            TimerEventDefinition.get_datetime(value)
        else:
            TimerEventDefinition.parse_iso_recurring_interval(value)
    except Exception:  # SpiffWorkflow raises bare Exception for a bad value
        return f"timer value \"{value}\" is not an ISO 8601 {shape}"
    return None


def _interchange(doc, report: Report) -> None:
    """A flow node without a shape cannot be drawn by bpmn-js (the console's viewer)."""
    if not any(True for _ in doc.iter(f"{{{BPMNDI_NS}}}BPMNDiagram")):
        report("warning", "the file has no diagram interchange (bpmndi): modelers and the "
                          "console cannot draw it", doc)
        return
    drawn = {shape.get("bpmnElement") for shape in doc.iter(f"{{{BPMNDI_NS}}}BPMNShape")}
    for node in doc.iter(f"{{{NS['bpmn']}}}*"):
        if local(node) in _FLOW_NODES and node.get("id") and node.get("id") not in drawn:
            report("warning", "no diagram interchange (BPMNShape) for this element: "
                              "modelers and the console cannot draw it", node)


def _lanes(doc, report: Report) -> None:
    for lane in doc.xpath(".//bpmn:lane", namespaces=NS):
        if lane.xpath("./bpmn:childLaneSet", namespaces=NS):
            continue
        if not lane.xpath("./bpmn:flowNodeRef", namespaces=NS):
            report("warning", f"lane '{lane.get('name') or lane.get('id')}' has no tasks", lane)
