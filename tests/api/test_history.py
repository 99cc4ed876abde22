"""History for auditors over HTTP: an instance's event log, its replay, the audit bundle, and
completed tasks across instances."""
from __future__ import annotations

import hashlib
import io
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import pytest
from sqlalchemy import update

from engine.audit.bundle import verify_bundle
from engine.persistence.event_log import GENESIS
from engine.persistence.tables import Task
from tests.api.helpers import assert_aware, assert_problem

JAKARTA = timezone(timedelta(hours=7))
DAY1 = datetime(2025, 3, 3, 2, 0, tzinfo=timezone.utc)  # 09:00 in Jakarta
UNKNOWN = "00000000-0000-0000-0000-000000000000"
EVENT_FIELDS = {"seq", "occurred_at", "actor", "type", "element_id", "task_id", "payload",
                "prev_hash", "hash"}
CYCLE = [  # (type, element_id, actor) of the events `review_cycle` makes
    ("instance_started", None, "biro"),
    ("task_ready", "draft", "system"),
    ("document_uploaded", None, "staf1"),
    ("task_claimed", "draft", "staf1"),
    ("task_completed", "draft", "staf1"),
    ("task_ready", "check", "system"),
    ("task_claimed", "check", "kabag"),
    ("task_completed", "check", "kabag"),
    ("task_ready", "draft", "system"),
    ("task_claimed", "draft", "staf1"),
    ("task_completed", "draft", "staf1"),
    ("task_ready", "check", "system"),
    ("task_claimed", "check", "kabag"),
    ("task_completed", "check", "kabag"),
    ("instance_completed", None, "kabag"),
]


@pytest.fixture
def auditor(login):
    return login("aud", "auditor")


def work(client, task_id, headers, data) -> list[dict]:
    assert client.post(f"/api/v1/tasks/{task_id}/claim", headers=headers).status_code == 200
    done = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": data}, headers=headers)
    assert done.status_code == 200, done.get_json()
    return done.get_json()["next_tasks"]


@pytest.fixture
def review_cycle(ctx, client, login, mini_deployed):
    """A mini_review instance run to completion over HTTP, with a document and a revision:
    the first draft is done on DAY1, the revision and the second draft on the day after
    (an hour apart: completed tasks are listed by time), the approval on the third day
    (engine clock). Returns the instance id."""
    staf, kabag = login("staf1", "staf"), login("kabag", "kepala_bagian")
    ctx.clock.set(DAY1)
    instance = client.post("/api/v1/process-definitions/mini_review/instances",
                           json={"variables": {"year": 2025}},
                           headers=login("biro", "kepala_biro")).get_json()
    [draft] = instance["open_tasks"]
    document = client.post(f"/api/v1/process-instances/{instance['id']}/documents",
                           headers=staf, data={"file": (io.BytesIO(b"%PDF iku"), "iku.pdf")})
    [check] = work(client, draft["id"], staf, {"title": "Konsep 1",
                                               "attachment": document.get_json()["id"]})
    ctx.clock.set(DAY1 + timedelta(days=1))
    [draft] = work(client, check["id"], kabag, {"decision": "revise", "notes": "Tambah IKU"})
    ctx.clock.set(DAY1 + timedelta(days=1, hours=1))
    [check] = work(client, draft["id"], staf, {"title": "Konsep 2"})
    ctx.clock.set(DAY1 + timedelta(days=2))
    assert work(client, check["id"], kabag, {"decision": "approve"}) == []
    return instance["id"]


def history(client, instance_id, headers, query=""):
    response = client.get(f"/api/v1/process-instances/{instance_id}/history{query}",
                          headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# ---------------------------------------------------------------- the event log

def test_the_history_lists_the_events_in_order_chained_by_hash(client, auditor, review_cycle):
    page = history(client, review_cycle, auditor)
    events = page["events"]
    assert page["total"] == len(CYCLE)
    assert [(e["type"], e["element_id"], e["actor"]) for e in events] == CYCLE
    assert [e["seq"] for e in events] == list(range(1, len(CYCLE) + 1))
    assert all(set(e) == EVENT_FIELDS for e in events)
    assert_aware(*(e["occurred_at"] for e in events))
    assert [e["prev_hash"] for e in events] == [GENESIS] + [e["hash"] for e in events[:-1]]
    assert len({e["hash"] for e in events}) == len(events)
    started, completed = events[0], events[4]
    assert started["payload"]["variables"] == {"year": 2025}
    assert started["payload"]["definition_version"] == 1
    assert completed["payload"]["data"]["title"] == "Konsep 1"
    assert completed["task_id"] == events[1]["task_id"] == events[3]["task_id"]


def test_the_history_is_filtered_by_type_and_paged(client, auditor, admin, review_cycle):
    completions = history(client, review_cycle, auditor, "?type=task_completed")
    assert completions["total"] == 4
    assert [e["element_id"] for e in completions["events"]] == ["draft", "check", "draft",
                                                                "check"]
    assert [e["seq"] for e in completions["events"]] == [5, 8, 11, 14]
    page = history(client, review_cycle, auditor, "?limit=4&offset=12")
    assert page["total"] == len(CYCLE)
    assert [e["seq"] for e in page["events"]] == [13, 14, 15]
    assert history(client, review_cycle, auditor, "?limit=10000")["total"] == len(CYCLE)
    # An admin reads it too.
    [last] = history(client, review_cycle, admin, "?type=instance_completed")["events"]
    assert last["seq"] == len(CYCLE)


@pytest.mark.parametrize("query, field", [
    ("type=task_done", "type"), ("limit=0", "limit"), ("limit=10001", "limit"),
    ("offset=-1", "offset"), ("kind=task_ready", "kind"),
])
def test_a_bad_history_query_is_422_naming_it(client, auditor, mini_instance, query, field):
    response = client.get(f"/api/v1/process-instances/{mini_instance['id']}/history?{query}",
                          headers=auditor)
    assert_problem(response, 422, field=field)


# ---------------------------------------------------------------- replay

def test_replay_of_a_completed_cycle_is_consistent(client, auditor, review_cycle):
    response = client.post(f"/api/v1/process-instances/{review_cycle}/replay", headers=auditor)
    assert response.status_code == 200
    assert response.get_json() == {"consistent": True, "events_replayed": len(CYCLE),
                                   "divergence": None}


def test_replay_names_where_the_stored_state_differs(ctx, client, auditor, mini_instance):
    [draft] = mini_instance["open_tasks"]
    # A task row moved to another queue behind the engine's back.
    with ctx.db.write() as s:
        s.execute(update(Task).where(Task.id == draft["id"]).values(role="kepala_bagian"))
    report = client.post(f"/api/v1/process-instances/{mini_instance['id']}/replay",
                         headers=auditor).get_json()
    assert report["consistent"] is False
    assert report["events_replayed"] == 2
    divergence = report["divergence"]
    assert (divergence["seq"], divergence["event_type"]) == (None, None)
    assert divergence["what"] == "stored open task rows"
    # expected and found are whatever JSON the comparison holds: here objects of pairs.
    assert divergence["expected"] == {draft["id"]: ["draft", "staf"]}
    assert divergence["found"] == {draft["id"]: ["draft", "kepala_bagian"]}


# ---------------------------------------------------------------- the audit bundle

def test_the_audit_bundle_verifies_offline(client, auditor, review_cycle):
    response = client.get(f"/api/v1/process-instances/{review_cycle}/audit-bundle",
                          headers=auditor)
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="lkj-audit-{review_cycle}.zip"'
    assert response.headers["ETag"].strip('"') == hashlib.sha256(response.data).hexdigest()
    report = verify_bundle(response.data)
    assert report.valid, report.problems
    assert report.instance_id == review_cycle
    assert report.replay.consistent and report.replay.events_replayed == len(CYCLE)


# ---------------------------------------------------------------- who may read it

@pytest.mark.parametrize("method, suffix", [
    ("get", "history"), ("post", "replay"), ("get", "audit-bundle")])
def test_only_auditors_and_admins_read_an_instances_history(client, login, mini_instance,
                                                            method, suffix):
    url = f"/api/v1/process-instances/{mini_instance['id']}/{suffix}"
    call = getattr(client, method)
    for username, role in (("staf1", "staf"), ("biro", "kepala_biro")):
        body = assert_problem(call(url, headers=login(username, role)), 403)
        assert "auditor" in body["detail"]
    assert_problem(call(url), 401)
    assert call(url, headers=login("root", "admin")).status_code == 200
    assert_problem(call(f"/api/v1/process-instances/{UNKNOWN}/{suffix}",
                        headers=login("aud", "auditor")), 404)


# ---------------------------------------------------------------- completed tasks

def completed(client, headers, query=""):
    response = client.get(f"/api/v1/history/tasks{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_completed_tasks_by_role_user_and_time(client, auditor, review_cycle):
    everything = completed(client, auditor)
    assert everything["total"] == 4
    items = everything["items"]
    assert [(t["element_id"], t["completed_by"]) for t in items] == [
        ("draft", "staf1"), ("check", "kabag"), ("draft", "staf1"), ("check", "kabag")]
    assert all(t["state"] == "completed" and t["process_instance_id"] == review_cycle
               for t in items)
    assert_aware(*(t["completed_at"] for t in items))

    assert completed(client, auditor, "?role=staf")["total"] == 2
    assert [t["element_id"] for t in completed(client, auditor, "?user=kabag")["items"]] == [
        "check", "check"]
    day2 = (DAY1 + timedelta(days=1)).astimezone(JAKARTA)
    since_day2 = completed(client, auditor, f"?from={quote(day2.isoformat())}")
    assert [t["element_id"] for t in since_day2["items"]] == ["check", "draft", "check"]
    before_day2 = completed(client, auditor, f"?to={quote(day2.isoformat())}")
    assert [t["element_id"] for t in before_day2["items"]] == ["draft"]
    # The same moment in UTC, and with the `+` of the offset left unencoded (a space).
    assert completed(client, auditor, "?to=2025-03-04T02:00:00Z")["total"] == 1
    assert completed(client, auditor, f"?from={day2.isoformat()}")["total"] == 3
    window = completed(client, auditor, f"?from={quote(day2.isoformat())}"
                                        f"&to={quote((day2 + timedelta(days=1)).isoformat())}"
                                        "&role=staf")
    assert [t["element_id"] for t in window["items"]] == ["draft"]
    page = completed(client, auditor, "?limit=1&offset=3")
    assert page["total"] == 4 and [t["id"] for t in page["items"]] == [items[3]["id"]]


@pytest.mark.parametrize("query, field", [
    ("from=2025-03-03T09:00:00", "from"), ("from=yesterday", "from"),
    ("to=2025-13-01T00:00:00Z", "to"), ("limit=0", "limit"), ("limit=501", "limit"),
    ("offset=-1", "offset"), ("state=completed", "state"),
])
def test_a_bad_completed_tasks_query_is_422_naming_it(client, auditor, query, field):
    assert_problem(client.get(f"/api/v1/history/tasks?{query}", headers=auditor), 422,
                   field=field)


def test_only_auditors_and_admins_list_completed_tasks(client, login):
    assert_problem(client.get("/api/v1/history/tasks", headers=login("staf1", "staf")), 403)
    assert_problem(client.get("/api/v1/history/tasks"), 401)
    assert completed(client, login("root", "admin")) == {"items": [], "total": 0}
