"""A script that fails over HTTP: the completion is answered (200, the submission stands),
the instance waits in `error` with a message for the admin, and a retry after a fix goes on.
Never a 500, never a task stuck without a state."""
from __future__ import annotations

import dataclasses

import pytest

from engine import usecases
from tests.conftest import ADMIN
from tests.engine import diagrams as d


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, script_time_limit_s=0.5)


def complete_first_task(client, admin, login, key, variables):
    started = client.post(f"/api/v1/process-definitions/{key}/instances",
                          json={"variables": variables}, headers=admin)
    assert started.status_code == 201, started.get_json()
    [task] = started.get_json()["open_tasks"]
    staf = login("staf1", "staf")
    assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=staf).status_code == 200
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"value": "x"}},
                       headers=staf)
    return started.get_json()["id"], done


def test_a_script_storing_a_datetime_puts_the_instance_in_error(ctx, client, admin, login):
    usecases.deploy(ctx, ADMIN, {"stamp.bpmn": d.sequence("stamp", [
        ("user", "a"), ("script", "stamped_at = datetime.now()"), ("user", "b")])},
        {"simple.json": d.SIMPLE_FORM})
    instance_id, done = complete_first_task(client, admin, login, "stamp", {})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["next_tasks"] == []
    instance = client.get(f"/api/v1/process-instances/{instance_id}", headers=admin).get_json()
    assert instance["status"] == "error"
    assert instance["error"] == (
        "element 'script_1': script stored 'stamped_at', a datetime: task data must be JSON "
        "(str, number, bool, null, list, object)")


def test_a_script_past_its_time_limit_is_retried_after_a_fix(ctx, client, admin, login):
    usecases.deploy(ctx, ADMIN, {"count.bpmn": d.sequence("count", [
        ("user", "a"), ("script", "total = sum(range(n))"), ("user", "b")])},
        {"simple.json": d.SIMPLE_FORM})
    instance_id, done = complete_first_task(client, admin, login, "count", {"n": 2 * 10**8})
    assert done.status_code == 200, done.get_json()
    instance = client.get(f"/api/v1/process-instances/{instance_id}", headers=admin).get_json()
    assert (instance["status"], instance["error"]) == (
        "error", "element 'script_1': script exceeded its time limit of 0.5 s")
    fixed = client.post(f"/api/v1/process-instances/{instance_id}/retry",
                        json={"data": {"n": 4}}, headers=admin)
    assert fixed.status_code == 200
    assert (fixed.get_json()["status"], fixed.get_json()["error"]) == ("running", None)
    [task] = fixed.get_json()["open_tasks"]
    assert task["element_id"] == "b"
