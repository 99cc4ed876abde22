"""bpmn/: each diagram parses, validates against the BPMN 2.0 XSD, carries the engine's
conventions (docs/modelling.md), the procedure's structure, and a complete, readable layout."""
from __future__ import annotations

import json
import re
from datetime import timedelta
from itertools import combinations
from pathlib import Path

import pytest
from lxml import etree
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from engine.workflow.model import ProcessModel, is_known_role
from engine.worktime.calendar import WorkingCalendar, parse_duration

REPO = Path(__file__).resolve().parents[2]
BPMN_DIR = REPO / "bpmn"
FILES = sorted(BPMN_DIR.glob("*.bpmn"))
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC",
      "di": "http://www.omg.org/spec/DD/20100524/DI",
      "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core"}
FLOW_NODES = ("startEvent", "endEvent", "userTask", "scriptTask", "callActivity", "exclusiveGateway",
              "parallelGateway", "boundaryEvent", "intermediateThrowEvent",
              "intermediateCatchEvent")
CHAIN = "lkj_document_approval"
PHASES = ["lkj_team_formation", "lkj_data_collection", "lkj_drafting", "lkj_inspectorate_review",
          "lkj_minister_approval", "lkj_publication"]
ID = re.compile(r"^[a-z][a-z0-9_]*$")


def parse(path: Path):
    return etree.parse(str(path)).getroot()


def xp(node, query):
    return node.xpath(query, namespaces=NS)


def props(node) -> dict[str, str]:
    return {p.get("name"): p.get("value") for p in
            xp(node, "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property")}


def flow_nodes(process):
    return [n for tag in FLOW_NODES for n in xp(process, f"./bpmn:{tag}")]


def bounds(root, element_id):
    shapes = xp(root, f"//bpmndi:BPMNShape[@bpmnElement='{element_id}']/dc:Bounds")
    assert len(shapes) == 1, f"{element_id}: {len(shapes)} shapes"
    b = shapes[0]
    return tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))


def inside(inner, outer):
    return (inner[0] >= outer[0] and inner[1] >= outer[1] and inner[0] + inner[2] <= outer[0] + outer[2]
            and inner[1] + inner[3] <= outer[1] + outer[3])


def overlap(a, b):
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


@pytest.fixture(scope="module")
def model():
    files = {p.name: p.read_bytes() for p in FILES}
    forms = {p.stem: json.loads(p.read_text()) for p in (REPO / "forms").glob("*.json")}
    return ProcessModel.from_files(files, forms)


def processes():
    return {xp(parse(p), "./bpmn:process/@id")[0]: p for p in FILES}


# ---------------------------------------------------------------- parsing

@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_file_is_one_process_valid_against_the_xsd(path):
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_file(str(path))  # raises on an XSD violation
    root = parse(path)
    (process,) = xp(root, "./bpmn:process")
    assert path.stem == process.get("id") and ID.match(process.get("id"))
    assert process.get("isExecutable") == "true" and process.get("name")


def test_whole_deployment_parses_in_the_engine(model):
    """The model `deploy` builds (engine.workflow.model, in memory: no database) accepts
    bpmn/ with forms/, and each entry process finds every process it calls."""
    assert set(model.processes) == set(processes())
    for process_id in ("lkj_preparation", "lkj_complaint"):
        spec, subprocesses = model.spec_and_subprocesses(process_id)
        assert spec.name == process_id
    _, called = model.spec_and_subprocesses("lkj_preparation")
    assert set(called) == {*PHASES, CHAIN, "lkj_unit_data"}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_idref_resolves(path):
    """A modeler (bpmn-moddle) drops references it cannot resolve when it saves."""
    root = parse(path)
    ids = set(xp(root, "//@id"))
    refs = xp(root, "//@sourceRef | //@targetRef | //@default | //@processRef | //@bpmnElement")
    refs += [e.text for e in xp(root, "//bpmn:flowNodeRef | //bpmn:incoming | //bpmn:outgoing | "
                                      "//bpmn:loopDataInputRef | //bpmn:loopDataOutputRef | "
                                      "//bpmn:dataInputRefs | //bpmn:dataOutputRefs")]
    assert sorted(set(refs) - ids) == []
    assert all(ID.match(i) for i in ids), sorted(i for i in ids if not ID.match(i))


# ---------------------------------------------------------------- engine conventions

@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_user_tasks_have_form_due_duration_and_a_role_lane(path):
    root = parse(path)
    lane_of = {ref.text: lane for lane in xp(root, "//bpmn:lane") for ref in xp(lane, "./bpmn:flowNodeRef")}
    for lane in xp(root, "//bpmn:lane"):
        role = props(lane).get("role")
        assert role and is_known_role(re.sub(r"\{unit\}", "X", role)), f"lane {lane.get('id')}: {role}"
    for task in xp(root, "//bpmn:userTask"):
        meta = props(task)
        assert meta.get("formKey"), task.get("id")
        assert parse_duration(meta["dueDuration"]), task.get("id")
        assert task.get("id") in lane_of, f"{task.get('id')} is in no lane"
    for node in flow_nodes(xp(root, "./bpmn:process")[0]):
        assert node.get("id") in lane_of, f"{node.get('id')} is in no lane"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_names_and_gateway_flows(path):
    root = parse(path)
    (process,) = xp(root, "./bpmn:process")
    for node in flow_nodes(process):
        tag = etree.QName(node).localname
        outgoing = xp(process, f"./bpmn:sequenceFlow[@sourceRef='{node.get('id')}']")
        incoming = xp(process, f"./bpmn:sequenceFlow[@targetRef='{node.get('id')}']")
        if tag.endswith("Gateway"):
            assert len(incoming) == 1 or len(outgoing) == 1, f"{node.get('id')} both joins and forks"
            assert len(incoming) + len(outgoing) > 2, f"{node.get('id')} is superfluous"
        else:
            assert len(incoming) <= 1 and len(outgoing) <= 1, f"{node.get('id')}: implicit join/split"
        if tag == "exclusiveGateway" and len(outgoing) > 1:
            assert node.get("name"), node.get("id")
            defaults = [f for f in outgoing if f.get("id") == node.get("default")]
            assert len(defaults) == 1, f"{node.get('id')} has no default flow"
            for f in outgoing:
                assert f.get("name"), f.get("id")
                assert f in defaults or xp(f, "./bpmn:conditionExpression"), f.get("id")
        elif not tag.endswith("Gateway"):
            assert node.get("name"), node.get("id")


# ---------------------------------------------------------------- the procedure's structure

def test_main_process_calls_the_phases_in_order():
    root = parse(BPMN_DIR / "lkj_preparation.bpmn")
    called = [c.get("calledElement") for c in xp(root, "//bpmn:callActivity")]
    assert called == PHASES


def test_approval_chain_is_one_reusable_process():
    """Called at steps 2a, 2b, 2c, 3, 7, 10 and 12 with its parameters set; checks exist once."""
    calls = []
    for path in FILES:
        for call in xp(parse(path), f"//bpmn:callActivity[@calledElement='{CHAIN}']"):
            script = xp(call, "./bpmn:extensionElements/spiffworkflow:preScript")[0].text
            params = dict(re.findall(r'^(\w+) = "([^"]*)"$', script, re.M))
            assert set(params) == {"doc_type", "doc_title", "final_signer"}, call.get("id")
            calls.append(params["final_signer"])
    assert sorted(calls) == sorted(["deputi", "menteri", "kepala_biro", "deputi", "kepala_biro",
                                    "kepala_biro", "deputi"])
    chain_checks = {"check_kepala_subbagian", "check_kepala_bagian", "check_kepala_biro", "check_deputi"}
    for path in FILES:
        ids = set(xp(parse(path), "//bpmn:userTask/@id"))
        assert not (chain_checks & ids) or path.stem == CHAIN, f"{path.name} copies the chain"


def test_units_submit_in_a_parallel_multi_instance_over_units():
    root = parse(BPMN_DIR / "lkj_data_collection.bpmn")
    (mi,) = xp(root, "//bpmn:callActivity[@calledElement='lkj_unit_data']/bpmn:multiInstanceLoopCharacteristics")
    assert mi.get("isSequential") in (None, "false")
    assert xp(mi, "./bpmn:loopDataInputRef")[0].text == "units"
    assert xp(mi, "./bpmn:inputDataItem/@id") == ["unit"]
    unit_lanes = xp(parse(BPMN_DIR / "lkj_unit_data.bpmn"), "//bpmn:lane")
    assert "satuan_kerja:{unit}" in [props(lane).get("role") for lane in unit_lanes]


def test_discussions_and_working_meetings_are_loops():
    root = parse(BPMN_DIR / "lkj_drafting.bpmn")
    office = xp(root, "//bpmn:userTask[@id='office_discussion']/bpmn:multiInstanceLoopCharacteristics")[0]
    assert office.get("isSequential") == "true"
    topics = xp(root, "//bpmn:scriptTask[@id='set_discussion_agenda']/bpmn:script")[0].text
    assert len(re.findall(r'"Pembahasan ke-\d', topics)) == 5
    offsite = xp(root, "//bpmn:userTask[@id='offsite_working_meeting']/bpmn:standardLoopCharacteristics")[0]
    assert offsite.get("loopMaximum") == "3"


def test_step_14_runs_three_branches_in_parallel():
    root = parse(BPMN_DIR / "lkj_publication.bpmn")
    split = xp(root, "//bpmn:sequenceFlow[@sourceRef='split_publication']/@targetRef")
    assert xp(root, "//bpmn:parallelGateway[@id='split_publication']")
    assert sorted(split) == ["deliver_to_kemenpanrb", "request_printing", "request_upload"]


def working(duration: str) -> timedelta:
    """A due duration as working time (a working day is the office's opening hours)."""
    parsed = parse_duration(duration)
    return parsed.days * WorkingCalendar.from_files().day_length + parsed.clock


def test_chain_due_durations_fit_the_shortest_step_using_it():
    """Step 3 (1 day) is the tightest step that runs the chain up to the deputy's signature;
    due durations count working time, so the chain fits one working day."""
    due = {t.get("id"): working(props(t)["dueDuration"])
           for path in FILES for t in xp(parse(path), "//bpmn:userTask")}
    step_3 = sum((due[t] for t in ("assign_data_request", "draft_document", "check_kepala_subbagian",
                                   "check_kepala_bagian", "check_kepala_biro", "check_deputi",
                                   "send_document")), start=timedelta(0))
    assert step_3 <= working("P1D")
    step_1 = due["give_direction"] + due["assign_planning"]
    assert step_1 <= working("PT30M")


# ---------------------------------------------------------------- layout (diagram interchange)

@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_layout_is_complete_and_shapes_do_not_overlap(path):
    root = parse(path)
    (process,) = xp(root, "./bpmn:process")
    (participant,) = xp(root, f"./bpmn:collaboration/bpmn:participant[@processRef='{process.get('id')}']")
    (plane,) = xp(root, "//bpmndi:BPMNPlane")
    assert plane.get("bpmnElement") == xp(root, "./bpmn:collaboration/@id")[0]
    pool = bounds(root, participant.get("id"))
    lanes = {lane.get("id"): bounds(root, lane.get("id")) for lane in xp(process, ".//bpmn:lane")}
    for lane_id, box in lanes.items():
        assert inside(box, pool), lane_id
        assert xp(root, f"//bpmndi:BPMNShape[@bpmnElement='{lane_id}']/@isHorizontal") == ["true"]
    for a, b in combinations(lanes.values(), 2):
        assert not overlap(a, b)
    shapes = {}
    for lane in xp(process, ".//bpmn:lane"):
        for ref in xp(lane, "./bpmn:flowNodeRef"):
            shapes[ref.text] = bounds(root, ref.text)
            assert inside(shapes[ref.text], lanes[lane.get("id")]), f"{ref.text} outside its lane"
    assert set(shapes) == {n.get("id") for n in flow_nodes(process)}
    # a boundary event sits on the border of its task: that overlap is the notation
    attached = {(n.get("id"), n.get("attachedToRef")) for n in xp(process, "./bpmn:boundaryEvent")}
    for (a, box_a), (b, box_b) in combinations(shapes.items(), 2):
        if (a, b) in attached or (b, a) in attached:
            continue
        assert not overlap(box_a, box_b), f"{a} overlaps {b}"
    for flow in xp(process, "./bpmn:sequenceFlow"):
        edges = xp(root, f"//bpmndi:BPMNEdge[@bpmnElement='{flow.get('id')}']")
        assert len(edges) == 1 and len(xp(edges[0], "./di:waypoint")) >= 2, flow.get("id")
