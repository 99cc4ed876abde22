"""Diagrams and forms as Camunda Modeler, SpiffArena and bpmn.io save them, deployed over
HTTP to a real `lkj serve` unchanged and run to the end by the right users."""
from __future__ import annotations

from tests.api.helpers import PASSWORD, assert_problem
from tests.api.test_live import Client, create_users
from tests.api.test_live import server  # noqa: F401  (`lkj serve --no-deploy`, a fixture)
from tests.conftest import FIXTURES, read_folder

DIALECTS = FIXTURES / "dialects"


def deploy_folder(admin: Client, folder: str) -> dict:
    diagrams, forms = read_folder(DIALECTS / folder)
    files = [("files", (name, content)) for name, content in {**diagrams, **forms}.items()]
    response = admin.post("/deployments", files=files)
    assert response.status_code == 201, response.text
    body = response.json()
    # on top of the latest deployment: the folders deployed before are kept unchanged
    assert len([d for d in body["definitions"] if d["created"]]) == 1
    assert body["warnings"] == []
    return body


def only_task(client: Client) -> dict:
    [task] = client.get("/tasks").json()["items"]
    return task


def test_each_dialect_deploys_unchanged_and_runs_to_the_end(server):
    admin = Client(server, "admin", server.admin_password)
    create_users(admin, "staf", "budi", "sari", "dewi")
    create_users(admin, "kepala_bagian", "kabag")
    create_users(admin, "kepala_subbagian", "kasubbag")
    for folder in ("camunda", "spiffarena", "bpmnio"):
        deploy_folder(admin, folder)
    budi, sari, dewi, kabag, kasubbag = (Client(server, name, PASSWORD) for name in
                                         ("budi", "sari", "dewi", "kabag", "kasubbag"))

    # Camunda Modeler: an assignee, candidate groups and users, Camunda forms, ${...}.
    started = budi.post("/process-definitions/leave_request/instances", json={"variables": {
        "requester": "budi", "deputy": "dewi", "deadline": "2026-12-31T17:00:00+07:00"}})
    assert started.status_code == 201, started.text
    [submit] = started.json()["open_tasks"]
    assert (submit["role"], submit["due_at"]) == ("user:budi", "2026-12-31T10:00:00+00:00")
    assert sari.get("/tasks").json()["total"] == 0
    assert_problem(sari.get(f"/tasks/{submit['id']}"), 404)
    form = budi.get(f"/tasks/{submit['id']}/form").json()
    assert (form["form_key"], form["kind"]) == ("leave_form", "form-js")
    assert form["schema"]["x-form-js"]["components"][0]["key"] == "kind"
    bad = budi.post(f"/tasks/{submit['id']}/complete", json={"claim": True, "data": {
        "kind": "unpaid", "days": 40, "start_date": "besok", "contact": {"phone": "12"}}})
    errors = assert_problem(bad, 422)["errors"]
    assert {"kind", "days", "start_date", "contact.phone"} <= set(errors)
    done = budi.post(f"/tasks/{submit['id']}/complete", json={"claim": True, "data": {
        "kind": "annual", "days": 3, "start_date": "2026-04-01", "reason": "keluarga"}})
    assert done.status_code == 200, done.text
    [review] = done.json()["next_tasks"]
    assert review["role"] == "kepala_bagian|kepala_biro|user:dewi"
    assert [only_task(c)["id"] for c in (kabag, dewi)] == [review["id"]] * 2
    assert budi.get("/tasks").json()["total"] == 0
    assert dewi.get(f"/tasks/{review['id']}/form").json()["form_key"] == "leave_review"
    decided = dewi.post(f"/tasks/{review['id']}/complete",
                        json={"claim": True, "data": {"approved": True}})
    assert decided.status_code == 200, decided.text
    # approved and 3 days: the manual task passes through to the end
    assert decided.json()["next_tasks"] == []
    instance = admin.get(f"/process-instances/{started.json()['id']}").json()
    assert instance["status"] == "completed"

    # SpiffArena: lanes named after roles, formJsonSchemaFilename, a Python script.
    started = kabag.post("/process-definitions/activity_report/instances",
                         json={"variables": {}})
    assert_problem(started, 403)  # no startableBy: admins start it
    started = admin.post("/process-definitions/activity_report/instances",
                         json={"variables": {}})
    [fill] = started.json()["open_tasks"]
    assert fill["role"] == "staf"
    assert sari.get(f"/tasks/{fill['id']}/form").json()["kind"] == "json-schema"
    assert_problem(sari.post(f"/tasks/{fill['id']}/complete",
                             json={"claim": True, "data": {"activities": 101}}), 422)
    [approve] = sari.post(f"/tasks/{fill['id']}/complete", json={
        "claim": True, "data": {"activities": 4}}).json()["next_tasks"]
    assert approve["role"] == "kepala_bagian"
    variables = kabag.get(f"/tasks/{approve['id']}/variables").json()["variables"]
    assert variables["hours"] == 8
    [again] = kabag.post(f"/tasks/{approve['id']}/complete", json={
        "claim": True, "data": {"decision": "revise"}}).json()["next_tasks"]
    [approve] = sari.post(f"/tasks/{again['id']}/complete", json={
        "claim": True, "data": {"activities": 5}}).json()["next_tasks"]
    assert kabag.post(f"/tasks/{approve['id']}/complete", json={
        "claim": True, "data": {"decision": "approve"}}).json()["next_tasks"] == []
    assert admin.get(f"/process-instances/{started.json()['id']}").json()["status"] == \
        "completed"

    # bpmn.io: no extensions at all; tasks without forms take any variables.
    started = admin.post("/process-definitions/meeting_minutes/instances",
                         json={"variables": {}})
    [write] = started.json()["open_tasks"]
    assert (write["role"], write["due_at"]) == ("staf", None)
    assert dewi.get(f"/tasks/{write['id']}/form").json() == {
        "form_key": "", "kind": "none", "schema": {}}
    [sign] = dewi.post(f"/tasks/{write['id']}/complete", json={
        "claim": True, "data": {"minutes": "Rapat dimulai 09.00", "present": 7}}
    ).json()["next_tasks"]
    assert sign["role"] == "kepala_subbagian"
    seen = kasubbag.get(f"/tasks/{sign['id']}/variables").json()["variables"]
    assert (seen["minutes"], seen["present"]) == ("Rapat dimulai 09.00", 7)
    assert kasubbag.post(f"/tasks/{sign['id']}/complete",
                         json={"claim": True, "data": {}}).json()["next_tasks"] == []
    assert admin.get(f"/process-instances/{started.json()['id']}").json()["status"] == \
        "completed"
