"""POST /messages and /signals: what they reached, 404 when nobody waits for a message,
the worker role, business keys on started instances."""
from __future__ import annotations

from engine import usecases
from tests.api.helpers import assert_problem
from tests.conftest import ADMIN
from tests.engine import bpmn_events as b
from tests.engine import diagrams as d


def deploy_waiting(ctx):
    xml = b.chain("waits", [("approval", b.catch("approval", b.message_ref("m"))),
                            ("cancelled", b.catch("cancelled", b.signal_ref("s"))),
                            ("after", d.user_task("after"))],
                  definitions=b.message("m", "persetujuan") + b.signal("s", "batal"))
    usecases.deploy(ctx, ADMIN, {"waits.bpmn": xml}, {"simple.json": d.SIMPLE_FORM})


def test_a_worker_delivers_a_message_by_business_key_then_a_signal(client, login, admin, ctx):
    deploy_waiting(ctx)
    started = client.post("/api/v1/process-definitions/waits/instances",
                          json={"business_key": "SURAT-1"}, headers=admin)
    assert started.status_code == 201 and started.get_json()["business_key"] == "SURAT-1"
    instance_id = started.get_json()["id"]
    worker = login("sistem_surat", "worker")
    answer = client.post("/api/v1/messages", json={
        "name": "persetujuan", "business_key": "SURAT-1", "variables": {"ok": True}},
        headers=worker)
    assert answer.status_code == 200
    assert answer.get_json() == {"reached": [{
        "process_instance_id": instance_id, "definition_key": "waits",
        "elements": ["approval"], "started": False}]}
    signal = client.post("/api/v1/signals", json={"name": "batal"}, headers=worker)
    assert [r["elements"] for r in signal.get_json()["reached"]] == [["cancelled"]]
    instance = client.get(f"/api/v1/process-instances/{instance_id}", headers=admin).get_json()
    assert [t["element_id"] for t in instance["open_tasks"]] == ["after"]


def test_nobody_waiting_bad_input_and_other_roles_are_problems(client, login, admin, ctx):
    deploy_waiting(ctx)
    assert_problem(client.post("/api/v1/messages", json={"name": "persetujuan"},
                               headers=admin), 404)
    assert_problem(client.post("/api/v1/messages", json={"name": ""}, headers=admin), 422,
                   field="name")
    assert_problem(client.post("/api/v1/signals", json={"name": "batal", "extra": 1},
                               headers=admin), 422)
    assert_problem(client.post("/api/v1/signals", json={"name": "batal"},
                               headers=login("staf1", "staf")), 403)
    assert client.post("/api/v1/signals", json={"name": "batal"},
                       headers=admin).get_json() == {"reached": []}


def test_a_worker_fetches_and_completes_an_external_task_over_http(client, login, admin, ctx):
    from tests.engine.test_external_tasks import deploy
    deploy(ctx)
    started = client.post("/api/v1/process-definitions/sending/instances",
                          json={"variables": {"nomor": 3}}, headers=admin).get_json()
    worker = login("pengirim", "worker")
    body = {"worker_id": "w1", "topics": [{"name": "kirim_surat", "lock_duration_ms": 60000,
                                          "variables": ["nomor"]}], "max_tasks": 5}
    [task] = client.post("/api/v1/external-tasks/fetch-and-lock", json=body,
                         headers=worker).get_json()["tasks"]
    assert (task["process_instance_id"], task["variables"]) == (started["id"], {"nomor": 3})
    assert client.post("/api/v1/external-tasks/fetch-and-lock", json={**body, "wait_ms": 20},
                       headers=worker).get_json() == {"tasks": []}
    assert_problem(client.post(f"/api/v1/external-tasks/{task['id']}/complete",
                               json={"worker_id": "w2"}, headers=worker), 409)
    assert client.post(f"/api/v1/external-tasks/{task['id']}/extend-lock",
                       json={"worker_id": "w1", "new_duration_ms": 1000},
                       headers=worker).status_code == 204
    answer = client.post(f"/api/v1/external-tasks/{task['id']}/bpmn-error",
                         json={"worker_id": "w1", "error_code": "DITOLAK"}, headers=worker)
    assert answer.get_json() == {"caught_by": "rejected"}
    assert_problem(client.post(f"/api/v1/external-tasks/{task['id']}/failure",
                               json={"worker_id": "w1"}, headers=worker), 404)
    assert_problem(client.post("/api/v1/external-tasks/fetch-and-lock", json=body,
                               headers=login("staf1", "staf")), 403)


def test_a_bpmn_error_nothing_catches_answers_null_and_the_instance_waits_in_error(
        client, login, admin, ctx):
    from tests.engine.test_external_tasks import deploy
    deploy(ctx)
    started = client.post("/api/v1/process-definitions/sending/instances", json={},
                          headers=admin).get_json()
    worker = login("pengirim", "worker")
    [task] = client.post("/api/v1/external-tasks/fetch-and-lock", headers=worker, json={
        "worker_id": "w1", "topics": [{"name": "kirim_surat", "lock_duration_ms": 60000}]}
    ).get_json()["tasks"]
    answer = client.post(f"/api/v1/external-tasks/{task['id']}/bpmn-error",
                         json={"worker_id": "w1", "error_code": "LAIN"}, headers=worker)
    assert answer.status_code == 200 and answer.get_json() == {"caught_by": None}
    instance = client.get(f"/api/v1/process-instances/{started['id']}", headers=admin).get_json()
    assert instance["status"] == "error" and "BPMN error 'LAIN'" in instance["error"]


def test_starting_a_process_that_throws_a_message_answers_201(client, admin, ctx):
    xml = b.chain("announcing", [("tell", b.throw("tell", b.message_ref("m", '{"x": 1}'))),
                                 ("last", d.user_task("last"))],
                  definitions=b.message("m", "pengumuman"))
    usecases.deploy(ctx, ADMIN, {"announcing.bpmn": xml}, {"simple.json": d.SIMPLE_FORM})
    answer = client.post("/api/v1/process-definitions/announcing/instances", headers=admin)
    assert answer.status_code == 201 and answer.get_json()["status"] == "running"
