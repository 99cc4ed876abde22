"""Instance administration over HTTP (admin): suspend, resume, terminate, retry."""
from __future__ import annotations

import pytest

from engine import usecases
from tests.api.helpers import assert_aware, assert_problem
from tests.conftest import ADMIN
from tests.engine import diagrams as d

UNKNOWN = "00000000-0000-0000-0000-000000000000"


def set_status(client, instance_id, headers, **body):
    return client.patch(f"/api/v1/process-instances/{instance_id}", json=body, headers=headers)


def retry(client, instance_id, headers, **kwargs):
    return client.post(f"/api/v1/process-instances/{instance_id}/retry", headers=headers,
                       **kwargs)


def test_a_suspended_instances_task_cannot_be_claimed_until_resumed(client, admin, login,
                                                                    mini_instance):
    [task] = mini_instance["open_tasks"]
    staf = login("staf1", "staf")
    claim = f"/api/v1/tasks/{task['id']}/claim"

    suspended = set_status(client, mini_instance["id"], admin, status="suspended")
    assert suspended.status_code == 200
    assert suspended.get_json()["status"] == "suspended"
    assert [t["id"] for t in suspended.get_json()["open_tasks"]] == [task["id"]]
    # The task stays in the queue, but nobody works it.
    assert client.get("/api/v1/tasks", headers=staf).get_json()["total"] == 1
    body = assert_problem(client.post(claim, headers=staf), 409)
    assert body["type"].endswith("instance-not-running")
    assert "suspended" in body["detail"]
    assert_problem(set_status(client, mini_instance["id"], admin, status="suspended"), 409)

    resumed = set_status(client, mini_instance["id"], admin, status="running")
    assert resumed.status_code == 200 and resumed.get_json()["status"] == "running"
    assert client.post(claim, headers=staf).get_json()["assignee"] == "staf1"
    # Resuming a running instance is a conflict.
    assert_problem(set_status(client, mini_instance["id"], admin, status="running"), 409)


def test_terminate_cancels_the_open_tasks(client, admin, login, mini_instance):
    [task] = mini_instance["open_tasks"]
    staf = login("staf1", "staf")
    response = set_status(client, mini_instance["id"], admin, status="terminated",
                          reason="salah tahun anggaran")
    assert response.status_code == 200
    instance = response.get_json()
    assert (instance["status"], instance["open_tasks"]) == ("terminated", [])
    assert_aware(instance["ended_at"])
    assert client.get("/api/v1/tasks", headers=staf).get_json()["total"] == 0
    assert client.get(f"/api/v1/tasks/{task['id']}", headers=staf).get_json()["state"] == \
        "cancelled"
    history = client.get(f"/api/v1/process-instances/{mini_instance['id']}/history"
                         "?type=instance_terminated", headers=login("aud", "auditor")).get_json()
    [event] = history["events"]
    assert (event["actor"], event["payload"]["reason"]) == ("root", "salah tahun anggaran")
    # Terminated is final.
    for status in ("suspended", "running", "terminated"):
        assert_problem(set_status(client, mini_instance["id"], admin, status=status), 409)


@pytest.mark.parametrize("body, field", [
    ({"status": "paused"}, "status"),
    ({"status": "completed"}, "status"),
    ({}, "status"),
    ({"status": "terminated", "reason": 5}, "reason"),
    ({"status": "terminated", "by": "me"}, "by"),
])
def test_a_bad_status_change_is_422_naming_the_field(client, admin, mini_instance, body, field):
    assert_problem(set_status(client, mini_instance["id"], admin, **body), 422, field=field)
    assert client.get(f"/api/v1/process-instances/{mini_instance['id']}",
                      headers=admin).get_json()["status"] == "running"


def test_only_an_admin_administers_instances(client, login, mini_instance):
    biro = login("biro", "kepala_biro")  # started it, may still not hold it
    assert_problem(set_status(client, mini_instance["id"], biro, status="suspended"), 403)
    assert_problem(set_status(client, mini_instance["id"], biro, status="terminated"), 403)
    assert_problem(retry(client, mini_instance["id"], login("aud", "auditor")), 403)
    assert_problem(set_status(client, mini_instance["id"], {}, status="suspended"), 401)
    assert_problem(retry(client, mini_instance["id"], {}), 401)


def test_an_unknown_instance_is_404(client, admin):
    assert_problem(set_status(client, UNKNOWN, admin, status="suspended"), 404)
    assert_problem(retry(client, UNKNOWN, admin), 404)


def test_retry_when_not_in_error_is_409(client, admin, mini_instance):
    body = assert_problem(retry(client, mini_instance["id"], admin), 409)
    assert "error" in body["detail"]


@pytest.fixture
def failed_instance(ctx, client, admin, login):
    """An instance in error: its script `share = 100 / parts` ran with parts = 0."""
    usecases.deploy(ctx, ADMIN, {"divide.bpmn": d.sequence("divide", [
        ("user", "a"), ("script", "share = 100 / parts"), ("user", "b")])},
        {"simple.json": d.SIMPLE_FORM})
    started = client.post("/api/v1/process-definitions/divide/instances",
                          json={"variables": {"parts": 0}}, headers=admin).get_json()
    [task] = started["open_tasks"]
    staf = login("staf1", "staf")
    client.post(f"/api/v1/tasks/{task['id']}/claim", headers=staf)
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"value": "x"}},
                       headers=staf)
    assert done.status_code == 200 and done.get_json()["next_tasks"] == []
    instance = client.get(f"/api/v1/process-instances/{started['id']}", headers=admin).get_json()
    assert instance["status"] == "error" and "division by zero" in instance["error"]
    return instance


def test_retry_after_a_fix_runs_the_failed_step_again(client, admin, login, failed_instance):
    instance_id = failed_instance["id"]
    # Nothing fixed: the step fails again; the answer says so.
    again = retry(client, instance_id, admin)
    assert again.status_code == 200
    assert again.get_json()["status"] == "error"
    assert "division by zero" in again.get_json()["error"]

    fixed = retry(client, instance_id, admin, json={"data": {"parts": 4}})
    assert fixed.status_code == 200
    instance = fixed.get_json()
    assert (instance["status"], instance["error"]) == ("running", None)
    [task] = instance["open_tasks"]
    assert task["element_id"] == "b"
    staf = login("staf1", "staf")
    assert client.get(f"/api/v1/tasks/{task['id']}/variables", headers=staf).get_json()[
        "variables"]["share"] == 25
    assert_problem(retry(client, instance_id, admin), 409)
    report = client.post(f"/api/v1/process-instances/{instance_id}/replay",
                         headers=login("aud", "auditor")).get_json()
    assert report["consistent"], report["divergence"]


def test_a_failed_instance_is_retried_or_terminated_not_resumed(client, admin, failed_instance):
    # Resuming is for suspended instances; one in error is retried instead.
    body = assert_problem(set_status(client, failed_instance["id"], admin, status="running"), 409)
    assert "error" in body["detail"]
    response = set_status(client, failed_instance["id"], admin, status="terminated")
    assert response.status_code == 200
    assert (response.get_json()["status"], response.get_json()["error"]) == ("terminated", None)


@pytest.mark.parametrize("body", [{"data": [1]}, {"data": "parts=4"}, {"parts": 4}])
def test_retry_data_must_be_an_object_under_data(client, admin, failed_instance, body):
    field = "parts" if "parts" in body else "data"
    assert_problem(retry(client, failed_instance["id"], admin, json=body), 422, field=field)
