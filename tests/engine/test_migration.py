"""Moving running instances to a newer version: allowed where their position exists there,
refused with reasons otherwise, recorded, and replayed."""
from __future__ import annotations

import pytest

from engine import usecases
from engine.audit.bundle import verify_bundle
from engine.errors import Forbidden, InstanceNotRunning
from tests.conftest import ADMIN, FIXTURES, actor, read_folder

STAF = actor("staf1", "staf")
KABAG = actor("kabag", "kepala_bagian")
AUDITOR = actor("aud", "auditor")


def v2_with_a_final_note() -> dict[str, bytes]:
    """review.bpmn v2: the draft task renamed, and a new step after the approval."""
    diagrams, _ = read_folder(FIXTURES / "mini")
    xml = diagrams["review.bpmn"].decode()
    xml = xml.replace('name="Menyusun konsep"', 'name="Menyusun konsep v2"')
    xml = xml.replace('<bpmn:flowNodeRef>end</bpmn:flowNodeRef>',
                      '<bpmn:flowNodeRef>end</bpmn:flowNodeRef>'
                      '<bpmn:flowNodeRef>final_note</bpmn:flowNodeRef>')
    xml = xml.replace('<bpmn:endEvent id="end" name="Selesai"><bpmn:incoming>f_approve</bpmn:incoming>',
                      '<bpmn:userTask id="final_note" name="Mencatat hasil">'
                      '<bpmn:extensionElements><spiffworkflow:properties>'
                      '<spiffworkflow:property name="formKey" value="mini_draft" />'
                      '<spiffworkflow:property name="dueDuration" value="P1D" />'
                      '</spiffworkflow:properties></bpmn:extensionElements>'
                      '<bpmn:incoming>f_approve</bpmn:incoming><bpmn:outgoing>f_note</bpmn:outgoing>'
                      '</bpmn:userTask>'
                      '<bpmn:sequenceFlow id="f_note" sourceRef="final_note" targetRef="end" />'
                      '<bpmn:endEvent id="end" name="Selesai"><bpmn:incoming>f_note</bpmn:incoming>')
    xml = xml.replace('sourceRef="decided" targetRef="end"', 'sourceRef="decided" targetRef="final_note"')
    return {"review.bpmn": xml.encode()}


def v2_without_the_check() -> dict[str, bytes]:
    """review.bpmn v2 with no check step: the draft goes straight to the decision.
    Instances waiting at the check cannot move; those before it can."""
    diagrams, _ = read_folder(FIXTURES / "mini")
    xml = diagrams["review.bpmn"].decode()
    start = xml.index('<bpmn:userTask id="check"')
    end = xml.index("</bpmn:userTask>", start) + len("</bpmn:userTask>")
    xml = xml[:start] + xml[end:]
    for old, new in (('<bpmn:flowNodeRef>check</bpmn:flowNodeRef>', ''),
                     ('<bpmn:sequenceFlow id="f3" sourceRef="check" targetRef="decided" />', ''),
                     ('<bpmn:sequenceFlow id="f2" sourceRef="draft" targetRef="check" />',
                      '<bpmn:sequenceFlow id="f2" sourceRef="draft" targetRef="decided" />'),
                     ('<bpmn:incoming>f3</bpmn:incoming>', '<bpmn:incoming>f2</bpmn:incoming>'),
                     # nobody decides any more: an empty title sends the draft back
                     ('decision == "revise"', 'title == ""')):
        assert old in xml, old
        xml = xml.replace(old, new)
    return {"review.bpmn": xml.encode()}


def v2_with_the_check_renamed() -> dict[str, bytes]:
    """The same structure with the check's id changed: SpiffWorkflow aligns it by position."""
    diagrams, _ = read_folder(FIXTURES / "mini")
    xml = diagrams["review.bpmn"].decode()
    for old, new in (('id="check"', 'id="check_v2"'), ('targetRef="check"', 'targetRef="check_v2"'),
                     ('sourceRef="check"', 'sourceRef="check_v2"'),
                     ('<bpmn:flowNodeRef>check</bpmn:flowNodeRef>',
                      '<bpmn:flowNodeRef>check_v2</bpmn:flowNodeRef>')):
        xml = xml.replace(old, new)
    return {"review.bpmn": xml.encode()}


def deploy_v2(ctx, diagrams):
    [view] = usecases.deploy(ctx, ADMIN, diagrams, read_folder(FIXTURES / "mini")[1]).definitions
    assert view.version == 2


def at_check(ctx):
    """An instance whose draft is done and whose check waits."""
    instance = usecases.start_instance(ctx, ADMIN, "mini_review", {})
    [draft] = instance.open_tasks
    usecases.claim_task(ctx, STAF, draft.id)
    usecases.complete_task(ctx, STAF, draft.id, {"title": "v1"})
    return instance.id


def test_an_instance_moves_to_the_new_version_keeping_its_claimed_task(ctx, mini_deployed):
    instance = usecases.start_instance(ctx, ADMIN, "mini_review", {})
    [draft] = instance.open_tasks
    usecases.claim_task(ctx, STAF, draft.id)
    deploy_v2(ctx, v2_with_a_final_note())

    dry = usecases.migrate_instance(ctx, ADMIN, instance.id, 2, dry_run=True)
    assert (dry.allowed, dry.dry_run, dry.reasons) == (True, True, [])
    assert usecases.get_instance(ctx, ADMIN, instance.id).definition_version == 1

    moved = usecases.migrate_instance(ctx, ADMIN, instance.id, 2)
    assert moved.allowed and (moved.from_version, moved.to_version) == (1, 2)
    [kept] = moved.open_tasks
    assert (kept.id, kept.assignee, kept.name) == (draft.id, "staf1", "Menyusun konsep v2")
    assert usecases.get_instance(ctx, ADMIN, instance.id).definition_version == 2

    [check] = usecases.complete_task(ctx, STAF, draft.id, {"title": "x"}).next_tasks
    usecases.claim_task(ctx, KABAG, check.id)
    [note] = usecases.complete_task(ctx, KABAG, check.id, {"decision": "approve"}).next_tasks
    assert note.element_id == "final_note"  # the new version's step runs
    usecases.claim_task(ctx, STAF, note.id)
    usecases.complete_task(ctx, STAF, note.id, {"title": "catatan"})
    assert usecases.get_instance(ctx, ADMIN, instance.id).status == "completed"

    types = [e.type for e in usecases.instance_history(ctx, AUDITOR, instance.id).items]
    assert "instance_migrated" in types and "task_updated" in types
    report = usecases.replay_instance(ctx, AUDITOR, instance.id)
    assert report.consistent, report.divergence
    bundle = verify_bundle(usecases.audit_bundle(ctx, AUDITOR, instance.id))
    assert bundle.valid, bundle.problems


def test_an_instance_whose_position_is_gone_is_refused_and_untouched(ctx, mini_deployed):
    instance_id = at_check(ctx)
    before = usecases.instance_history(ctx, AUDITOR, instance_id).total
    deploy_v2(ctx, v2_without_the_check())
    refused = usecases.migrate_instance(ctx, ADMIN, instance_id, 2)
    assert not refused.allowed
    assert refused.reasons == ["element 'check' of 'mini_review' (ready) does not exist in the "
                               "target version"]
    assert usecases.get_instance(ctx, ADMIN, instance_id).definition_version == 1
    assert usecases.instance_history(ctx, AUDITOR, instance_id).total == before
    assert usecases.replay_instance(ctx, AUDITOR, instance_id).consistent


def test_bulk_migration_moves_what_it_can(ctx, mini_deployed):
    waiting_at_draft = usecases.start_instance(ctx, ADMIN, "mini_review", {}).id
    waiting_at_check = at_check(ctx)
    deploy_v2(ctx, v2_without_the_check())
    results = {r.process_instance_id: r for r in
               usecases.migrate_version(ctx, ADMIN, "mini_review", 1, 2)}
    assert results[waiting_at_draft].allowed  # check lies ahead of it: re-predicted in v2
    assert not results[waiting_at_check].allowed
    instance = usecases.get_instance(ctx, ADMIN, waiting_at_draft)
    assert instance.definition_version == 2
    [draft] = instance.open_tasks
    usecases.claim_task(ctx, STAF, draft.id)
    # v2 has no check: the draft goes straight to the (default: approve) decision
    assert usecases.complete_task(ctx, STAF, draft.id, {"title": "x"}).next_tasks == []
    assert usecases.get_instance(ctx, ADMIN, waiting_at_draft).status == "completed"
    assert usecases.replay_instance(ctx, AUDITOR, waiting_at_draft).consistent


def test_a_renamed_step_keeps_its_waiting_task(ctx, mini_deployed):
    instance_id = at_check(ctx)
    [check] = usecases.get_instance(ctx, ADMIN, instance_id).open_tasks
    deploy_v2(ctx, v2_with_the_check_renamed())
    moved = usecases.migrate_instance(ctx, ADMIN, instance_id, 2)
    assert moved.allowed
    [kept] = moved.open_tasks
    assert (kept.id, kept.element_id) == (check.id, "check_v2")
    usecases.claim_task(ctx, KABAG, check.id)
    usecases.complete_task(ctx, KABAG, check.id, {"decision": "approve"})
    assert usecases.get_instance(ctx, ADMIN, instance_id).status == "completed"
    assert usecases.replay_instance(ctx, AUDITOR, instance_id).consistent


def test_migration_is_for_admins_and_running_instances(ctx, mini_deployed):
    instance = usecases.start_instance(ctx, ADMIN, "mini_review", {})
    deploy_v2(ctx, v2_with_a_final_note())
    with pytest.raises(Forbidden):
        usecases.migrate_instance(ctx, actor("kb", "kepala_biro"), instance.id, 2)
    usecases.terminate_instance(ctx, ADMIN, instance.id)
    with pytest.raises(InstanceNotRunning):
        usecases.migrate_instance(ctx, ADMIN, instance.id, 2)
    same = usecases.migrate_instance(ctx, ADMIN, usecases.start_instance(
        ctx, ADMIN, "mini_review", {}).id, 2)
    assert not same.allowed and same.reasons == ["the instance runs this version already"]
