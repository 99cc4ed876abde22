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
