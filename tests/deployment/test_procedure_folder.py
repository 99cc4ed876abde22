"""What `lkj serve` deploys from its procedure folder at each start
(engine/usecases/procedure_folder.py)."""
from __future__ import annotations

from engine import usecases
from tests.conftest import ADMIN, FIXTURES, read_folder

MINI = read_folder(FIXTURES / "mini")
PARALLEL = read_folder(FIXTURES / "parallel")
FOLDER = {**MINI[0], **PARALLEL[0]}, {**MINI[1], **PARALLEL[1]}


def start(ctx, diagrams=None, forms=None):
    return usecases.deploy_procedure_folder(ctx, "procedure", diagrams or FOLDER[0],
                                            forms or FOLDER[1])


def latest(ctx) -> dict[str, int]:
    return {d.key: d.version for d in usecases.list_definitions(ctx)}


def renamed(xml: bytes, name: bytes) -> bytes:
    return xml.replace(b'name="Menyusun konsep"', b'name="' + name + b'"')


def test_an_empty_database_gets_the_whole_folder_then_nothing_while_it_is_unchanged(ctx):
    first = start(ctx)
    assert {(v.key, v.version, v.created) for v in first.definitions} == {
        ("mini_review", 1, True), ("api_parallel", 1, True)}
    [record] = usecases.list_deployments(ctx, ADMIN)
    assert (record.source, record.name, record.deployed_by) == ("folder", "procedure", "system")
    again = start(ctx)
    assert (again.changed, again.definitions, again.kept) == ([], [], [])
    assert len(usecases.list_deployments(ctx, ADMIN)) == 1


def test_only_what_changed_in_the_folder_is_deployed(ctx):
    start(ctx)
    diagrams = {**FOLDER[0], "review.bpmn": renamed(FOLDER[0]["review.bpmn"], b"Konsep v2")}
    outcome = start(ctx, diagrams)
    assert outcome.changed == ["review.bpmn"]
    assert {(v.key, v.version) for v in outcome.definitions if v.created} == {
        ("mini_review", 2)}
    assert start(ctx, diagrams).changed == []


def test_a_version_from_the_api_is_never_replaced_by_the_folder(ctx):
    start(ctx)
    from_api = renamed(FOLDER[0]["review.bpmn"], b"Konsep pemilik proses")
    usecases.deploy(ctx, ADMIN, {"reviu.bpmn": from_api}, {}, on_top_of_latest=True)
    assert latest(ctx)["mini_review"] == 2
    # a restart with the folder unchanged: version 2 stays, and the log says so
    outcome = start(ctx)
    assert latest(ctx)["mini_review"] == 2 and outcome.definitions == []
    [notice] = outcome.kept
    assert "process 'mini_review': keeping version 2, deployed through the API by admin" in notice
    assert "version 1 came from the folder" in notice and "procedure/review.bpmn" in notice
    # the folder's file changes too: still not deployed over version 2; the other
    # process's change is
    diagrams = {**FOLDER[0], "review.bpmn": renamed(FOLDER[0]["review.bpmn"], b"Folder v2"),
                "parallel.bpmn": FOLDER[0]["parallel.bpmn"].replace(b'name="', b'name="x ', 1)}
    outcome = start(ctx, diagrams)
    assert sorted(outcome.changed) == ["parallel.bpmn", "review.bpmn"]
    assert "changed but is not deployed" in outcome.kept[0]
    assert latest(ctx) == {"mini_review": 2, "api_parallel": 2}
    # the skipped file stays "changed": once the API version is gone, it deploys
    usecases.delete_version(ctx, ADMIN, "mini_review", 2)
    outcome = start(ctx, diagrams)
    assert outcome.changed == ["review.bpmn"] and outcome.kept == []
    assert latest(ctx)["mini_review"] == 2
    assert usecases.definition_xml(ctx, "mini_review", 2)[1] == diagrams["review.bpmn"]
