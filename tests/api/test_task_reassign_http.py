"""POST /api/v1/tasks/{id}/reassign: an admin gives an open task to another user."""
from __future__ import annotations

from tests.api.helpers import assert_problem


def reassign(client, task_id, headers, **body):
    return client.post(f"/api/v1/tasks/{task_id}/reassign", json=body, headers=headers)


def test_an_admin_gives_a_claimed_task_to_another_holder_of_its_role(client, admin, login,
                                                                     mini_instance):
    [task] = mini_instance["open_tasks"]
    staf1, staf2 = login("staf1", "staf"), login("staf2", "staf")
    client.post(f"/api/v1/tasks/{task['id']}/claim", headers=staf1)

    given = reassign(client, task["id"], admin, username="staf2", reason="cuti")
    assert given.status_code == 200
    assert (given.get_json()["state"], given.get_json()["assignee"]) == ("claimed", "staf2")
    mine = client.get("/api/v1/tasks?assignee=me", headers=staf2).get_json()
    assert [t["id"] for t in mine["items"]] == [task["id"]]
    assert client.get("/api/v1/tasks?assignee=me", headers=staf1).get_json()["items"] == []
    timeline = client.get(f"/api/v1/process-instances/{mini_instance['id']}/timeline",
                          headers=admin).get_json()["items"]
    [entry] = [e for e in timeline if e["type"] == "task_reassigned"]
    assert entry["details"] == {"assignee": "staf2", "previous": "staf1", "reason": "cuti"}


def test_a_bad_reassignment_names_the_field_and_changes_nothing(client, admin, login,
                                                               mini_instance):
    [task] = mini_instance["open_tasks"]
    login("kabag", "kepala_bagian")
    assert_problem(reassign(client, task["id"], admin), 422, "username")
    assert_problem(reassign(client, task["id"], admin, username="kabag"), 422, "username")
    assert_problem(reassign(client, task["id"], admin, username="staf9"), 422, "username")
    assert_problem(reassign(client, task["id"], login("staf1", "staf"), username="staf1"), 403)
    assert_problem(reassign(client, "00000000-0000-0000-0000-000000000000", admin,
                            username="staf1"), 404)
    assert client.get(f"/api/v1/tasks/{task['id']}", headers=admin).get_json()["state"] == \
        "ready"
