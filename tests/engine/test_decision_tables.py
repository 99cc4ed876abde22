"""Decision tables: a business rule task picks the final signer of the approval chain from a
`.dmn` deployed with the diagram (spiff-arena's and Camunda Modeler's shapes); a changed
table makes the next version of the process using it; broken references and cells come
back in one answer with their lines; replay of such an instance is consistent."""
from __future__ import annotations

import pytest

from engine import usecases
from engine.errors import DiagramInvalid, WorkflowError
from engine.workflow import runtime
from engine.workflow.model import ProcessModel
from tests.conftest import ADMIN, FIXTURES, actor

DMN = FIXTURES / "dmn"
AUDITOR = actor("audit", "auditor")
SIGNERS = {role: actor(role, role) for role in ("kepala_biro", "deputi", "menteri")}


def files(*names: str) -> dict[str, bytes]:
    return {name: (DMN / name).read_bytes() for name in names}


def deploy_spiff(ctx):
    return usecases.deploy(ctx, ADMIN, files("signer_approval.bpmn", "final_signer.dmn"), {},
                           on_top_of_latest=True)


def queue_of(ctx, instance) -> str:
    [task] = instance.open_tasks
    return task.role


@pytest.mark.parametrize("doc_type, signer", [
    ("nota_dinas", "kepala_biro"), ("surat_edaran", "deputi"), ("keputusan", "menteri")])
def test_the_table_picks_the_final_signer_and_the_run_goes_to_that_queue(ctx, doc_type,
                                                                          signer):
    deploy_spiff(ctx)
    instance = usecases.start_instance(ctx, ADMIN, "signer_approval", {"doc_type": doc_type})
    assert queue_of(ctx, instance) == signer
    [task] = instance.open_tasks
    assert usecases.get_task_variables(ctx, ADMIN, task.id)["final_signer"] == signer
    usecases.complete_task(ctx, SIGNERS[signer], task.id, {}, claim=True)
    assert usecases.get_instance(ctx, ADMIN, instance.id).status == "completed"
    report = usecases.replay_instance(ctx, AUDITOR, instance.id)
    assert report.consistent, report


def test_camunda_decision_ref_with_a_single_entry_result_variable(ctx):
    usecases.deploy(ctx, ADMIN, files("signer_camunda.bpmn", "signer_rules_camunda.dmn"), {})
    short = usecases.start_instance(ctx, ADMIN, "signer_camunda", {"pages": 4})
    long = usecases.start_instance(ctx, ADMIN, "signer_camunda", {"pages": 40})
    assert (queue_of(ctx, short), queue_of(ctx, long)) == ("deputi", "menteri")
    [task] = long.open_tasks
    assert usecases.get_task_variables(ctx, ADMIN, task.id)["chosen"] == "menteri"
    usecases.complete_task(ctx, SIGNERS["menteri"], task.id, {}, claim=True)
    assert usecases.replay_instance(ctx, AUDITOR, long.id).consistent


def test_the_decision_table_survives_the_spec_store():
    model = ProcessModel.from_sources(files("signer_approval.bpmn", "final_signer.dmn"), {})
    executable = runtime.load_spec(runtime.dump_spec(
        *model.spec_and_subprocesses("signer_approval")))
    table = executable.spec.task_specs["choose_signer"].dmnEngine.decision_table
    assert [rule.outputEntries[0].text for rule in table.rules] == [
        '"kepala_biro"', '"deputi"', '"menteri"']


def test_a_changed_table_deployed_alone_makes_the_next_version(ctx):
    deploy_spiff(ctx)
    same = usecases.deploy(ctx, ADMIN, files("final_signer.dmn"), {}, on_top_of_latest=True)
    assert same.deployment_id is None  # nothing changed: no new version
    changed = (DMN / "final_signer.dmn").read_bytes().replace(
        b'<text>"deputi"</text>', b'<text>"menteri"</text>')
    view = usecases.deploy(ctx, ADMIN, {"final_signer.dmn": changed}, {},
                           on_top_of_latest=True)
    [definition] = view.definitions
    assert (definition.key, definition.version) == ("signer_approval", 2)
    instance = usecases.start_instance(ctx, ADMIN, "signer_approval",
                                       {"doc_type": "surat_edaran"})
    assert queue_of(ctx, instance) == "menteri"
    # a later deployment of the diagram alone keeps the table the latest version uses
    usecases.deploy(ctx, ADMIN, files("signer_approval.bpmn"), {}, on_top_of_latest=True)
    again = usecases.start_instance(ctx, ADMIN, "signer_approval",
                                    {"doc_type": "surat_edaran"})
    assert queue_of(ctx, again) == "menteri"


def test_a_re_saved_table_without_its_drawing_is_the_same_version(ctx):
    deploy_spiff(ctx)
    original = (DMN / "final_signer.dmn").read_bytes()
    start, end = original.index(b"<dmndi:DMNDI>"), original.index(b"</dmndi:DMNDI>")
    undrawn = original[:start] + original[end + len(b"</dmndi:DMNDI>"):]
    view = usecases.deploy(ctx, ADMIN, {"final_signer.dmn": undrawn}, {},
                           on_top_of_latest=True)
    assert view.deployment_id is None


def test_unknown_decision_and_broken_cells_come_back_in_one_answer():
    diagram = (DMN / "signer_approval.bpmn").read_bytes().replace(
        b">final_signer_by_kind<", b">signer_nobody_wrote<")
    table = (DMN / "signer_rules_camunda.dmn").read_bytes().replace(
        b"<text>&gt;= 10</text>", b"<text>&gt;= __import__('os')</text>").replace(
        b'<text>"menteri"</text>', b'<text>"menteri" +</text>')
    with pytest.raises(DiagramInvalid) as caught:
        ProcessModel.from_sources({"signer_approval.bpmn": diagram, "rules.dmn": table}, {})
    found = {(p["file"], p["element_id"]): p for p in caught.value.errors}
    unknown = found[("signer_approval.bpmn", "choose_signer")]
    assert "signer_nobody_wrote" in unknown["message"] and unknown["line"]
    assert found[("rules.dmn", "UnaryTests_1long")]["line"] == 21
    assert found[("rules.dmn", "LiteralExpression_1long")]["line"] == 24
    assert len(caught.value.errors) == 3


def test_a_business_rule_task_without_a_decision_is_an_error():
    diagram = (DMN / "signer_approval.bpmn").read_bytes().replace(
        b"<spiffworkflow:calledDecisionId>final_signer_by_kind"
        b"</spiffworkflow:calledDecisionId>", b"")
    with pytest.raises(DiagramInvalid) as caught:
        ProcessModel.from_sources({"signer_approval.bpmn": diagram,
                                   **files("final_signer.dmn")}, {})
    [problem] = caught.value.errors
    assert problem["element_id"] == "choose_signer" and "names no decision" in problem["message"]


def test_an_unsupported_result_mapping_is_an_error():
    diagram = (DMN / "signer_camunda.bpmn").read_bytes().replace(
        b'camunda:mapDecisionResult="singleEntry"', b'camunda:mapDecisionResult="resultList"')
    with pytest.raises(DiagramInvalid) as caught:
        ProcessModel.from_sources({"signer_camunda.bpmn": diagram,
                                   **files("signer_rules_camunda.dmn")}, {})
    [problem] = caught.value.errors
    assert problem["element_id"] == "Activity_rule" and "resultList" in problem["message"]


def test_a_cell_failing_at_run_time_is_reported_by_the_sandbox(ctx):
    table = (DMN / "final_signer.dmn").read_bytes().replace(
        b'<text>"deputi"</text>', b"<text>1 / 0</text>")
    usecases.deploy(ctx, ADMIN, {**files("signer_approval.bpmn"), "final_signer.dmn": table},
                    {})
    with pytest.raises(WorkflowError) as caught:
        usecases.start_instance(ctx, ADMIN, "signer_approval", {"doc_type": "surat_edaran"})
    # the sandbox's own wording: the element, then what the jail reported
    assert "element 'choose_signer'" in str(caught.value)
    assert "ZeroDivisionError" in str(caught.value)


@pytest.mark.parametrize("old, new, says", [
    (b'<decisionTable id="DecisionTable_0f7xrbd"', b"<decisionTable", "decision table has no id"),
    (b'<output id="Output_1"', b"<output", "missing attribute 'id'"),
    (b"</decision>", b'</decision><decision id="other"><decisionTable id="t"/></decision>',
     "holds one decision"),
])
def test_an_odd_table_is_a_problem_naming_the_file(old, new, says):
    table = (DMN / "final_signer.dmn").read_bytes().replace(old, new)
    with pytest.raises(DiagramInvalid) as caught:
        ProcessModel.from_sources({**files("signer_approval.bpmn"), "final_signer.dmn": table},
                                  {})
    assert any(p["file"] == "final_signer.dmn" and says in p["message"]
               for p in caught.value.errors), caught.value.errors


def test_a_rule_reached_after_the_instance_was_stored_and_loaded_again(ctx):
    """The table travels in the version's spec: a rule reached after a user task (the
    instance stored, then loaded for the completion) still decides."""
    diagram = (DMN / "signer_camunda.bpmn").read_bytes().replace(
        b'<bpmn:sequenceFlow id="Flow_0a1" sourceRef="StartEvent_1" targetRef="Activity_rule" />',
        b'<bpmn:sequenceFlow id="Flow_0a1" sourceRef="StartEvent_1" targetRef="Activity_count" />'
        b'<bpmn:userTask id="Activity_count" name="Hitung halaman" '
        b'camunda:candidateGroups="staf"><bpmn:incoming>Flow_0a1</bpmn:incoming>'
        b'<bpmn:outgoing>Flow_0a0</bpmn:outgoing></bpmn:userTask>'
        b'<bpmn:sequenceFlow id="Flow_0a0" sourceRef="Activity_count" '
        b'targetRef="Activity_rule" />').replace(
        b"<bpmn:incoming>Flow_0a1</bpmn:incoming>\n      <bpmn:outgoing>Flow_0a2",
        b"<bpmn:incoming>Flow_0a0</bpmn:incoming>\n      <bpmn:outgoing>Flow_0a2")
    usecases.deploy(ctx, ADMIN, {"signer_camunda.bpmn": diagram,
                                 **files("signer_rules_camunda.dmn")}, {})
    instance = usecases.start_instance(ctx, ADMIN, "signer_camunda", {})
    [count] = instance.open_tasks
    usecases.complete_task(ctx, actor("sari", "staf"), count.id, {"pages": 12}, claim=True)
    [sign] = usecases.get_instance(ctx, ADMIN, instance.id).open_tasks
    assert sign.role == "menteri"
    assert usecases.replay_instance(ctx, AUDITOR, instance.id).consistent
