"""Small diagrams built in tests, for behaviour the procedure's own diagrams do not show
(scripts, parallel branches, broken input). No layout: the engine does not need one."""
from __future__ import annotations

import json
from xml.sax.saxutils import escape

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
        'id="defs_{pid}" targetNamespace="http://example.org/lkj-test">\n')

SIMPLE_FORM = json.dumps({
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {"value": {"type": "string"}},
    "additionalProperties": True,
}).encode()


def _props(**values) -> str:
    inner = "".join(f'<spiffworkflow:property name="{k}" value="{escape(v, {chr(34): "&quot;"})}" />'
                    for k, v in values.items())
    return f"<bpmn:extensionElements><spiffworkflow:properties>{inner}</spiffworkflow:properties></bpmn:extensionElements>"


def user_task(element_id: str, form_key: str = "simple", due: str = "P1D") -> str:
    return (f'<bpmn:userTask id="{element_id}" name="Tugas {element_id}">'
            f'{_props(formKey=form_key, dueDuration=due)}</bpmn:userTask>')


def script_task(element_id: str, script: str) -> str:
    return (f'<bpmn:scriptTask id="{element_id}" name="Skrip {element_id}">'
            f'<bpmn:script>{escape(script)}</bpmn:script></bpmn:scriptTask>')


def flow(flow_id: str, source: str, target: str, condition: str | None = None) -> str:
    body = (f"<bpmn:conditionExpression>{escape(condition)}</bpmn:conditionExpression>"
            if condition else "")
    return f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">{body}</bpmn:sequenceFlow>'


def lane(lane_id: str, role: str | None, refs: list[str]) -> str:
    props = _props(role=role) if role is not None else ""
    nodes = "".join(f"<bpmn:flowNodeRef>{r}</bpmn:flowNodeRef>" for r in refs)
    return f'<bpmn:lane id="{lane_id}" name="Lajur {lane_id}">{props}{nodes}</bpmn:lane>'


def process(pid: str, nodes: list[str], flows: list[str], lanes: list[str],
            startable_by: str = "kepala_biro", **start_rules: str) -> bytes:
    body = (f'<bpmn:process id="{pid}" name="Proses {pid}" isExecutable="true">'
            f"{_props(startableBy=startable_by, **start_rules)}"
            f'<bpmn:laneSet id="ls_{pid}">{"".join(lanes)}</bpmn:laneSet>'
            f"{''.join(nodes)}{''.join(flows)}</bpmn:process>")
    return (HEAD.format(pid=pid) + body + "\n</bpmn:definitions>\n").encode()


def sequence(pid: str, steps: list[tuple[str, str]], role: str = "staf",
             startable_by: str = "kepala_biro", **start_rules: str) -> bytes:
    """start -> each (kind, arg) step -> end, every node in one lane of `role`.
    kind is 'user' (arg: element id) or 'script' (arg: the script)."""
    nodes, refs = ['<bpmn:startEvent id="start" />'], ["start"]
    previous, flows = "start", []
    for index, (kind, arg) in enumerate(steps):
        element_id = arg if kind == "user" else f"script_{index}"
        nodes.append(user_task(element_id) if kind == "user" else script_task(element_id, arg))
        refs.append(element_id)
        flows.append(flow(f"f{index}", previous, element_id))
        previous = element_id
    nodes.append('<bpmn:endEvent id="end" />')
    refs.append("end")
    flows.append(flow("f_end", previous, "end"))
    return process(pid, nodes, flows, [lane("lane_main", role, refs)], startable_by,
                   **start_rules)


def parallel(pid: str, branches: int = 2, role: str = "staf") -> bytes:
    """start -> fork -> `branches` user tasks -> join -> end."""
    nodes = ['<bpmn:startEvent id="start" />', '<bpmn:parallelGateway id="fork" />',
             '<bpmn:parallelGateway id="join" />', '<bpmn:endEvent id="end" />']
    flows = [flow("f_start", "start", "fork"), flow("f_end", "join", "end")]
    refs = ["start", "fork", "join", "end"]
    for b in range(branches):
        nodes.append(user_task(f"branch_{b}"))
        refs.append(f"branch_{b}")
        flows += [flow(f"f_in_{b}", "fork", f"branch_{b}"), flow(f"f_out_{b}", f"branch_{b}", "join")]
    return process(pid, nodes, flows, [lane("lane_main", role, refs)])


def with_deadline(pid: str, remind_after: str = "PT1H", escalate_after: str = "PT2H") -> bytes:
    """staf submits; a non-interrupting timer reminds staf after `remind_after`, another one
    after `escalate_after` gives kepala_bagian a follow-up task (an escalation)."""
    timer = ('<bpmn:boundaryEvent id="{id}" name="{name}" attachedToRef="submit" '
             'cancelActivity="false"><bpmn:timerEventDefinition><bpmn:timeDuration>"{after}"'
             '</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>')
    nodes = ['<bpmn:startEvent id="start" />', user_task("submit"),
             timer.format(id="remind_timer", name="Pengingat", after=remind_after),
             timer.format(id="escalate_timer", name="Batas waktu", after=escalate_after),
             f'<bpmn:intermediateThrowEvent id="remind" name="Pengingat dikirim">'
             f'{_props(notify="reminder", notifyRole="staf")}</bpmn:intermediateThrowEvent>',
             f'<bpmn:userTask id="follow_up" name="Menindaklanjuti keterlambatan">'
             f'{_props(formKey="simple", dueDuration="P1D", notification="escalation")}'
             f'</bpmn:userTask>',
             '<bpmn:endEvent id="end" />', '<bpmn:endEvent id="end_reminded" />',
             '<bpmn:endEvent id="end_followed_up" />']
    flows = [flow("f1", "start", "submit"), flow("f2", "submit", "end"),
             flow("f3", "remind_timer", "remind"), flow("f4", "remind", "end_reminded"),
             flow("f5", "escalate_timer", "follow_up"), flow("f6", "follow_up", "end_followed_up")]
    lanes = [lane("lane_staf", "staf", ["start", "submit", "remind_timer", "escalate_timer",
                                        "remind", "end", "end_reminded"]),
             lane("lane_kabag", "kepala_bagian", ["follow_up", "end_followed_up"])]
    return process(pid, nodes, flows, lanes)
