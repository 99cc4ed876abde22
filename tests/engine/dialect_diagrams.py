"""One-task diagrams in the shape Camunda Modeler 5 (Camunda 7 mode) saves them, with
lanes when asked, for the rules of who works a user task, its form and its due date."""
from __future__ import annotations

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
        'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
        'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
        'xmlns:modeler="http://camunda.org/schema/modeler/1.0" id="Definitions_{pid}" '
        'targetNamespace="http://bpmn.io/schema/bpmn" exporter="Camunda Modeler" '
        'exporterVersion="5.17.0" modeler:executionPlatform="Camunda Platform" '
        'modeler:executionPlatformVersion="7.20.0">\n')


def one_task(pid: str, attributes: str = "", extensions: str = "", lane: str | None = None,
             lane_extensions: str = "", task_kind: str = "userTask") -> bytes:
    """start -> one task (`attributes` on it, `extensions` inside extensionElements) ->
    end, in a pool with one lane named `lane` (None: no pool, no lane)."""
    ext = f"<bpmn:extensionElements>{extensions}</bpmn:extensionElements>" if extensions else ""
    lane_ext = (f"<bpmn:extensionElements>{lane_extensions}</bpmn:extensionElements>"
                if lane_extensions else "")
    lanes = (f'<bpmn:laneSet id="LaneSet_1"><bpmn:lane id="Lane_1" name="{lane}">{lane_ext}'
             '<bpmn:flowNodeRef>StartEvent_1</bpmn:flowNodeRef>'
             '<bpmn:flowNodeRef>Activity_1</bpmn:flowNodeRef>'
             '<bpmn:flowNodeRef>Event_1</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>'
             if lane is not None else "")
    collaboration = (f'<bpmn:collaboration id="Collaboration_1"><bpmn:participant '
                     f'id="Participant_1" processRef="{pid}" /></bpmn:collaboration>\n'
                     if lane is not None else "")
    plane = "Collaboration_1" if lane is not None else pid
    pool = ('<bpmndi:BPMNShape id="Participant_1_di" bpmnElement="Participant_1" '
            'isHorizontal="true"><dc:Bounds x="120" y="40" width="500" height="160" />'
            '</bpmndi:BPMNShape><bpmndi:BPMNShape id="Lane_1_di" bpmnElement="Lane_1" '
            'isHorizontal="true"><dc:Bounds x="150" y="40" width="470" height="160" />'
            '</bpmndi:BPMNShape>' if lane is not None else "")
    body = (f'{collaboration}<bpmn:process id="{pid}" isExecutable="true" '
            f'camunda:historyTimeToLive="180">{lanes}'
            '<bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing>'
            '</bpmn:startEvent>'
            f'<bpmn:{task_kind} id="Activity_1" name="Kerjakan" {attributes}>{ext}'
            f'<bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing>'
            f'</bpmn:{task_kind}>'
            '<bpmn:endEvent id="Event_1"><bpmn:incoming>Flow_2</bpmn:incoming></bpmn:endEvent>'
            '<bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Activity_1" />'
            '<bpmn:sequenceFlow id="Flow_2" sourceRef="Activity_1" targetRef="Event_1" />'
            '</bpmn:process>\n'
            f'<bpmndi:BPMNDiagram id="BPMNDiagram_1"><bpmndi:BPMNPlane id="BPMNPlane_1" '
            f'bpmnElement="{plane}">{pool}'
            '<bpmndi:BPMNShape id="StartEvent_1_di" bpmnElement="StartEvent_1">'
            '<dc:Bounds x="179" y="99" width="36" height="36" /></bpmndi:BPMNShape>'
            '<bpmndi:BPMNShape id="Activity_1_di" bpmnElement="Activity_1">'
            '<dc:Bounds x="270" y="77" width="100" height="80" /></bpmndi:BPMNShape>'
            '<bpmndi:BPMNShape id="Event_1_di" bpmnElement="Event_1">'
            '<dc:Bounds x="432" y="99" width="36" height="36" /></bpmndi:BPMNShape>'
            '<bpmndi:BPMNEdge id="Flow_1_di" bpmnElement="Flow_1"><di:waypoint x="215" y="117" />'
            '<di:waypoint x="270" y="117" /></bpmndi:BPMNEdge>'
            '<bpmndi:BPMNEdge id="Flow_2_di" bpmnElement="Flow_2"><di:waypoint x="370" y="117" />'
            '<di:waypoint x="432" y="117" /></bpmndi:BPMNEdge>'
            '</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>\n')
    return (HEAD.format(pid=pid) + body + "</bpmn:definitions>\n").encode()


def spiff_properties(**values: str) -> str:
    inner = "".join(f'<spiffworkflow:property name="{k}" value="{v}" />'
                    for k, v in values.items())
    return f"<spiffworkflow:properties>{inner}</spiffworkflow:properties>"
