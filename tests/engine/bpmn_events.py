"""Diagrams for the events that cross an instance's border and for timers of every kind
(messages, signals, date, duration and cycle timers, service tasks), drawn like
tests/engine/diagrams.py: bpmn.io's elements with SpiffWorkflow's extensions, no layout."""
from __future__ import annotations

from xml.sax.saxutils import escape

from tests.engine.diagrams import flow, lane, process, user_task


def chain(pid: str, nodes: list[tuple[str, str]], role: str = "staf",
          extra_nodes: list[str] = (), extra_flows: list[str] = (),
          definitions: str = "", **rules: str) -> bytes:
    """start -> each (element id, xml) in order -> end, all in one lane of `role`;
    `extra_nodes`/`extra_flows` add branches (boundary events and their paths);
    `definitions` adds top-level elements (messages, signals, errors)."""
    xml_nodes = ['<bpmn:startEvent id="start" />'] + [xml for _, xml in nodes] + \
        ['<bpmn:endEvent id="end" />'] + list(extra_nodes)
    ids = ["start"] + [i for i, _ in nodes] + ["end"]
    flows = [flow(f"f{n}", a, b) for n, (a, b) in enumerate(zip(ids, ids[1:]))] + list(extra_flows)
    refs = ids + [_id_of(x) for x in extra_nodes]
    xml = process(pid, xml_nodes, flows, [lane("lane_main", role, refs)], **rules).decode()
    return xml.replace("</bpmn:definitions>", definitions + "</bpmn:definitions>").encode()


def _id_of(xml: str) -> str:
    return xml.split('id="', 1)[1].split('"', 1)[0]


def timer(kind: str, expression: str) -> str:
    """kind: timeDate, timeDuration or timeCycle; the expression is Python (quote strings)."""
    return (f"<bpmn:timerEventDefinition><bpmn:{kind}>{escape(expression)}</bpmn:{kind}>"
            f"</bpmn:timerEventDefinition>")


def catch(element_id: str, definition: str) -> str:
    return (f'<bpmn:intermediateCatchEvent id="{element_id}" name="Tunggu {element_id}">'
            f"{definition}</bpmn:intermediateCatchEvent>")


def throw(element_id: str, definition: str) -> str:
    return (f'<bpmn:intermediateThrowEvent id="{element_id}" name="Kirim {element_id}">'
            f"{definition}</bpmn:intermediateThrowEvent>")


def message_ref(message_id: str, payload: str | None = None) -> str:
    """A message event definition; `payload` is the Python expression a throw sends (as
    spiff-arena's modeler saves it)."""
    if payload is None:
        return f'<bpmn:messageEventDefinition messageRef="{message_id}" />'
    return (f'<bpmn:messageEventDefinition messageRef="{message_id}"><bpmn:extensionElements>'
            f"<spiffworkflow:messagePayload>{escape(payload)}</spiffworkflow:messagePayload>"
            f"</bpmn:extensionElements></bpmn:messageEventDefinition>")


def message(message_id: str, name: str) -> str:
    return f'<bpmn:message id="{message_id}" name="{name}" />'


def signal_ref(signal_id: str) -> str:
    return f'<bpmn:signalEventDefinition signalRef="{signal_id}" />'


def signal(signal_id: str, name: str) -> str:
    return f'<bpmn:signal id="{signal_id}" name="{name}" />'


def boundary(element_id: str, attached_to: str, definition: str, interrupting: bool = True) -> str:
    return (f'<bpmn:boundaryEvent id="{element_id}" attachedToRef="{attached_to}" '
            f'cancelActivity="{"true" if interrupting else "false"}">{definition}'
            f"</bpmn:boundaryEvent>")


def service_task(element_id: str, operator: str) -> str:
    """A service task with SpiffWorkflow's operator (what spiff-arena's modeler saves)."""
    return (f'<bpmn:serviceTask id="{element_id}" name="Layanan {element_id}">'
            f"<bpmn:extensionElements><spiffworkflow:serviceTaskOperator id=\"{operator}\" "
            f'resultVariable="result"><spiffworkflow:parameters /></spiffworkflow:serviceTaskOperator>'
            f"</bpmn:extensionElements></bpmn:serviceTask>")


__all__ = ["chain", "timer", "catch", "throw", "message_ref", "message", "signal_ref",
           "signal", "boundary", "service_task", "user_task", "flow"]
