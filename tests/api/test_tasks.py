"""Role queues through HTTP: who sees a task, claiming, releasing, completing, the revision
loop, and the queue's filters."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import quote

from engine import usecases
from tests.api.conftest import WORKING_MONDAY
from tests.api.helpers import assert_aware, assert_problem
from tests.engine.test_tasks import seed_open_tasks

TASK_FIELDS = {"id", "overdue", "name", "element_id", "process_instance_id", "definition_key", "role",
               "assignee", "state", "created_at", "due_at", "completed_at", "completed_by",
               "form_key", "subject", "phase"}


def queue(client, headers, query=""):
    response = client.get(f"/api/v1/tasks{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def claim(client, task_id, headers):
    return client.post(f"/api/v1/tasks/{task_id}/claim", headers=headers)


def complete(client, task_id, headers, data):
    return client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": data}, headers=headers)


def test_a_task_appears_in_its_roles_queue_only(client, login, mini_instance):
    [task] = mini_instance["open_tasks"]
    staf_queue = queue(client, login("staf1", "staf"))
    assert staf_queue["total"] == 1
    [listed] = staf_queue["items"]
    assert set(listed) == TASK_FIELDS
    assert listed["id"] == task["id"]
    assert (listed["name"], listed["definition_key"], listed["form_key"]) == (
        "Menyusun konsep", "mini_review", "mini_draft")
    assert_aware(listed["created_at"], listed["due_at"])
    assert listed["overdue"] is False
    created = datetime.fromisoformat(listed["created_at"])
    assert datetime.fromisoformat(listed["due_at"]) - created == timedelta(days=1)
    assert queue(client, login("kabag", "kepala_bagian")) == {"items": [], "total": 0,
                                                               "total_exact": True}
    assert queue(client, login("biro", "kepala_biro"))["total"] == 0


def test_claim_unclaim_and_complete(client, login, mini_instance):
    [task] = mini_instance["open_tasks"]
    staf1, staf2 = login("staf1", "staf"), login("staf2", "staf")

    claimed = claim(client, task["id"], staf1)
    assert claimed.status_code == 200
    assert (claimed.get_json()["state"], claimed.get_json()["assignee"]) == ("claimed", "staf1")
    # Claiming again is harmless for the holder; the task stays in the role's queue, claimed.
    assert claim(client, task["id"], staf1).status_code == 200
    assert queue(client, staf2)["items"][0]["assignee"] == "staf1"
    assert queue(client, staf2, "?assignee=me")["total"] == 0
    assert queue(client, staf1, "?assignee=me")["total"] == 1

    # Another staf may not release it; its holder may.
    assert_problem(client.post(f"/api/v1/tasks/{task['id']}/unclaim", headers=staf2), 403)
    released = client.post(f"/api/v1/tasks/{task['id']}/unclaim", headers=staf1)
    assert released.status_code == 200
    assert (released.get_json()["state"], released.get_json()["assignee"]) == ("ready", None)
    assert_problem(client.post(f"/api/v1/tasks/{task['id']}/unclaim", headers=staf1), 409)

    assert claim(client, task["id"], staf2).status_code == 200
    done = complete(client, task["id"], staf2, {"title": "Konsep LKj 2025"})
    assert done.status_code == 200
    result = done.get_json()
    assert result["task"]["state"] == "completed"
    assert result["task"]["completed_by"] == "staf2"
    assert_aware(result["task"]["completed_at"])
    [check] = result["next_tasks"]
    assert (check["element_id"], check["role"], check["state"]) == ("check", "kepala_bagian",
                                                                    "ready")
    assert queue(client, staf2)["total"] == 0
    assert [t["id"] for t in queue(client, login("kabag", "kepala_bagian"))["items"]] == [
        check["id"]]
    # Completed tasks are found on request, and completing twice is a conflict.
    assert queue(client, staf2, "?state=completed")["items"][0]["id"] == task["id"]
    assert_problem(complete(client, task["id"], staf2, {"title": "lagi"}), 409)
    assert_problem(claim(client, task["id"], staf2), 409)


def test_an_admin_may_release_anyones_claim(client, login, admin, mini_instance):
    [task] = mini_instance["open_tasks"]
    claim(client, task["id"], login("staf1", "staf"))
    released = client.post(f"/api/v1/tasks/{task['id']}/unclaim", headers=admin)
    assert released.status_code == 200 and released.get_json()["state"] == "ready"


def test_the_revision_loop_returns_the_draft_to_staf(client, login, mini_instance):
    [draft] = mini_instance["open_tasks"]
    staf, kabag = login("staf1", "staf"), login("kabag", "kepala_bagian")
    claim(client, draft["id"], staf)
    [check] = complete(client, draft["id"], staf, {"title": "Konsep 1"}).get_json()["next_tasks"]

    claim(client, check["id"], kabag)
    # Revising needs notes (the form's if/then).
    assert_problem(complete(client, check["id"], kabag, {"decision": "revise"}), 422,
                   field="notes")
    assert_problem(complete(client, check["id"], kabag, {"decision": "maybe"}), 422,
                   field="decision")
    revised = complete(client, check["id"], kabag, {"decision": "revise", "notes": "Tambah IKU"})
    [redraft] = revised.get_json()["next_tasks"]
    assert (redraft["element_id"], redraft["role"]) == ("draft", "staf")
    assert redraft["id"] != draft["id"]

    claim(client, redraft["id"], staf)
    [check2] = complete(client, redraft["id"], staf, {"title": "Konsep 2"}).get_json()["next_tasks"]
    claim(client, check2["id"], kabag)
    approved = complete(client, check2["id"], kabag, {"decision": "approve"}).get_json()
    assert approved["next_tasks"] == []

    instance = client.get(f"/api/v1/process-instances/{mini_instance['id']}",
                          headers=kabag).get_json()
    assert instance["status"] == "completed"
    assert instance["open_tasks"] == []
    assert_aware(instance["ended_at"])
    history = queue(client, login("aud", "auditor"),
                    f"?state=all&process_instance_id={mini_instance['id']}&sort=created_at")
    assert [t["element_id"] for t in history["items"]] == ["draft", "check", "draft", "check"]


def test_the_task_form_is_its_json_schema(client, login, mini_instance):
    [task] = mini_instance["open_tasks"]
    form = client.get(f"/api/v1/tasks/{task['id']}/form", headers=login("staf1", "staf"))
    assert form.status_code == 200
    body = form.get_json()
    assert body["form_key"] == "mini_draft"
    assert body["schema"]["required"] == ["title"]
    assert body["schema"]["properties"]["attachment"]["format"] == "document-id"


def test_a_task_is_read_by_id(client, login, mini_instance):
    [task] = mini_instance["open_tasks"]
    response = client.get(f"/api/v1/tasks/{task['id']}", headers=login("staf1", "staf"))
    assert response.get_json() == task


def test_queue_filters_sorting_and_paging(client, login, mini_deployed, parallel_deployed):
    biro = login("biro", "kepala_biro")
    for key in ("mini_review", "api_parallel", "mini_review"):
        client.post(f"/api/v1/process-definitions/{key}/instances", headers=biro)
    staf = login("staf1", "staf")  # two mini drafts (due in 1 day), one parallel task (2 days)
    everything = queue(client, staf)
    assert everything["total"] == 3 and everything["total_exact"] is True
    assert [t["element_id"] for t in everything["items"]] == ["draft", "draft", "collect_a"]
    latest_first = queue(client, staf, "?sort=-due_at")["items"]
    assert latest_first[0]["element_id"] == "collect_a"

    soon = (WORKING_MONDAY + timedelta(days=1, hours=1)).isoformat()
    due_soon = queue(client, staf, f"?due_before={quote(soon)}")
    assert {t["element_id"] for t in due_soon["items"]} == {"draft"}
    # An unencoded '+' arrives as a space; the offset is still understood.
    jakarta = (WORKING_MONDAY + timedelta(days=1, hours=1)).astimezone(timezone(timedelta(hours=7)))
    spaced = jakarta.replace(microsecond=0).isoformat().replace("+", " ")
    assert queue(client, staf, f"?due_before={spaced}")["total"] == 2

    page = queue(client, staf, "?limit=1&offset=1")
    assert page["total"] == 3 and len(page["items"]) == 1
    assert page["items"][0]["id"] == everything["items"][1]["id"]

    kasubbag = login("kasub", "kepala_subbagian")
    assert [t["element_id"] for t in queue(client, kasubbag)["items"]] == ["collect_b"]
    # A filter cannot widen what the caller sees.
    assert queue(client, staf, "?role=kepala_subbagian")["total"] == 0
    assert queue(client, login("root", "admin"), "?role=kepala_subbagian")["total"] == 1
    assert queue(client, staf, "?role=staf&state=ready")["total"] == 3


def test_a_task_past_its_due_date_is_overdue(client, login, ctx, mini_instance):
    from datetime import timedelta

    from tests.api.conftest import WORKING_MONDAY
    staf = login("staf1", "staf")
    ctx.clock.set(WORKING_MONDAY + timedelta(days=1, minutes=1))  # P1D has passed
    [task] = queue(client, staf)["items"]
    assert task["overdue"] is True


def test_a_long_queue_says_its_total_is_capped_and_counts_exactly_on_request(
        client, login, ctx, mini_instance):
    cap = usecases.TASK_COUNT_CAP
    [draft] = usecases.list_tasks(ctx, usecases.SYSTEM).items
    seeded = seed_open_tasks(ctx, draft, cap + 10)
    staf = login("staf1", "staf")
    capped = queue(client, staf)
    assert (capped["total"], capped["total_exact"], len(capped["items"])) == (cap, False, 50)
    exact = queue(client, staf, "?count=exact")
    assert (exact["total"], exact["total_exact"]) == (cap + 11, True)
    assert [t["id"] for t in exact["items"]] == [t["id"] for t in capped["items"]]
    assert queue(client, staf, "?count=capped")["total"] == cap
    # a queue under the cap is counted exactly either way
    short = queue(client, staf, f"?due_before={quote(draft.due_at.isoformat())}")
    due_sooner = [t for t in seeded if t["due_at"] and t["due_at"] < draft.due_at]
    assert (short["total"], short["total_exact"]) == (len(due_sooner), True)


def test_an_unknown_count_is_refused_naming_the_field(client, login, mini_instance):
    response = client.get("/api/v1/tasks?count=roughly", headers=login("staf1", "staf"))
    assert_problem(response, 422, field="count")


def test_the_api_description_says_the_total_may_be_capped(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    tasks = spec["paths"]["/api/v1/tasks"]["get"]
    [count] = [p for p in tasks["parameters"] if p["name"] == "count"]
    assert count["schema"]["enum"] == ["capped", "exact"]
    assert f"{usecases.TASK_COUNT_CAP:,}" in tasks["description"]
    page = spec["components"]["schemas"]["TaskQueuePage"]["properties"]
    assert page["total_exact"]["type"] == "boolean" and "count=exact" in page["total_exact"][
        "description"]
