"""A task's variables: what the person working it needs to see, e.g. the submission a
checker reviews."""
from __future__ import annotations

from tests.api.helpers import assert_problem

START_MINI = "/api/v1/process-definitions/mini_review/instances"


def variables(client, task_id, headers):
    response = client.get(f"/api/v1/tasks/{task_id}/variables", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["variables"]


def test_the_checker_sees_what_was_submitted(client, login, mini_deployed):
    instance = client.post(START_MINI, json={"variables": {"year": 2025}},
                           headers=login("biro", "kepala_biro")).get_json()
    [draft] = instance["open_tasks"]
    staf, kabag = login("staf1", "staf"), login("kabag", "kepala_bagian")
    # The open draft sees the start variables.
    assert variables(client, draft["id"], staf)["year"] == 2025

    client.post(f"/api/v1/tasks/{draft['id']}/claim", headers=staf)
    done = client.post(f"/api/v1/tasks/{draft['id']}/complete", headers=staf,
                       json={"data": {"title": "Konsep LKj 2025"}}).get_json()
    [check] = done["next_tasks"]
    seen = variables(client, check["id"], kabag)
    assert (seen["title"], seen["year"]) == ("Konsep LKj 2025", 2025)
    # The completed draft still shows what it was completed with, to its completer and auditors.
    assert variables(client, draft["id"], staf)["title"] == "Konsep LKj 2025"
    assert variables(client, draft["id"], login("aud", "auditor"))["title"] == "Konsep LKj 2025"


def test_variables_of_a_task_the_caller_may_not_see_are_404(client, login, mini_instance):
    [draft] = mini_instance["open_tasks"]  # staf's
    url = f"/api/v1/tasks/{draft['id']}/variables"
    assert_problem(client.get(url, headers=login("kabag", "kepala_bagian")), 404)
    assert_problem(client.get(url, headers=login("dep", "deputi")), 404)
    assert_problem(client.get("/api/v1/tasks/00000000-0000-0000-0000-000000000000/variables",
                              headers=login("staf1", "staf")), 404)
    assert_problem(client.get(url), 401)
