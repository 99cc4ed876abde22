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


def _failed_message(ctx) -> int:
    from engine.persistence.tables import OutboxMessage
    now = ctx.clock.now()
    with ctx.db.write() as s:
        message = OutboxMessage(created_at=now, kind="task_assigned", channel="email",
                                recipient="staf@example.go.id", username="staf1", subject="Tugas",
                                body="...", payload={}, state="failed", attempts=8,
                                next_attempt_at=now, last_error="SMTP 550: mailbox unavailable")
        s.add(message)
        s.flush()
        return message.id


def test_a_failed_notification_is_listed_and_sent_again(client, admin, login, ctx):
    message_id = _failed_message(ctx)
    body = client.get(f"{BASE}/outbox?state=failed", headers=admin).get_json()
    assert body["counts"]["failed"] == 1 and body["total"] == 1
    [entry] = body["items"]
    assert (entry["id"], entry["last_error"]) == (message_id, "SMTP 550: mailbox unavailable")
    again = client.post(f"{BASE}/outbox/{message_id}/retry", headers=admin)
    assert again.status_code == 200
    assert (again.get_json()["state"], again.get_json()["attempts"]) == ("pending", 0)
    assert_problem(client.post(f"{BASE}/outbox/{message_id}/retry", headers=admin), 409)
    assert_problem(client.post(f"{BASE}/outbox/999999/retry", headers=admin), 404)
    assert_problem(client.get(f"{BASE}/outbox", headers=login("aud", "auditor")), 403)
    assert_problem(client.get(f"{BASE}/outbox?state=lost", headers=admin), 422, field="state")
