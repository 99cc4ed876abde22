"""Following an instance over HTTP: what a task is about and in which phase, queue search,
where an instance stands on its diagrams, its documents, its timeline in plain terms, and
the processes a user may start."""
from __future__ import annotations

import io
import json

import pytest

from engine import usecases
from tests.api.helpers import assert_problem
from tests.conftest import ADMIN
from tests.engine.lkj_flow import UNITS, deploy_procedure, start_lkj, work

NOMINATION_MEMO = ("Memorandum Deputi Bidang Administrasi Aparatur tentang permintaan usulan "
                   "keanggotaan Tim Penyusun LKj")


def _get(client, path, headers, status=200):
    response = client.get(f"/api/v1{path}", headers=headers)
    assert response.status_code == status, response.get_json()
    return response.get_json()


@pytest.fixture
def lkj(ctx):
    """An LKj year whose units are asked for their data: each unit's submission is open."""
    deploy_procedure(ctx)
    instance_id, answers = start_lkj(ctx, year=2025)
    work(ctx, instance_id, answers, stop=lambda task: task.role.startswith("satuan_kerja:"))
    return instance_id


def test_tasks_say_what_they_are_about_and_in_which_phase(client, login, lkj, ctx):
    tasks = usecases.list_tasks(ctx, ADMIN, process_instance_id=lkj, state="all",
                                sort="created_at", limit=500).items
    first = tasks[0]
    assert first.element_id == "give_direction"  # top-level: no sub-process, no phase
    assert (first.subject, first.phase) == (None, None)
    draft = next(t for t in tasks if t.element_id == "draft_document")
    assert (draft.subject, draft.phase) == (NOMINATION_MEMO, "Pembentukan Tim Penyusun LKj")
    # every step of that document's approval chain is about it, and not the next one's
    chain = [t for t in tasks if t.created_at >= draft.created_at
             and t.element_id.startswith("check_")][:3]
    assert {t.subject for t in chain} == {NOMINATION_MEMO}
    assert tasks[tasks.index(draft) + 5].subject != tasks[tasks.index(draft) + 15].subject

    headers = login("unit1", "satuan_kerja:DEP1")
    [mine] = _get(client, "/tasks", headers)["items"]
    assert mine["subject"] == "Satuan Kerja DEP1 (DEP1)"  # the unit's name, then its code
    assert mine["phase"] == "Pengumpulan data kinerja"


def test_a_queue_is_searched_and_filtered_by_process(client, login, lkj, mini_deployed):
    headers = login("kb", "kepala_biro", "staf", *[f"satuan_kerja:{u}" for u in UNITS])
    client.post("/api/v1/process-definitions/mini_review/instances", json={}, headers=headers)

    def names(query):
        return sorted({(t["name"], t["subject"]) for t in _get(
            client, f"/tasks?state=all&limit=500&{query}", headers)["items"]})

    assert all("DEP2" in subject for _, subject in names("search=dep2"))  # any case
    assert names("search=dep2")
    found = _get(client, "/tasks?state=all&limit=500&search=PEMBENTUKAN+TIM", headers)["items"]
    assert found and all("Pembentukan Tim" in (t["phase"] or "") + (t["subject"] or "")
                         for t in found)  # the phase is searched too
    assert names("search=%25%25") == []  # % is a character, not a wildcard
    assert names("search=tidak-ada-yang-begini") == []
    assert {t["definition_key"] for t in _get(
        client, "/tasks?definition_key=mini_review", headers)["items"]} == {"mini_review"}
    assert "mini_review" not in {t["definition_key"] for t in _get(
        client, "/tasks?definition_key=lkj_preparation&limit=500", headers)["items"]}
    assert_problem(client.get("/api/v1/tasks?search=" + "x" * 101, headers=headers), 422, "search")


def test_the_diagram_shows_where_the_instance_stands(client, login, lkj):
    diagram = _get(client, f"/process-instances/{lkj}/diagram", login("kabag", "kepala_bagian"))
    root = diagram["root"]
    assert (root["process_id"], root["workflow_id"], root["file"]) == (
        "lkj_preparation", "", "lkj_preparation.bpmn")
    assert {"give_direction", "assign_planning", "call_team_formation"} <= set(root["completed"])
    assert root["active"] == ["call_data_collection"]
    assert set(diagram["diagrams"]) >= {"lkj_preparation.bpmn", "lkj_unit_data.bpmn",
                                        "lkj_document_approval.bpmn"}
    assert diagram["diagrams"]["lkj_unit_data.bpmn"].lstrip().startswith("<?xml")

    calls = {c["element_id"]: c["runs"] for c in root["calls"]}
    [team] = calls["call_team_formation"]
    [memo] = {c["element_id"]: c["runs"] for c in team["calls"]}["call_nomination_memo"]
    assert memo["subject"] == NOMINATION_MEMO and "send_document" in memo["completed"]
    [collection] = calls["call_data_collection"]
    units = {c["element_id"]: c["runs"] for c in collection["calls"]}["collect_unit_data"]
    assert [run["subject"] for run in units] == [f"Satuan Kerja {u} ({u})" for u in UNITS]
    for run, unit in zip(units, UNITS):
        [task] = run["open_tasks"]  # each unit's open task, in its own run, with its queue
        assert (task["element_id"], task["role"]) == ("submit_performance_data",
                                                      f"satuan_kerja:{unit}")
        assert "submit_performance_data" in run["active"]
    # read with the instance: a unit sees it (it works in it), an outsider does not
    _get(client, f"/process-instances/{lkj}/diagram", login("unit1", "satuan_kerja:DEP1"))
    assert_problem(client.get(f"/api/v1/process-instances/{lkj}/diagram",
                              headers=login("inspektur1", "inspektur")), 404)


def test_documents_and_timeline_are_read_with_the_instance(client, login, lkj, ctx):
    unit = login("unit1", "satuan_kerja:DEP1")
    upload = client.post(f"/api/v1/process-instances/{lkj}/documents", headers=unit,
                         data={"file": (io.BytesIO(b"data kinerja"), "data-DEP1.xlsx")})
    assert upload.status_code == 201, upload.get_json()
    documents = _get(client, f"/process-instances/{lkj}/documents", unit)["items"]
    assert documents[-1]["filename"] == "data-DEP1.xlsx"
    assert [d["uploaded_at"] for d in documents] == sorted(d["uploaded_at"] for d in documents)
    assert_problem(client.get(f"/api/v1/process-instances/{lkj}/documents",
                              headers=login("inspektur1", "inspektur")), 404)

    timeline = _get(client, f"/process-instances/{lkj}/timeline", unit)["items"]
    assert [e["seq"] for e in timeline] == list(range(1, len(timeline) + 1))
    started = timeline[0]
    assert (started["type"], started["actor"]) == ("instance_started", "user-kepala_biro")
    ready = next(e for e in timeline if e["type"] == "task_ready"
                 and e["task_name"] == "Menyusun konsep dokumen")
    assert ready["details"]["role"] == "staf" and ready["subject"] == NOMINATION_MEMO
    decisions = [e["details"]["decision"] for e in timeline if e["type"] == "task_completed"
                 and "decision" in e["details"]]
    assert decisions and set(decisions) <= {"approve", "revise"}
    assert timeline[-1]["type"] == "document_uploaded"
    assert timeline[-1]["details"]["filename"] == "data-DEP1.xlsx"
    assert timeline[-1]["actor_name"] == "Pegawai unit1"
    # the form data stays in the auditors' history: a summary written in a draft is not here
    assert "Konsep sesuai arahan." not in json.dumps(timeline)
    history = usecases.instance_history(ctx, ADMIN, lkj, limit=10_000).items
    assert "Konsep sesuai arahan." in json.dumps([e.payload for e in history])


def test_each_user_sees_the_processes_they_may_start(client, login, lkj):
    def startable(headers):
        return {p["definition"]["key"]: p for p in _get(client, "/me/startable-processes",
                                                        headers)["items"]}

    head = startable(login("kb", "kepala_biro"))
    assert set(head) == {"lkj_preparation"}
    assert head["lkj_preparation"]["start_form"]["properties"]["year"]["type"] == "integer"
    assert head["lkj_preparation"]["units_variable"] == "units"
    unit = startable(login("unit1", "satuan_kerja:DEP1"))
    assert set(unit) == {"lkj_complaint"}
    assert unit["lkj_complaint"]["start_form"] is None
    assert unit["lkj_complaint"]["starter_unit_variable"] == "unit"
    assert startable(login("staf1", "staf")) == {}
    # an admin may start anything; the list keeps to what names its starters
    assert set(startable(login("root", "admin"))) == {"lkj_preparation", "lkj_complaint"}


def test_a_subject_names_the_unit_by_code_when_the_unit_is_unknown(ctx):
    """A unit's name is looked up when the task is made; without the unit row, the code."""
    from engine.usecases.task_subjects import shown_subject
    from engine.workflow.progress import Subject
    deploy_procedure(ctx, units=("DEP1",))
    with ctx.db.read() as s:
        assert shown_subject(s, Subject("unit", "DEP1")) == "Satuan Kerja DEP1 (DEP1)"
        assert shown_subject(s, Subject("unit", "XX")) == "XX"
        assert shown_subject(s, Subject("doc_title", "Memo")) == "Memo"
