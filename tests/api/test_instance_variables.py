"""An instance's variables over /api/v1: read by the roles that follow every instance, set
and removed by an admin while it runs, each change kept in its history."""
from __future__ import annotations

import pytest

from tests.api.helpers import assert_problem

UNKNOWN = "00000000-0000-0000-0000-000000000000"


@pytest.fixture
def mini_instance(client, login, mini_deployed):
    """A mini_review instance started with a year; its draft task is open."""
    response = client.post("/api/v1/process-definitions/mini_review/instances",
                           json={"variables": {"year": 2025}}, headers=login("biro", "kepala_biro"))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def url(instance_id: str) -> str:
    return f"/api/v1/process-instances/{instance_id}/variables"


def test_an_admin_corrects_a_running_instances_variables(client, admin, login, mini_instance):
    staf = login("staf1", "staf")
    before = client.get(url(mini_instance["id"]), headers=staf)
    assert before.status_code == 200 and before.get_json()["variables"]["year"] == 2025

    changed = client.patch(url(mini_instance["id"]), headers=admin,
                           json={"set": {"year": 2026, "catatan": "tahun dikoreksi"}})
    assert changed.status_code == 200
    assert changed.get_json()["variables"] == {**before.get_json()["variables"],
                                               "year": 2026, "catatan": "tahun dikoreksi"}
    removed = client.patch(url(mini_instance["id"]), headers=admin, json={"delete": ["catatan"]})
    assert "catatan" not in removed.get_json()["variables"]
    # the person at the open task sees the corrected year
    [task] = mini_instance["open_tasks"]
    seen = client.get(f"/api/v1/tasks/{task['id']}/variables", headers=staf).get_json()
    assert seen["variables"]["year"] == 2026
    history = client.get(f"/api/v1/process-instances/{mini_instance['id']}/history"
                         "?type=variables_changed", headers=login("aud", "auditor")).get_json()
    assert [(e["actor"], e["payload"]["values"], e["payload"]["deleted"])
            for e in history["events"]] == [
        ("root", {"year": 2026, "catatan": "tahun dikoreksi"}, []), ("root", {}, ["catatan"])]


def test_only_an_admin_changes_them_and_only_while_the_instance_runs(client, admin, login,
                                                                     mini_instance):
    assert_problem(client.patch(url(mini_instance["id"]), headers=login("staf1", "staf"),
                                json={"set": {"year": 1}}), 403)
    assert_problem(client.patch(url(UNKNOWN), headers=admin, json={"set": {"year": 1}}), 404)
    assert_problem(client.get(url(UNKNOWN), headers=admin), 404)
    client.patch(f"/api/v1/process-instances/{mini_instance['id']}", headers=admin,
                 json={"status": "terminated"})
    assert_problem(client.patch(url(mini_instance["id"]), headers=admin,
                                json={"set": {"year": 1}}), 409)
    # an ended instance is read with the data it ended with
    assert client.get(url(mini_instance["id"]), headers=admin).get_json()["variables"][
        "year"] == 2025


@pytest.mark.parametrize("body, field", [({"set": ["year"]}, "set"),
                                         ({"delete": "year"}, "delete"),
                                         ({"sets": {}}, "sets")])
def test_a_change_that_is_not_set_and_delete_names_the_field(client, admin, mini_instance,
                                                             body, field):
    assert_problem(client.patch(url(mini_instance["id"]), headers=admin, json=body), 422, field)
    assert client.get(url(mini_instance["id"]), headers=admin).get_json()["variables"][
        "year"] == 2025
