"""Deployments the way process owners expect: a version follows the process id (not the file
name) and what the process means (not how a modeler saved it); a resource is stored once;
deployments list their resources; a version no instance uses can be deleted; a suspended
process starts nothing new."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from engine import usecases
from engine.errors import Conflict, DefinitionInUse, DefinitionSuspended, InvalidInput
from engine.persistence.tables import Deployment, DeploymentFile
from tests.conftest import ADMIN, FIXTURES, actor, read_folder

MINI = read_folder(FIXTURES / "mini")
PARALLEL = read_folder(FIXTURES / "parallel")
KEPALA_BIRO = actor("kb", "kepala_biro")


def with_di(xml: bytes, x: int) -> bytes:
    """The diagram with diagram interchange, as a modeler adds it (shapes at `x`)."""
    di = (f'<bpmndi:BPMNDiagram xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
          f'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" id="di_review">'
          f'<bpmndi:BPMNPlane id="plane_review" bpmnElement="collab_review">'
          f'<bpmndi:BPMNShape id="draft_di" bpmnElement="draft">'
          f'<dc:Bounds x="{x}" y="80" width="100" height="80" /></bpmndi:BPMNShape>'
          f'</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>').encode()
    return xml.replace(b"</bpmn:definitions>", di + b"\n</bpmn:definitions>")


def resaved(xml: bytes) -> bytes:
    """The same process as another modeler saves it: other indentation, other attribute
    order, an exporter stamp, shapes moved."""
    xml = with_di(xml, 400).replace(b"\n    ", b"\n\t\t").replace(
        b'<bpmn:process id="mini_review" name="Reviu dokumen" isExecutable="true">',
        b'<bpmn:process isExecutable="true" name="Reviu dokumen" id="mini_review">')
    return xml.replace(b'id="defs_review"',
                       b'id="defs_review" exporter="Camunda Modeler" exporterVersion="5.31.0"')


def deployments(ctx) -> int:
    with ctx.db.read() as s:
        return s.scalar(select(func.count()).select_from(Deployment))


def stored_files(ctx) -> int:
    with ctx.db.read() as s:
        return s.scalar(select(func.count()).select_from(DeploymentFile))


def test_a_renamed_file_makes_the_next_version_of_its_process(ctx, mini_deployed):
    diagrams, forms = MINI
    changed = diagrams["review.bpmn"].replace(b"Menyusun konsep", b"Menyusun konsep baru")
    result = usecases.deploy(ctx, ADMIN, {"reviu-dokumen.bpmn": changed}, {},
                             on_top_of_latest=True)
    [version] = result.definitions
    assert (version.key, version.version, version.created) == ("mini_review", 2, True)
    assert usecases.definition_xml(ctx, "mini_review", 2) == ("reviu-dokumen.bpmn", changed)
    # the old name is no longer among the latest files: the next upload of it is version 3
    latest_diagrams, _ = usecases.deployments.latest_files(ctx)
    assert set(latest_diagrams) == {"reviu-dokumen.bpmn"}
    [version] = usecases.deploy(ctx, ADMIN, {"review.bpmn": diagrams["review.bpmn"]}, {},
                                on_top_of_latest=True).definitions
    assert (version.version, version.created) == (3, True)


def test_a_renamed_file_with_the_same_content_makes_nothing(ctx, mini_deployed):
    files = stored_files(ctx)
    [version] = usecases.deploy(ctx, ADMIN, {"other-name.bpmn": MINI[0]["review.bpmn"]}, {},
                                on_top_of_latest=True).definitions
    assert (version.version, version.created) == (1, False)
    assert stored_files(ctx) == files


def test_a_modeler_resave_without_change_makes_no_version(ctx):
    diagrams, forms = MINI
    usecases.deploy(ctx, ADMIN, {"review.bpmn": with_di(diagrams["review.bpmn"], 100)}, forms)
    count = deployments(ctx)
    result = usecases.deploy(ctx, ADMIN, {"review.bpmn": resaved(diagrams["review.bpmn"])},
                             {}, on_top_of_latest=True)
    assert [(v.version, v.created) for v in result.definitions] == [(1, False)]
    assert result.deployment_id is None and deployments(ctx) == count
    # a change of meaning among the cosmetic ones still counts
    meaningful = resaved(diagrams["review.bpmn"]).replace(b'name="Menyusun konsep"',
                                                          b'name="Menyusun draf"')
    [version] = usecases.deploy(ctx, ADMIN, {"review.bpmn": meaningful}, {},
                                on_top_of_latest=True).definitions
    assert (version.version, version.created) == (2, True)


def test_byte_identical_resources_are_stored_once(ctx, mini_deployed):
    files, count = stored_files(ctx), deployments(ctx)
    result = usecases.deploy(ctx, ADMIN, *MINI, on_top_of_latest=True)
    assert result.deployment_id is None
    assert (stored_files(ctx), deployments(ctx)) == (files, count)
    # one form changed: only that file is stored again; the diagram is linked
    result = usecases.deploy(ctx, ADMIN, {}, {"mini_draft.json": _retitled(MINI[1])},
                             on_top_of_latest=True)
    [record] = usecases.list_deployments(ctx, ADMIN, limit=1)
    assert record.id == result.deployment_id and record.source == "api"
    assert record.name == "mini_draft.json"  # by default, the files sent
    assert [(r.name, r.kind) for r in record.resources] == [("mini_draft.json", "form")]
    assert record.resources[0].definitions == [{"key": "mini_review", "version": 2}]


def _retitled(forms: dict) -> bytes:
    schema = json.loads(forms["mini_draft.json"])
    schema["title"] = "Konsep (baru)"
    return json.dumps(schema).encode()


def test_a_changed_form_makes_new_versions_only_of_the_processes_using_it(ctx):
    diagrams = {**MINI[0], **PARALLEL[0]}
    forms = {**MINI[1], **PARALLEL[1]}
    usecases.deploy(ctx, ADMIN, diagrams, forms)
    result = usecases.deploy(ctx, ADMIN, {}, {"mini_draft.json": _retitled(forms)},
                             on_top_of_latest=True)
    assert {(v.key, v.version, v.created) for v in result.definitions} == {
        ("mini_review", 2, True), ("api_parallel", 1, False)}
    # key order and spacing of a form are not a change
    respaced = json.dumps(json.loads(_retitled(forms)), indent=4, sort_keys=True).encode()
    again = usecases.deploy(ctx, ADMIN, {}, {"mini_draft.json": respaced},
                            on_top_of_latest=True)
    assert not any(v.created for v in again.definitions)


def test_deployments_list_their_resources_and_versions(ctx, mini_deployed):
    [record] = usecases.list_deployments(ctx, ADMIN)
    assert record.definitions == [{"key": "mini_review", "version": 1}]
    resources = {r.name: r for r in record.resources}
    assert set(resources) == {"review.bpmn", "mini_draft.json", "mini_check.json"}
    review = resources["review.bpmn"]
    assert (review.kind, review.size) == ("bpmn", len(MINI[0]["review.bpmn"]))
    assert review.definitions == [{"key": "mini_review", "version": 1}]
    assert usecases.get_deployment(ctx, ADMIN, record.id) == record


def test_a_version_no_instance_uses_can_be_deleted(ctx, mini_deployed):
    usecases.start_instance(ctx, KEPALA_BIRO, "mini_review", {})
    changed = MINI[0]["review.bpmn"].replace(b"Menyusun konsep", b"Menyusun konsep baru")
    usecases.deploy(ctx, ADMIN, {"review.bpmn": changed}, {}, on_top_of_latest=True)
    files = stored_files(ctx)
    with pytest.raises(DefinitionInUse, match="used by 1 instance"):
        usecases.delete_version(ctx, ADMIN, "mini_review", 1)
    usecases.delete_version(ctx, ADMIN, "mini_review", 2)
    assert [v.version for v in usecases.definition_versions(ctx, "mini_review")] == [1]
    assert stored_files(ctx) == files - 1  # its diagram went; the forms serve version 1
    assert len(usecases.list_deployments(ctx, ADMIN)) == 1
    # deploying the change again gives a new version, never the deleted row's id
    [again] = usecases.deploy(ctx, ADMIN, {"review.bpmn": changed}, {},
                              on_top_of_latest=True).definitions
    assert (again.version, again.created) == (2, True)
    started = usecases.start_instance(ctx, KEPALA_BIRO, "mini_review", {})
    assert started.open_tasks[0].name == "Menyusun konsep baru"


def test_a_suspended_process_starts_nothing_new_and_running_instances_go_on(ctx, mini_deployed):
    running = usecases.start_instance(ctx, KEPALA_BIRO, "mini_review", {})
    view = usecases.suspend_definition(ctx, ADMIN, "mini_review")
    assert view.suspended and usecases.list_definitions(ctx)[0].suspended
    assert usecases.startable_processes(ctx, KEPALA_BIRO) == []
    with pytest.raises(DefinitionSuspended, match="suspended by admin"):
        usecases.start_instance(ctx, KEPALA_BIRO, "mini_review", {})
    with pytest.raises(DefinitionSuspended):
        usecases.start_instance(ctx, KEPALA_BIRO, "mini_review", {}, version=1)
    staf = actor("s1", "staf")
    task = running.open_tasks[0]
    usecases.claim_task(ctx, staf, task.id)
    usecases.complete_task(ctx, staf, task.id, {"title": "Konsep"})
    assert not usecases.resume_definition(ctx, ADMIN, "mini_review").suspended
    assert usecases.start_instance(ctx, KEPALA_BIRO, "mini_review", {}).status == "running"
    assert [v.definition.key for v in usecases.startable_processes(ctx, KEPALA_BIRO)] == [
        "mini_review"]


def test_groups_are_data(ctx):
    names = {g.name for g in usecases.list_groups(ctx, ADMIN)}
    assert {"admin", "auditor", "staf", "kepala_biro"} <= names
    with pytest.raises(InvalidInput):
        usecases.create_user(ctx, ADMIN, "wati", "password-123", ["penelaah"])
    usecases.create_group(ctx, ADMIN, "penelaah", "Penelaah laporan")
    usecases.create_unit(ctx, ADMIN, "B1", "Biro 1")
    assert {"penelaah", "satuan_kerja:B1", "staf"} <= usecases.known_groups(ctx)
    usecases.create_user(ctx, ADMIN, "wati", "password-123", ["penelaah"])
    with pytest.raises(Conflict, match="1 member"):
        usecases.delete_group(ctx, ADMIN, "penelaah")
    usecases.add_member(ctx, ADMIN, "satuan_kerja:B1", "wati")
    assert [u.username for u in usecases.group_members(ctx, ADMIN, "satuan_kerja:B1")] == ["wati"]
    usecases.remove_member(ctx, ADMIN, "penelaah", "wati")
    usecases.delete_group(ctx, ADMIN, "penelaah")
    assert "penelaah" not in usecases.known_groups(ctx)
    with pytest.raises(Conflict, match="cannot be deleted"):
        usecases.delete_group(ctx, ADMIN, "auditor")
