"""Deploying diagrams: versions by content, specs stored once, every problem reported."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from engine import usecases
from engine.errors import DiagramInvalid, Forbidden
from engine.persistence.tables import DeploymentFile, ProcessDefinition, ProcessInstance
from tests.conftest import ADMIN, FIXTURES, actor, read_folder
from tests.engine import diagrams as d

FORMS = {"simple.json": d.SIMPLE_FORM}


def test_same_content_deployed_again_creates_no_version(ctx, mini_deployed):
    assert [(v.key, v.version, v.created) for v in mini_deployed.definitions] == [("mini_review", 1, True)]
    again = usecases.deploy(ctx, ADMIN, *read_folder(FIXTURES / "mini")).definitions
    assert [(v.key, v.version, v.created) for v in again] == [("mini_review", 1, False)]


def test_changed_diagram_becomes_next_version_and_instances_stay_pinned(ctx, mini_deployed):
    kepala_biro = actor("kb", "kepala_biro")
    first = usecases.start_instance(ctx, kepala_biro, "mini_review", {})
    diagrams, form_files = read_folder(FIXTURES / "mini")
    diagrams["review.bpmn"] = diagrams["review.bpmn"].replace(b"Menyusun konsep", b"Menyusun konsep baru")
    [v2] = usecases.deploy(ctx, ADMIN, diagrams, form_files).definitions
    assert (v2.version, v2.created) == (2, True)
    second = usecases.start_instance(ctx, kepala_biro, "mini_review", {})
    assert (first.definition_version, second.definition_version) == (1, 2)
    assert first.open_tasks[0].name == "Menyusun konsep"
    assert second.open_tasks[0].name == "Menyusun konsep baru"
    pinned = usecases.start_instance(ctx, kepala_biro, "mini_review", {}, version=1)
    assert pinned.open_tasks[0].name == "Menyusun konsep"


def test_changed_form_alone_makes_a_new_version(ctx, mini_deployed):
    diagrams, form_files = read_folder(FIXTURES / "mini")
    schema = json.loads(form_files["mini_draft.json"])
    schema["properties"]["title"]["maxLength"] = 200
    form_files["mini_draft.json"] = json.dumps(schema).encode()
    [view] = usecases.deploy(ctx, ADMIN, diagrams, form_files).definitions
    assert (view.version, view.created) == (2, True)


def test_spec_is_stored_once_per_version_not_per_instance(ctx, mini_deployed):
    kepala_biro = actor("kb", "kepala_biro")
    for _ in range(3):
        usecases.start_instance(ctx, kepala_biro, "mini_review", {})
    with ctx.db.read() as s:
        assert s.scalar(select(func.count()).select_from(ProcessDefinition)) == 1
        states = list(s.scalars(select(ProcessInstance.state_json)))
    assert len(states) == 3
    for state in states:
        dct = json.loads(state)
        assert "spec" not in dct and "subprocess_specs" not in dct


def test_deployed_files_are_kept_byte_for_byte(ctx, mini_deployed):
    diagrams, form_files = read_folder(FIXTURES / "mini")
    with ctx.db.read() as s:
        stored = {f.filename: f.content for f in s.scalars(select(DeploymentFile))}
    assert stored == {**diagrams, **form_files}


def test_only_admin_deploys(ctx):
    with pytest.raises(Forbidden):
        usecases.deploy(ctx, actor("kb", "kepala_biro"), *read_folder(FIXTURES / "mini"))


def errors_of(diagrams, form_files=FORMS) -> list[dict]:
    with pytest.raises(DiagramInvalid) as caught:
        usecases.check_deployment(diagrams, form_files)
    return caught.value.errors


def test_every_problem_is_reported_at_once_with_element_and_line():
    nodes = ['<bpmn:startEvent id="start" />',
             '<bpmn:userTask id="no_form" name="x"><bpmn:extensionElements><spiffworkflow:properties>'
             '<spiffworkflow:property name="dueDuration" value="P1D" /></spiffworkflow:properties>'
             '</bpmn:extensionElements></bpmn:userTask>',
             d.user_task("bad_due", due="one week"),
             d.user_task("unknown_form", form_key="nowhere"),
             d.user_task("no_lane"),
             '<bpmn:endEvent id="end" />']
    flows = [d.flow("f1", "start", "no_form"), d.flow("f2", "no_form", "bad_due"),
             d.flow("f3", "bad_due", "unknown_form"), d.flow("f4", "unknown_form", "no_lane"),
             d.flow("f5", "no_lane", "end")]
    lanes = [d.lane("l1", "staf", ["start", "no_form", "bad_due", "end"]),
             d.lane("l2", "kepala_bogus", ["unknown_form"])]
    errors = errors_of({"broken.bpmn": d.process("broken", nodes, flows, lanes)})
    by_element = {(e["element_id"], e["message"]) for e in errors}
    # A task without a form takes any variables; one without dueDuration has no due date.
    assert "no_form" not in {e["element_id"] for e in errors}
    assert ("bad_due", "dueDuration 'one week' is not an ISO 8601 duration of weeks, days, "
                       "hours or minutes (working time)") in by_element
    assert ("unknown_form", "form 'nowhere' is not in the deployment (a JSON Schema file "
                            "'nowhere.json' or a .form file with that id)") in by_element
    assert ("no_lane", "nobody may work this user task: it has no camunda:assignee, "
                       "camunda:candidateUsers or camunda:candidateGroups, no 'role' property, "
                       "and stands in no lane") in by_element
    assert all(e["file"] == "broken.bpmn" and isinstance(e["line"], int) for e in errors)


def test_xml_syntax_error_names_file_and_line():
    broken = d.sequence("p", [("user", "a")]).replace(b"</bpmn:process>", b"</bpmn:proces>")
    [error] = errors_of({"bad.bpmn": broken})
    assert error["file"] == "bad.bpmn"
    assert error["message"].startswith("XML syntax")
    assert error["line"] == broken.decode().count("\n", 0, broken.decode().index("</bpmn:proces>")) + 1


def test_missing_called_process_is_named():
    nodes = ['<bpmn:startEvent id="start" />',
             '<bpmn:callActivity id="call_it" name="Panggil" calledElement="not_deployed" />',
             '<bpmn:endEvent id="end" />']
    flows = [d.flow("f1", "start", "call_it"), d.flow("f2", "call_it", "end")]
    xml = d.process("caller", nodes, flows, [d.lane("l", "staf", ["start", "call_it", "end"])])
    [error] = errors_of({"caller.bpmn": xml})
    assert error["element_id"] == "call_it"
    assert "not_deployed" in error["message"]


def test_invalid_form_schema_is_reported_by_file():
    errors = errors_of({"s.bpmn": d.sequence("p", [("user", "a")])},
                       {"simple.json": b'{"type": "objekt"}'})
    assert errors[0]["file"] == "simple.json"
    assert "not a valid JSON Schema" in errors[0]["message"]
    errors = errors_of({"s.bpmn": d.sequence("p", [("user", "a")])}, {"simple.json": b"{nope"})
    assert errors[0]["file"] == "simple.json" and errors[0]["line"] == 1


def test_schema_violations_and_bad_expressions_are_all_reported():
    nodes = ['<bpmn:startEvent id="start" />', d.user_task("a"),
             d.script_task("calc", "total = sum(values)\nimport os"),
             '<bpmn:exclusiveGateway id="gw" default="f_default" />',
             '<bpmn:endEvent id="end" />', '<bpmn:endEvent id="end2" />']
    flows = [d.flow("f1", "start", "a"), d.flow("f2", "a", "calc"), d.flow("f3", "calc", "gw"),
             d.flow("f_default", "gw", "end"),
             d.flow("f_odd", "gw", "end2", condition="decision = 'approve'"),
             ]
    xml = d.process("exprs", nodes, flows, [d.lane("l", "staf", [
        "start", "a", "calc", "gw", "end", "end2"])])
    errors = errors_of({"exprs.bpmn": xml})
    assert {(e["element_id"], e["message"].split(":")[0]) for e in errors} == {
        ("calc", "script does not compile"), ("f_odd", "condition does not compile")}
    assert all(isinstance(e["line"], int) for e in errors)

    invalid = d.sequence("p", [("user", "a")]).replace(
        b'<bpmn:endEvent id="end" />', b'<bpmn:endEvent id="end"><bpmn:bogus /></bpmn:endEvent>')
    [error] = errors_of({"schema.bpmn": invalid})
    assert error["message"].startswith("BPMN schema:") and "bogus" in error["message"]
    assert error["element_id"] == "end" and isinstance(error["line"], int)


def test_one_edited_file_deploys_on_top_of_every_latest_version(ctx, mini_deployed):
    usecases.deploy(ctx, ADMIN, {"p.bpmn": d.parallel("par")}, FORMS)  # a deployment of its own
    diagrams, _ = read_folder(FIXTURES / "mini")
    edited = diagrams["review.bpmn"].replace(b"Menyusun konsep", b"Menyusun konsep v2")
    views = {v.key: v for v in usecases.deploy(ctx, ADMIN, {"review.bpmn": edited}, {},
                                               on_top_of_latest=True).definitions}
    assert (views["mini_review"].version, views["mini_review"].created) == (2, True)
    assert (views["par"].version, views["par"].created) == (1, False)
