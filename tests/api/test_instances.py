"""Process definitions and instances: what is deployed, starting, following."""
from __future__ import annotations

from engine import usecases
from tests.api.helpers import assert_aware, assert_problem
from tests.conftest import ADMIN, FIXTURES, read_folder

START_MINI = "/api/v1/process-definitions/mini_review/instances"


def test_the_latest_version_of_each_definition_is_listed(client, login, ctx, mini_deployed,
                                                         parallel_deployed):
    diagrams, forms = read_folder(FIXTURES / "mini")
    diagrams["review.bpmn"] = diagrams["review.bpmn"].replace(b"Reviu dokumen", b"Reviu v2")
    usecases.deploy(ctx, ADMIN, diagrams, forms)
    items = client.get("/api/v1/process-definitions",
                       headers=login("staf1", "staf")).get_json()["items"]
    assert [(d["key"], d["version"], d["name"]) for d in items] == [
        ("api_parallel", 1, "Pengumpulan paralel"), ("mini_review", 2, "Reviu v2")]
    assert items[1]["startable_by"] == ["kepala_biro"]
    assert_aware(*(d["deployed_at"] for d in items))


def test_a_kepala_biro_starts_an_instance(client, login, mini_deployed):
    response = client.post(START_MINI, json={"variables": {"year": 2025}},
                           headers=login("biro", "kepala_biro"))
    assert response.status_code == 201
    instance = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/process-instances/{instance['id']}")
    assert instance["definition_key"] == "mini_review"
    assert instance["definition_version"] == 1
    assert instance["status"] == "running"
    assert instance["started_by"] == "biro"
    assert instance["ended_at"] is None and instance["error"] is None
    assert_aware(instance["started_at"])
    [task] = instance["open_tasks"]
    assert (task["element_id"], task["role"], task["state"]) == ("draft", "staf", "ready")


def test_an_admin_may_start_and_may_pick_a_version(client, admin, ctx, mini_deployed):
    diagrams, forms = read_folder(FIXTURES / "mini")
    diagrams["review.bpmn"] = diagrams["review.bpmn"].replace(b"Reviu dokumen", b"Reviu v2")
    usecases.deploy(ctx, ADMIN, diagrams, forms)
    old = client.post(START_MINI, json={"version": 1}, headers=admin)
    assert old.status_code == 201 and old.get_json()["definition_version"] == 1
    latest = client.post(START_MINI, headers=admin)  # no body: no variables, latest version
    assert latest.status_code == 201 and latest.get_json()["definition_version"] == 2
    assert_problem(client.post(START_MINI, json={"version": 7}, headers=admin), 404)
    assert_problem(client.post(START_MINI, json={"version": "1"}, headers=admin), 422,
                   field="version")


def test_an_instance_is_read_with_its_open_tasks(client, login, mini_instance):
    url = f"/api/v1/process-instances/{mini_instance['id']}"
    instance = client.get(url, headers=login("staf1", "staf")).get_json()
    assert instance == mini_instance
    # A role outside the procedure's readers sees only instances it works in.
    assert_problem(client.get(url, headers=login("dep", "deputi")), 404)


def test_instances_are_listed_filtered_and_paged(client, login, admin, mini_deployed,
                                                 parallel_deployed):
    biro = login("biro", "kepala_biro")
    for key in ("mini_review", "mini_review", "api_parallel"):
        client.post(f"/api/v1/process-definitions/{key}/instances", headers=biro)
    page = client.get("/api/v1/process-instances?limit=2", headers=biro).get_json()
    assert page["total"] == 3 and len(page["items"]) == 2
    assert "open_tasks" not in page["items"][0]
    rest = client.get("/api/v1/process-instances?limit=2&offset=2", headers=biro).get_json()
    assert len(rest["items"]) == 1
    assert {i["id"] for i in page["items"] + rest["items"]} == {
        i["id"] for i in client.get("/api/v1/process-instances", headers=biro).get_json()["items"]}
    mini = client.get("/api/v1/process-instances?definition_key=mini_review",
                      headers=biro).get_json()
    assert mini["total"] == 2
    assert client.get("/api/v1/process-instances?status=completed",
                      headers=biro).get_json() == {"items": [], "total": 0}
