"""POST /process-instances/{id}/migrate and the bulk form for a version."""
from __future__ import annotations

from engine import usecases
from tests.api.helpers import assert_problem
from tests.conftest import ADMIN, FIXTURES, read_folder
from tests.engine.test_migration import v2_with_a_final_note, v2_without_the_check


def start(client, login):
    response = client.post("/api/v1/process-definitions/mini_review/instances",
                           json={"variables": {}}, headers=login("biro", "kepala_biro"))
    return response.get_json()


def move_to_check(client, login, instance):
    staf = login("staf1", "staf")
    [draft] = instance["open_tasks"]
    client.post(f"/api/v1/tasks/{draft['id']}/claim", headers=staf)
    client.post(f"/api/v1/tasks/{draft['id']}/complete", json={"data": {"title": "x"}},
                headers=staf)


def test_migrate_one_instance_dry_run_then_for_real(client, login, admin, ctx, mini_deployed):
    instance = start(client, login)
    usecases.deploy(ctx, ADMIN, v2_with_a_final_note(), read_folder(FIXTURES / "mini")[1])
    url = f"/api/v1/process-instances/{instance['id']}/migrate"
    dry = client.post(url, json={"to_version": 2, "dry_run": True}, headers=admin).get_json()
    assert (dry["allowed"], dry["dry_run"], dry["open_tasks"]) == (True, True, [])
    moved = client.post(url, json={"to_version": 2}, headers=admin)
    assert moved.status_code == 200
    body = moved.get_json()
    assert body["allowed"] and (body["from_version"], body["to_version"]) == (1, 2)
    assert body["open_tasks"][0]["name"] == "Menyusun konsep v2"


def test_bulk_migration_reports_each_instance(client, login, admin, ctx, mini_deployed):
    waiting_at_draft = start(client, login)
    waiting_at_check = start(client, login)
    move_to_check(client, login, waiting_at_check)
    usecases.deploy(ctx, ADMIN, v2_without_the_check(), read_folder(FIXTURES / "mini")[1])
    response = client.post("/api/v1/process-definitions/mini_review/versions/1/migrate",
                           json={"to_version": 2}, headers=admin)
    assert response.status_code == 200
    results = {r["process_instance_id"]: r for r in response.get_json()["items"]}
    assert results[waiting_at_draft["id"]]["allowed"] is True
    refused = results[waiting_at_check["id"]]
    assert refused["allowed"] is False and "'check'" in refused["reasons"][0]


def test_migration_errors(client, login, admin, mini_deployed):
    instance = start(client, login)
    url = f"/api/v1/process-instances/{instance['id']}/migrate"
    assert_problem(client.post(url, json={"to_version": 2}, headers=login("biro", "kepala_biro")),
                   403)
    assert_problem(client.post(url, json={"to_version": 9}, headers=admin), 404)
    assert_problem(client.post(url, json={"to_version": "two"}, headers=admin), 422,
                   field="to_version")
    assert_problem(client.post("/api/v1/process-instances/nope/migrate", json={"to_version": 2},
                               headers=admin), 404)
