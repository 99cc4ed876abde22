"""Who works a user task, whatever modeler drew it: the rules in order (assignee, candidate
users and groups, the task's or lane's `role` property, the lane's name), placeholders,
unknown groups, and the diagrams of each modeler deployed and run to the end."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from engine import usecases
from engine.errors import DiagramInvalid, FormInvalid, TaskNotFound, WorkflowError
from engine.workflow.model import ProcessModel
from tests.conftest import ADMIN, FIXTURES, actor, read_folder
from tests.engine.dialect_diagrams import one_task, spiff_properties

DIALECTS = FIXTURES / "dialects"
ALICE = actor("alice", "staf")
BOB = actor("bob", "staf")
KABAG = actor("kabag", "kepala_bagian")
BIRO = actor("biro", "kepala_biro")
UNIT_A = actor("unit_a", "satuan_kerja:A")
AUDITOR = actor("audit", "auditor")


def deployed(ctx, xml: bytes, forms: dict | None = None):
    return usecases.deploy(ctx, ADMIN, {"p.bpmn": xml}, forms or {})


def start_one(ctx, xml: bytes, variables: dict | None = None):
    deployed(ctx, xml)
    [view] = usecases.list_definitions(ctx)
    return usecases.start_instance(ctx, ADMIN, view.key, variables or {})


def seen_by(ctx, *actors) -> dict[str, int]:
    return {a.username: usecases.list_tasks(ctx, a).total for a in actors}


def problems(xml: bytes, **kwargs) -> list[dict]:
    with pytest.raises(DiagramInvalid) as caught:
        ProcessModel.from_sources({"p.bpmn": xml}, {}, **kwargs)
    return caught.value.errors


# ---------------------------------------------------------------- who works a task

def test_an_assignee_alone_sees_works_the_task(ctx):
    instance = start_one(ctx, one_task("p", 'camunda:assignee="${requester}"', lane="tim"),
                         {"requester": "alice"})
    [task] = instance.open_tasks
    # Assigned as it opens, as Camunda does: in alice's own tasks, not waiting in a queue.
    assert (task.role, task.state, task.assignee) == ("user:alice", "claimed", "alice")
    assert [t.id for t in usecases.list_tasks(ctx, ALICE, assignee="me").items] == [task.id]
    assert seen_by(ctx, ALICE, BOB, ADMIN, AUDITOR) == {"alice": 1, "bob": 0, "admin": 1,
                                                        "audit": 1}
    with pytest.raises(TaskNotFound):
        usecases.claim_task(ctx, BOB, task.id)
    # given back, it waits in alice's queue alone
    assert usecases.unclaim_task(ctx, ALICE, task.id).state == "ready"
    assert seen_by(ctx, ALICE, BOB) == {"alice": 1, "bob": 0}
    usecases.complete_task(ctx, ALICE, task.id, {"note": "selesai"}, claim=True)
    assert usecases.get_instance(ctx, ADMIN, instance.id).status == "completed"
    timeline = usecases.instance_timeline(ctx, ADMIN, instance.id)
    assert [(e.type, e.actor, e.details.get("assignee")) for e in timeline if e.task_id] == [
        ("task_ready", "system", "alice"), ("task_unclaimed", "alice", "alice"),
        ("task_claimed", "alice", None), ("task_completed", "alice", None)]


def test_candidate_users_and_groups_share_the_task(ctx):
    xml = one_task("p", 'camunda:candidateGroups="kepala_bagian, kepala_biro" '
                        'camunda:candidateUsers="alice,{deputy}"', lane="staf")
    instance = start_one(ctx, xml, {"deputy": "bob"})
    [task] = instance.open_tasks
    assert task.role == "kepala_bagian|kepala_biro|user:alice|user:bob"
    assert (task.state, task.assignee) == ("ready", None)  # candidates: nobody holds it yet
    outsider = actor("carol", "staf")
    assert seen_by(ctx, KABAG, BIRO, ALICE, BOB, outsider) == {
        "kabag": 1, "biro": 1, "alice": 1, "bob": 1, "carol": 0}
    with pytest.raises(TaskNotFound):
        usecases.claim_task(ctx, outsider, task.id)
    # A queue filter finds it by any one of its queues, for its holders and for admins
    for who, queue in [(KABAG, "kepala_bagian"), (BIRO, "kepala_biro"), (ADMIN, "kepala_biro"),
                       (BOB, "user:bob")]:
        listed = usecases.list_tasks(ctx, who, role=queue)
        assert [t.id for t in listed.items] == [task.id] and listed.total == 1, (who, queue)
    assert usecases.list_tasks(ctx, KABAG, role="kepala_biro").total == 0
    assert usecases.list_tasks(ctx, ADMIN, role="staf").total == 0
    view = usecases.get_task(ctx, ADMIN, task.id)
    assert (view.candidate_groups, view.candidate_users) == (
        ("kepala_bagian", "kepala_biro"), ("alice", "bob"))
    usecases.claim_task(ctx, KABAG, task.id)
    # Claimed: still listed once for its holder, and by the queues' other holders
    assert seen_by(ctx, KABAG, BIRO) == {"kabag": 1, "biro": 1}
    usecases.complete_task(ctx, KABAG, task.id, {})
    assert seen_by(ctx, KABAG, BIRO, ALICE) == {"kabag": 0, "biro": 0, "alice": 0}


def test_losing_a_role_keeps_a_claim_another_queue_still_allows(ctx):
    xml = one_task("p", 'camunda:candidateGroups="kepala_bagian" '
                        'camunda:candidateUsers="kabag"', lane="staf")
    [task] = start_one(ctx, xml).open_tasks
    usecases.create_user(ctx, ADMIN, "kabag", "a-long-password-1", ["kepala_bagian"])
    usecases.claim_task(ctx, KABAG, task.id)
    usecases.update_user(ctx, ADMIN, "kabag", roles=["staf"])
    assert usecases.get_task(ctx, ADMIN, task.id).assignee == "kabag"


@pytest.mark.parametrize(("task_props", "lane", "lane_props", "role"), [
    ({"role": "kepala_biro"}, "staf", {"role": "tim"}, "kepala_biro"),  # task's property
    ({}, "Tim Penyusun", {"role": "tim"}, "tim"),  # lane's property
    ({}, "Kepala Bagian", {}, "kepala_bagian"),  # lane's name (SpiffArena's habit)
    ({}, "satuan_kerja:{unit}", {}, "satuan_kerja:A"),  # placeholder in a lane's name
    ({"role": "satuan_kerja:${unit}"}, "x", {}, "satuan_kerja:A"),  # Camunda's placeholder
])
def test_role_property_and_lane_rules_in_order(ctx, task_props, lane, lane_props, role):
    xml = one_task("p", extensions=spiff_properties(**task_props) if task_props else "",
                   lane=lane, lane_extensions=spiff_properties(**lane_props) if lane_props
                   else "")
    [task] = start_one(ctx, xml, {"unit": "A"}).open_tasks
    assert task.role == role


def test_the_assignee_wins_over_everything_else(ctx):
    xml = one_task("p", 'camunda:assignee="alice" camunda:candidateGroups="kepala_biro"',
                   spiff_properties(role="tim"), lane="staf")
    [task] = start_one(ctx, xml).open_tasks
    assert task.role == "user:alice"


@pytest.mark.parametrize("lane", [None, "Penyusun"])
def test_a_task_nobody_may_work_is_a_deploy_error_naming_it(lane):
    [problem] = problems(one_task("p", lane=lane))
    assert problem["element_id"] == "Activity_1" and isinstance(problem["line"], int)
    assert problem["message"].startswith("nobody may work this user task")
    assert ("in no lane" if lane is None else "lane 'Penyusun'") in problem["message"]


def test_an_expression_in_a_placeholder_is_refused():
    [problem] = problems(one_task("p", 'camunda:assignee="${user.name}"'))
    assert problem["element_id"] == "Activity_1"
    assert "not a plain variable name" in problem["message"]


def test_an_unknown_group_deploys_with_a_warning_and_admins_see_the_task(ctx):
    xml = one_task("p", 'camunda:candidateGroups="humas"', lane="staf")
    view = deployed(ctx, xml)
    [warning] = [w for w in view.warnings if "humas" in w["message"]]
    assert warning["element_id"] == "Activity_1" and warning["file"] == "p.bpmn"
    instance = usecases.start_instance(ctx, ADMIN, "p", {})
    [task] = instance.open_tasks
    assert task.role == "humas"
    humas = actor("hana", "humas")
    assert seen_by(ctx, ADMIN, ALICE, humas) == {"admin": 1, "alice": 0, "hana": 1}


def test_the_known_groups_are_a_parameter():
    xml = one_task("p", 'camunda:candidateGroups="humas"', lane="staf")
    assert ProcessModel.from_sources({"p.bpmn": xml}, {}, known_groups={"humas"}).warnings == []
    model = ProcessModel.from_sources({"p.bpmn": xml}, {}, known_groups={"staf"})
    assert [w["message"][:14] for w in model.warnings] == ["group 'humas' "]
    # A placeholder matches the groups it can fill to.
    per_unit = one_task("p", 'camunda:candidateGroups="satuan_kerja:${unit}"', lane="staf")
    assert ProcessModel.from_sources({"p.bpmn": per_unit}, {},
                                     known_groups={"satuan_kerja:A"}).warnings == []
    assert ProcessModel.from_sources({"p.bpmn": per_unit}, {}, known_groups={"staf"}).warnings
    # A lane's name counts only when it names a known group.
    lane_named = one_task("p", lane="humas")
    assert ProcessModel.from_sources({"p.bpmn": lane_named}, {}, known_groups={"humas"})
    assert problems(lane_named, known_groups={"staf"})[0]["element_id"] == "Activity_1"


# ---------------------------------------------------------------- tasks that pass through

@pytest.mark.parametrize("kind", ["task", "manualTask"])
def test_plain_and_manual_tasks_pass_through(ctx, kind):
    instance = start_one(ctx, one_task("p", task_kind=kind))
    assert instance.open_tasks == []
    assert usecases.get_instance(ctx, ADMIN, instance.id).status == "completed"


# ---------------------------------------------------------------- due dates

def test_a_due_date_from_a_variable_or_written_in_the_diagram(ctx):
    xml = one_task("p", 'camunda:assignee="alice" camunda:dueDate="${deadline}"')
    [task] = start_one(ctx, xml, {"deadline": "2026-12-31T17:00:00+07:00"}).open_tasks
    assert task.due_at == datetime(2026, 12, 31, 10, 0, tzinfo=timezone.utc)
    fixed = one_task("q", 'camunda:assignee="alice" camunda:dueDate="2027-01-04T09:00:00Z"')
    deployed(ctx, fixed)
    [task] = usecases.start_instance(ctx, ADMIN, "q", {}).open_tasks
    assert task.due_at == datetime(2027, 1, 4, 9, 0, tzinfo=timezone.utc)


def test_no_due_date_without_one_and_a_bad_due_date_is_refused(ctx):
    [task] = start_one(ctx, one_task("p", 'camunda:assignee="alice"')).open_tasks
    assert task.due_at is None
    [problem] = problems(one_task("p", 'camunda:assignee="a" camunda:dueDate="next week"'))
    assert "camunda:dueDate 'next week'" in problem["message"]


def test_a_due_date_variable_that_is_no_date_is_refused_naming_the_task(ctx):
    xml = one_task("p", 'camunda:assignee="alice" camunda:dueDate="${deadline}"')
    with pytest.raises(WorkflowError, match="task 'Activity_1': due date 'besok'"):
        start_one(ctx, xml, {"deadline": "besok"})


# ---------------------------------------------------------------- forms

def test_a_task_without_a_form_takes_any_variables(ctx):
    xml = one_task("p", 'camunda:assignee="alice"')
    [task] = start_one(ctx, xml).open_tasks
    assert usecases.get_task_form(ctx, ALICE, task.id) == ("", {}, "none")
    usecases.complete_task(ctx, ALICE, task.id, {"note": "x", "count": 2}, claim=True)
    instance = usecases.get_instance(ctx, ADMIN, task.process_instance_id)
    assert instance.status == "completed"


def test_form_references_of_each_dialect_resolve(ctx):
    diagrams, forms = read_folder(DIALECTS / "camunda")
    schema = b'{"type": "object", "properties": {"a": {"type": "string"}}, ' \
             b'"additionalProperties": false}'
    forms = {**forms, "plain.json": schema}
    for attributes, extensions, key in [
            ('camunda:formKey="plain"', "", "plain"),
            ('camunda:formKey="forms/plain.json"', "", "plain"),
            ("", spiff_properties(formJsonSchemaFilename="plain.json"), "plain"),
            ("", spiff_properties(formKey="plain"), "plain"),
            ('camunda:formRef="leave_review"', "", "leave_review"),
            ('camunda:formKey="camunda-forms:deployment:review.form"', "", "leave_review")]:
        xml = one_task("p", f'camunda:assignee="a" {attributes}', extensions)
        model = ProcessModel.from_sources({"p.bpmn": xml}, forms)
        assert model.user_tasks["p.bpmn#Activity_1"].form_key == key, attributes


def test_a_missing_or_html_form_is_a_deploy_error():
    for attributes, words in [('camunda:formRef="nowhere"', "form 'nowhere' is not in"),
                              ('camunda:formKey="camunda-forms:deployment:x.form"',
                               "form file 'x.form' is not in"),
                              ('camunda:formKey="embedded:app:forms/a.html"', "HTML form")]:
        messages = [p["message"] for p in problems(one_task("p", f'camunda:assignee="a" '
                                                                 f'{attributes}'))]
        assert any(words in m for m in messages), messages


def test_the_dialect_diagrams_run_to_the_end_in_process(ctx):
    """The same runs as the HTTP test, one command at a time."""
    for folder in ("camunda", "spiffarena", "bpmnio"):
        view = usecases.deploy(ctx, ADMIN, *read_folder(DIALECTS / folder))
        assert [d.created for d in view.definitions] == [True]
        assert view.warnings == []
    instance = usecases.start_instance(ctx, ADMIN, "meeting_minutes", {})
    [write] = instance.open_tasks
    [sign] = usecases.complete_task(ctx, ALICE, write.id, {"minutes": "..."},
                                    claim=True).next_tasks
    assert sign.role == "kepala_subbagian"
    usecases.complete_task(ctx, actor("ksb", "kepala_subbagian"), sign.id, {}, claim=True)
    assert usecases.get_instance(ctx, ADMIN, instance.id).status == "completed"

    instance = usecases.start_instance(ctx, ADMIN, "activity_report", {})
    [fill] = instance.open_tasks
    with pytest.raises(FormInvalid):
        usecases.complete_task(ctx, ALICE, fill.id, {"activities": -1}, claim=True)
    [approve] = usecases.complete_task(ctx, ALICE, fill.id, {"activities": 3},
                                       claim=True).next_tasks
    with pytest.raises(TaskNotFound):
        usecases.claim_task(ctx, ALICE, approve.id)
    usecases.complete_task(ctx, KABAG, approve.id, {"decision": "approve"}, claim=True)
    assert usecases.get_instance(ctx, ADMIN, instance.id).status == "completed"


def test_the_sla_report_says_no_limit_for_a_task_without_due_date(ctx):
    [task] = start_one(ctx, one_task("p", 'camunda:assignee="alice"')).open_tasks
    usecases.complete_task(ctx, ALICE, task.id, {}, claim=True)
    report = usecases.sla_report(ctx, ADMIN, datetime(2000, 1, 1, tzinfo=timezone.utc),
                                 datetime(2100, 1, 1, tzinfo=timezone.utc))
    [step] = usecases.sla_to_json(report)["steps"]
    assert (step["completed"], step["with_due"], step["on_time_share"], step["limit"]) == (
        1, 0, None, "no limit")
    assert report.breaches == []


def test_the_assignee_and_every_candidate_are_told_of_a_new_task(ctx):
    from sqlalchemy import select

    from engine.persistence.tables import OutboxMessage
    for username, role in (("alice", "staf"), ("bob", "staf"), ("kabag", "kepala_bagian"),
                           ("biro", "kepala_biro")):
        usecases.create_user(ctx, ADMIN, username, "a-long-password-1", [role],
                             email=f"{username}@setneg.example")
    xml = one_task("p", 'camunda:candidateGroups="kepala_bagian" '
                        'camunda:candidateUsers="alice,{deputy}"', lane="staf")
    start_one(ctx, xml, {"deputy": "bob"})
    with ctx.db.read() as s:
        told = sorted(m.username for m in s.scalars(select(OutboxMessage)))
    assert told == ["alice", "bob", "kabag"]
