"""Role queues through the engine's commands: who sees, claims and completes what."""
from __future__ import annotations

import io
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert

from engine import usecases
from engine.errors import (
    DocumentTooLarge,
    Forbidden,
    FormInvalid,
    InstanceNotFound,
    InvalidInput,
    TaskAlreadyClaimed,
    TaskNotClaimedByCaller,
    TaskNotFound,
    TaskNotOpen,
)
from engine.persistence.tables import Task
from tests.conftest import ADMIN, actor

KEPALA_BIRO = actor("kb", "kepala_biro")
STAF = actor("staf1", "staf")
STAF2 = actor("staf2", "staf")
KABAG = actor("kabag", "kepala_bagian")
UNIT_USER = actor("unit_a", "satuan_kerja:A")


def start(ctx):
    return usecases.start_instance(ctx, KEPALA_BIRO, "mini_review", {"year": 2026})


def open_ids(ctx, who):
    return [t.id for t in usecases.list_tasks(ctx, who).items]


def test_a_task_appears_only_in_its_roles_queue(ctx, mini_deployed):
    ctx.clock.set(datetime(2026, 3, 6, 8, 0, tzinfo=timezone.utc))  # Friday 15:00 in Jakarta
    instance = start(ctx)
    [task] = instance.open_tasks
    assert (task.role, task.state, task.element_id) == ("staf", "ready", "draft")
    assert open_ids(ctx, STAF) == [task.id]
    assert open_ids(ctx, KABAG) == []
    with pytest.raises(TaskNotFound):
        usecases.get_task(ctx, KABAG, task.id)
    # P1D in working time: the same hour of the next working day (Monday)
    assert task.due_at == datetime(2026, 3, 9, 8, 0, tzinfo=timezone.utc)
    assert task.due_at.utcoffset() == timedelta(0)


def test_claim_complete_and_the_next_task_moves_to_the_next_role(ctx, mini_deployed):
    [task] = start(ctx).open_tasks
    claimed = usecases.claim_task(ctx, STAF, task.id)
    assert (claimed.state, claimed.assignee) == ("claimed", "staf1")
    assert usecases.claim_task(ctx, STAF, task.id).assignee == "staf1"  # idempotent
    with pytest.raises(TaskAlreadyClaimed):
        usecases.claim_task(ctx, STAF2, task.id)
    with pytest.raises(TaskNotClaimedByCaller):
        usecases.complete_task(ctx, STAF2, task.id, {"title": "x"})
    result = usecases.complete_task(ctx, STAF, task.id, {"title": "Memorandum"})
    assert (result.task.state, result.task.completed_by) == ("completed", "staf1")
    [check] = result.next_tasks
    assert (check.role, check.element_id) == ("kepala_bagian", "check")
    assert open_ids(ctx, STAF) == []
    assert open_ids(ctx, KABAG) == [check.id]
    with pytest.raises(TaskNotOpen):
        usecases.claim_task(ctx, STAF, task.id)
    # the one who completed it can still read it
    assert usecases.get_task(ctx, STAF, task.id).state == "completed"


def test_revision_returns_the_draft_to_staf(ctx, mini_deployed):
    [task] = start(ctx).open_tasks
    usecases.claim_task(ctx, STAF, task.id)
    [check] = usecases.complete_task(ctx, STAF, task.id, {"title": "v1"}).next_tasks
    usecases.claim_task(ctx, KABAG, check.id)
    with pytest.raises(FormInvalid) as caught:
        usecases.complete_task(ctx, KABAG, check.id, {"decision": "revise"})
    assert caught.value.errors == {"notes": ["'notes' is a required property"]}
    [redo] = usecases.complete_task(ctx, KABAG, check.id,
                                    {"decision": "revise", "notes": "lengkapi data"}).next_tasks
    assert (redo.role, redo.element_id) == ("staf", "draft") and redo.id != task.id
    usecases.claim_task(ctx, STAF2, redo.id)
    [check2] = usecases.complete_task(ctx, STAF2, redo.id, {"title": "v2"}).next_tasks
    usecases.claim_task(ctx, KABAG, check2.id)
    result = usecases.complete_task(ctx, KABAG, check2.id, {"decision": "approve"})
    assert result.next_tasks == []
    instance = usecases.get_instance(ctx, KEPALA_BIRO, redo.process_instance_id)
    assert instance.status == "completed" and instance.ended_at is not None


def test_unclaim_by_assignee_or_admin_only(ctx, mini_deployed):
    [task] = start(ctx).open_tasks
    usecases.claim_task(ctx, STAF, task.id)
    with pytest.raises(Forbidden):
        usecases.unclaim_task(ctx, STAF2, task.id)
    assert usecases.unclaim_task(ctx, ADMIN, task.id).state == "ready"
    usecases.claim_task(ctx, STAF2, task.id)
    assert usecases.unclaim_task(ctx, STAF2, task.id).assignee is None
    with pytest.raises(TaskNotOpen):
        usecases.unclaim_task(ctx, STAF2, task.id)


def test_claim_outside_the_role_is_forbidden_even_for_admin(ctx, mini_deployed):
    [task] = start(ctx).open_tasks
    for who in (ADMIN, actor("aud", "auditor")):
        assert usecases.get_task(ctx, who, task.id).id == task.id  # they may read it
        with pytest.raises(Forbidden):
            usecases.claim_task(ctx, who, task.id)


def test_form_errors_name_each_field_and_change_nothing(ctx, mini_deployed):
    [task] = start(ctx).open_tasks
    usecases.claim_task(ctx, STAF, task.id)
    with pytest.raises(FormInvalid) as caught:
        usecases.complete_task(ctx, STAF, task.id, {"title": 5, "extra": True,
                                                    "attachment": "no-such-document"})
    assert set(caught.value.errors) == {"title", "extra", "attachment"}
    assert "not a document of this process instance" in caught.value.errors["attachment"][0]
    assert usecases.get_task(ctx, STAF, task.id).state == "claimed"


def test_document_upload_is_referenced_from_a_form(ctx, mini_deployed):
    instance = start(ctx)
    [task] = instance.open_tasks
    document = usecases.upload_document(ctx, STAF, instance.id, "C:\\tmp\\konsep.pdf",
                                        "application/pdf", io.BytesIO(b"%PDF-1.7 isi"))
    assert document.filename == "konsep.pdf" and document.size == 12
    path = usecases.document_path(ctx, STAF, document.id)[1]
    assert path.read_bytes() == b"%PDF-1.7 isi"
    usecases.claim_task(ctx, STAF, task.id)
    result = usecases.complete_task(ctx, STAF, task.id, {"title": "x", "attachment": document.id})
    assert result.task.state == "completed"


def test_too_large_document_is_refused_and_leaves_nothing(ctx, mini_deployed, monkeypatch):
    instance = start(ctx)
    limit = ctx.settings.max_document_bytes
    with pytest.raises(DocumentTooLarge):
        usecases.upload_document(ctx, STAF, instance.id, "big.bin", None,
                                 io.BytesIO(b"x" * (limit + 1)))
    leftovers = [p for p in ctx.settings.document_dir.rglob("*") if p.is_file()]
    assert leftovers == []


def test_a_unit_user_sees_only_instances_it_works_in(ctx, mini_deployed):
    instance = start(ctx)
    with pytest.raises(InstanceNotFound):
        usecases.get_instance(ctx, UNIT_USER, instance.id)
    assert usecases.list_instances(ctx, UNIT_USER).total == 0
    assert usecases.list_instances(ctx, STAF).total == 1


def test_only_the_named_roles_may_start(ctx, mini_deployed):
    with pytest.raises(Forbidden):
        usecases.start_instance(ctx, STAF, "mini_review", {})
    assert usecases.start_instance(ctx, ADMIN, "mini_review", {}).status == "running"


def test_task_list_filters_sorts_and_pages(ctx, mini_deployed):
    for _ in range(5):
        start(ctx)
    page = usecases.list_tasks(ctx, STAF, limit=2, offset=1, sort="-created_at")
    assert page.total == 5 and len(page.items) == 2
    everything = usecases.list_tasks(ctx, STAF, sort="created_at").items
    assert [t.created_at for t in everything] == sorted(t.created_at for t in everything)
    first = everything[0]
    usecases.claim_task(ctx, STAF, first.id)
    assert [t.id for t in usecases.list_tasks(ctx, STAF, assignee="me").items] == [first.id]
    assert usecases.list_tasks(ctx, STAF, state="ready").total == 4
    due = first.due_at + timedelta(seconds=1)
    assert usecases.list_tasks(ctx, STAF, due_before=due, sort="due_at").items[0].id == first.id
    with pytest.raises(InvalidInput) as caught:
        usecases.list_tasks(ctx, STAF, state="sideways", sort="?", limit=0, count="roughly")
    assert set(caught.value.errors) == {"state", "sort", "limit", "count"}


def test_units_default_to_every_active_unit_and_are_checked(ctx):
    from tests.engine import diagrams as d
    usecases.deploy(ctx, ADMIN, {"u.bpmn": d.sequence(
        "per_unit", [("user", "isi")], unitsVariable="units", startForm="simple")},
        {"simple.json": d.SIMPLE_FORM})
    with pytest.raises(InvalidInput) as caught:
        usecases.start_instance(ctx, KEPALA_BIRO, "per_unit", {})
    assert "variables.units" in caught.value.errors
    for code in "ABC":
        usecases.create_unit(ctx, ADMIN, code, f"Unit {code}")
    usecases.update_unit(ctx, ADMIN, "B", active=False)
    with pytest.raises(InvalidInput) as caught:
        usecases.start_instance(ctx, KEPALA_BIRO, "per_unit", {"units": ["A", "B", "Z"]})
    assert caught.value.errors["variables.units"] == ["'B' is not an active unit",
                                                      "'Z' is not an active unit"]
    with pytest.raises(FormInvalid) as caught:  # the start form checks the variables
        usecases.start_instance(ctx, KEPALA_BIRO, "per_unit", {"value": 7})
    assert caught.value.errors == {"variables.value": ["7 is not of type 'string'"]}
    instance = usecases.start_instance(ctx, KEPALA_BIRO, "per_unit", {})
    events = usecases.instance_history(ctx, ADMIN, instance.id).items
    assert events[0].payload["variables"] == {"units": ["A", "C"]}


def test_a_process_started_for_the_starters_own_unit(ctx):
    from tests.engine import diagrams as d
    usecases.deploy(ctx, ADMIN, {"c.bpmn": d.sequence(
        "complaint", [("user", "isi")], role="satuan_kerja:{unit}",
        startable_by="satuan_kerja:*", starterUnitVariable="unit")},
        {"simple.json": d.SIMPLE_FORM})
    for code in "AB":
        usecases.create_unit(ctx, ADMIN, code, f"Unit {code}")
    instance = usecases.start_instance(ctx, UNIT_USER, "complaint", {})
    assert instance.open_tasks[0].role == "satuan_kerja:A"
    with pytest.raises(Forbidden):
        usecases.start_instance(ctx, UNIT_USER, "complaint", {"unit": "B"})
    with pytest.raises(Forbidden):  # not a unit: may not start it at all
        usecases.start_instance(ctx, STAF, "complaint", {})
    with pytest.raises(InvalidInput) as caught:  # an admin has no unit: must name one
        usecases.start_instance(ctx, ADMIN, "complaint", {})
    assert "variables.unit" in caught.value.errors
    assert usecases.start_instance(ctx, ADMIN, "complaint", {"unit": "B"}).open_tasks[0].role \
        == "satuan_kerja:B"


def test_users_roles_must_exist(ctx):
    with pytest.raises(InvalidInput) as caught:
        usecases.create_user(ctx, ADMIN, "u", "password123", ["staf", "satuan_kerja:ZZ", "raja"])
    assert caught.value.errors["roles"] == ["unknown role 'satuan_kerja:ZZ'", "unknown role 'raja'"]
    usecases.create_unit(ctx, ADMIN, "ZZ", "Unit ZZ")
    user = usecases.create_user(ctx, ADMIN, "u", "password123", ["staf", "satuan_kerja:ZZ"])
    assert user.roles == ["satuan_kerja:ZZ", "staf"]
    assert usecases.authenticate(ctx, "u", "password123").username == "u"


def test_a_queue_of_several_roles_pages_in_one_order(ctx, mini_deployed):
    both = actor("rina", "staf", "kepala_bagian")
    ctx.clock.set(datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc), ticking=True)
    drafts = [start(ctx).open_tasks[0] for _ in range(4)]
    for draft in drafts[:2]:  # two checks (PT3H) now sit in kepala_bagian's queue
        usecases.claim_task(ctx, STAF, draft.id)
        usecases.complete_task(ctx, STAF, draft.id, {"title": "x"})
    everything = usecases.list_tasks(ctx, both, limit=500).items
    assert len(everything) == 4 and [t.element_id for t in everything] == [
        "check", "check", "draft", "draft"]  # PT3H checks are due before P1D drafts
    for sort in ("due_at", "-due_at", "created_at", "-created_at", "name"):
        full = usecases.list_tasks(ctx, both, sort=sort, limit=500)
        pages = [t for offset in range(0, 4, 2)
                 for t in usecases.list_tasks(ctx, both, sort=sort, limit=2, offset=offset).items]
        assert [t.id for t in pages] == [t.id for t in full.items] and full.total == 4, sort


def seed_open_tasks(ctx, like, count: int, state: str = "ready", assignee: str | None = None):
    """`count` more open tasks like the task view `like` (same instance and role), written
    in one INSERT: a long queue without running its instances. Every tenth has no due
    date; the rest fall due over four days, in another order than they were created."""
    base = like.created_at + timedelta(minutes=1)
    rows = [dict(id=str(uuid.uuid4()), process_instance_id=like.process_instance_id,
                 definition_key=like.definition_key, process_id=like.definition_key,
                 element_id=like.element_id, name=like.name, role=like.role,
                 assignee=assignee, state=state, form_key=like.form_key,
                 created_at=base + timedelta(seconds=37 * i),
                 due_at=None if i % 10 == 9 else base + timedelta(hours=(i * 7) % 96),
                 version=1) for i in range(count)]
    with ctx.db.write() as s:
        s.execute(insert(Task), rows)
    return rows


def by_due_date(tasks):
    """The default queue order, written out: due date (none last), creation, id."""
    return sorted(tasks, key=lambda t: (t["due_at"] is None, t["due_at"] or t["created_at"],
                                        t["created_at"], t["id"]))


def as_row(view):
    return {"id": view.id, "due_at": view.due_at, "created_at": view.created_at}


def test_a_long_queue_counts_to_the_cap_unless_asked_for_an_exact_count(ctx, mini_deployed):
    cap = usecases.TASK_COUNT_CAP
    [first] = start(ctx).open_tasks
    # staf1's queue: ready tasks, and tasks of the role claimed by staf2 (another branch)
    ready = seed_open_tasks(ctx, first, cap // 2 - 1)
    claimed = seed_open_tasks(ctx, first, cap // 2, state="claimed", assignee="staf2")
    at_cap = usecases.list_tasks(ctx, STAF)
    assert (at_cap.total, at_cap.total_exact) == (cap, True)

    ready += seed_open_tasks(ctx, first, 1)
    page = usecases.list_tasks(ctx, STAF)
    assert (page.total, page.total_exact) == (cap, False)  # more than the cap
    exact = usecases.list_tasks(ctx, STAF, count="exact")
    assert (exact.total, exact.total_exact) == (cap + 1, True)
    everything = by_due_date([as_row(first), *ready, *claimed])
    assert [t.id for t in page.items] == [t.id for t in exact.items] \
        == [t["id"] for t in everything[:50]]
    deep = usecases.list_tasks(ctx, STAF, limit=100, offset=cap - 50)
    assert [t.id for t in deep.items] == [t["id"] for t in everything[cap - 50:cap + 50]]
    assert deep.items[-1].due_at is None  # the undated come last
    # one branch under the cap is counted exactly
    claimed_only = usecases.list_tasks(ctx, STAF, state="claimed")
    assert (claimed_only.total, claimed_only.total_exact) == (cap // 2, True)
    latest = usecases.list_tasks(ctx, STAF, sort="-created_at", limit=3).items
    assert [t.id for t in latest] == [t["id"] for t in sorted(
        [*ready, *claimed], key=lambda t: (t["created_at"], t["id"]), reverse=True)[:3]]


def test_claim_and_complete_in_one_call(ctx, mini_deployed):
    instance = start(ctx)
    [task] = instance.open_tasks
    with pytest.raises(TaskNotClaimedByCaller, match="claim: true"):
        usecases.complete_task(ctx, STAF, task.id, {"title": "Konsep"})
    result = usecases.complete_task(ctx, STAF, task.id, {"title": "Konsep"}, claim=True)
    assert (result.task.state, result.task.assignee, result.task.completed_by) == (
        "completed", "staf1", "staf1")
    [check] = result.next_tasks
    usecases.claim_task(ctx, KABAG, check.id)
    kabag2 = actor("kabag2", "kepala_bagian")
    with pytest.raises(TaskAlreadyClaimed):  # someone else holds it: no taking it over
        usecases.complete_task(ctx, kabag2, check.id, {"decision": "approve"}, claim=True)
    [other] = start(ctx).open_tasks
    with pytest.raises(Forbidden):  # claiming still needs the role (admins see, not claim)
        usecases.complete_task(ctx, ADMIN, other.id, {"title": "Konsep"}, claim=True)
    history = [e.type for e in usecases.instance_history(ctx, ADMIN, instance.id).items]
    assert history[:5] == ["instance_started", "task_ready", "task_claimed", "task_completed",
                           "task_ready"]
    assert usecases.replay_instance(ctx, ADMIN, instance.id).consistent
