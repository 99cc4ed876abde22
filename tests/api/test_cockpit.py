"""The cockpit's overviews over HTTP: instances searched with their counts, a version's load
per element, an event chain's check; suspend and retry keep their reasons."""
from __future__ import annotations

from tests.api.helpers import assert_problem

BASE = "/api/v1/cockpit"


def test_the_search_filters_and_counts_per_status(client, admin, login, mini_instance):
    auditor = login("aud", "auditor")
    found = client.get(f"{BASE}/instances?definition_key=mini_review&version=1&started_by=biro"
                       "&year=2026", headers=auditor)
    assert found.status_code == 200, found.get_json()
    body = found.get_json()
    assert [i["id"] for i in body["items"]] == [mini_instance["id"]]
    assert body["total"] == 1 and body["counts"]["running"] == 1
    assert body["counts"]["error"] == 0
    suspended = client.patch(f"/api/v1/process-instances/{mini_instance['id']}", headers=admin,
                             json={"status": "suspended", "reason": "menunggu data"})
    assert suspended.status_code == 200
    body = client.get(f"{BASE}/instances?status=running", headers=auditor).get_json()
    assert (body["total"], body["counts"]["suspended"]) == (0, 1)
    assert client.get(f"{BASE}/instances?started_by=someone", headers=auditor).get_json()[
        "total"] == 0
    timeline = client.get(f"/api/v1/process-instances/{mini_instance['id']}/timeline",
                          headers=admin).get_json()["items"]
    assert timeline[-1]["details"]["reason"] == "menunggu data"


def test_bad_filters_are_422_naming_the_field(client, admin):
    assert_problem(client.get(f"{BASE}/instances?year=1899", headers=admin), 422, field="year")
    assert_problem(client.get(f"{BASE}/instances?version=1", headers=admin), 422,
                   field="version")
    assert_problem(client.get(f"{BASE}/instances?status=paused", headers=admin), 422,
                   field="status")


def test_a_versions_load_counts_the_open_tasks_per_element(client, admin, login,
                                                           mini_instance):
    [task] = mini_instance["open_tasks"]
    load = client.get(f"{BASE}/process-definitions/mini_review/versions/1/load", headers=admin)
    assert load.status_code == 200
    body = load.get_json()
    assert body["instances"]["running"] == 1
    assert body["elements"] == [{"element_id": task["element_id"], "open_tasks": 1,
                                 "instances": 1}]
    assert_problem(client.get(f"{BASE}/process-definitions/mini_review/versions/9/load",
                              headers=admin), 404)
    assert_problem(client.get(f"{BASE}/process-definitions/mini_review/versions/1/load",
                              headers=login("s", "staf")), 403)


def test_an_instances_chain_is_checked(client, admin, mini_instance):
    check = client.get(f"{BASE}/process-instances/{mini_instance['id']}/chain", headers=admin)
    assert check.status_code == 200
    body = check.get_json()
    assert body["intact"] is True and body["events"] >= 2 and len(body["head_hash"]) == 64
    assert body["broken_at"] is None
    assert_problem(client.get(f"{BASE}/process-instances/00000000-0000-0000-0000-000000000000"
                              "/chain", headers=admin), 404)
