"""The event log is append-only and tamper-evident, and replay proves the stored state."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from engine import usecases
from engine.audit.bundle import verify_bundle
from engine.errors import Forbidden
from tests.conftest import ADMIN, actor
from tests.engine import diagrams as d

KEPALA_BIRO = actor("kb", "kepala_biro")
STAF = actor("staf1", "staf")
KABAG = actor("kabag", "kepala_bagian")
AUDITOR = actor("aud", "auditor")


def drive_mini(ctx, revise: bool = True) -> str:
    """A mini_review cycle with a document, a revision and an unclaim; returns the id."""
    instance = usecases.start_instance(ctx, KEPALA_BIRO, "mini_review", {"year": 2026})
    [draft] = instance.open_tasks
    document = usecases.upload_document(ctx, STAF, instance.id, "konsep.pdf",
                                        "application/pdf", io.BytesIO(b"%PDF isi"))
    usecases.claim_task(ctx, STAF, draft.id)
    usecases.unclaim_task(ctx, STAF, draft.id)
    usecases.claim_task(ctx, STAF, draft.id)
    [check] = usecases.complete_task(ctx, STAF, draft.id,
                                     {"title": "v1", "attachment": document.id}).next_tasks
    if revise:
        usecases.claim_task(ctx, KABAG, check.id)
        [draft] = usecases.complete_task(ctx, KABAG, check.id,
                                         {"decision": "revise", "notes": "perbaiki"}).next_tasks
        usecases.claim_task(ctx, STAF, draft.id)
        [check] = usecases.complete_task(ctx, STAF, draft.id, {"title": "v2"}).next_tasks
    usecases.claim_task(ctx, KABAG, check.id)
    usecases.complete_task(ctx, KABAG, check.id, {"decision": "approve"})
    return instance.id


def test_history_records_who_did_what_in_order(ctx, mini_deployed):
    instance_id = drive_mini(ctx)
    events = usecases.instance_history(ctx, AUDITOR, instance_id).items
    assert [(e.type, e.element_id, e.actor) for e in events] == [
        ("instance_started", None, "kb"),
        ("task_ready", "draft", "system"),
        ("document_uploaded", None, "staf1"),
        ("task_claimed", "draft", "staf1"),
        ("task_unclaimed", "draft", "staf1"),
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
    assert [e.seq for e in events] == list(range(1, 18))
    assert events[9].payload["data"] == {"decision": "revise", "notes": "perbaiki"}
    assert events[2].payload["sha256"]
    filtered = usecases.instance_history(ctx, AUDITOR, instance_id, type_="task_completed")
    assert filtered.total == 4


def test_replay_of_an_honest_history_is_consistent(ctx, mini_deployed):
    instance_id = drive_mini(ctx)
    report = usecases.replay_instance(ctx, AUDITOR, instance_id)
    assert report.consistent and report.divergence is None
    assert report.events_replayed == 17


def test_replay_of_a_running_instance_is_consistent(ctx, mini_deployed):
    instance = usecases.start_instance(ctx, KEPALA_BIRO, "mini_review", {})
    usecases.claim_task(ctx, STAF, instance.open_tasks[0].id)
    report = usecases.replay_instance(ctx, AUDITOR, instance.id)
    assert report.consistent and report.events_replayed == 3


def test_only_auditors_and_admins_read_history(ctx, mini_deployed):
    instance_id = drive_mini(ctx, revise=False)
    for who in (STAF, KEPALA_BIRO):
        with pytest.raises(Forbidden):
            usecases.instance_history(ctx, who, instance_id)
        with pytest.raises(Forbidden):
            usecases.replay_instance(ctx, who, instance_id)
    assert usecases.instance_history(ctx, ADMIN, instance_id).total > 0


def test_the_database_refuses_to_edit_or_delete_history(ctx, mini_deployed):
    instance_id = drive_mini(ctx, revise=False)
    for statement in ("UPDATE event SET actor = 'x' WHERE seq = 1",
                      "DELETE FROM event WHERE seq = 1"):
        with pytest.raises(DatabaseError, match="append-only"):
            with ctx.db.engine.begin() as connection:
                connection.execute(text(statement + " AND process_instance_id = :i"),
                                   {"i": instance_id})


# ------------------------------------------------------------------ tampering

def tamper(ctx, *statements, **params):
    """Change the database behind the engine's back, as someone with database access could."""
    with ctx.db.engine.begin() as connection:
        if ctx.db.dialect == "postgresql":
            connection.execute(text("ALTER TABLE event DISABLE TRIGGER event_append_only"))
        else:
            connection.execute(text("DROP TRIGGER IF EXISTS event_no_update"))
            connection.execute(text("DROP TRIGGER IF EXISTS event_no_delete"))
        for statement in statements:
            connection.execute(text(statement), params)
        if ctx.db.dialect == "postgresql":
            connection.execute(text("ALTER TABLE event ENABLE TRIGGER event_append_only"))


def replayed(ctx, instance_id):
    report = usecases.replay_instance(ctx, AUDITOR, instance_id)
    assert not report.consistent
    return report.divergence


def test_an_edited_payload_is_detected_and_named(ctx, mini_deployed):
    instance_id = drive_mini(ctx)
    tamper(ctx, "UPDATE event SET payload = REPLACE(payload, 'perbaiki', 'bagus') "
                "WHERE process_instance_id = :i AND seq = 10", i=instance_id)
    divergence = replayed(ctx, instance_id)
    assert (divergence.seq, divergence.what) == (10, "hash chain")
    assert "edited" in divergence.found


def test_a_deleted_event_is_detected_and_named(ctx, mini_deployed):
    instance_id = drive_mini(ctx)
    tamper(ctx, "DELETE FROM event WHERE process_instance_id = :i AND seq = 5", i=instance_id)
    divergence = replayed(ctx, instance_id)
    assert divergence.what == "hash chain" and divergence.seq == 6
    assert "missing" in divergence.found


def test_two_swapped_events_are_detected(ctx, mini_deployed):
    instance_id = drive_mini(ctx)
    tamper(ctx, "UPDATE event SET seq = -1 WHERE process_instance_id = :i AND seq = 7",
           "UPDATE event SET seq = 7 WHERE process_instance_id = :i AND seq = 8",
           "UPDATE event SET seq = 8 WHERE process_instance_id = :i AND seq = -1", i=instance_id)
    divergence = replayed(ctx, instance_id)
    assert divergence.what == "hash chain" and divergence.seq in (7, 8)


def test_a_rehashed_forgery_is_caught_by_replay(ctx, mini_deployed):
    """Someone edits a decision and recomputes every hash after it: the chain holds, but the
    replay computes different data than the history claims."""
    from engine.persistence import event_log
    instance_id = drive_mini(ctx)
    records = usecases.instance_history(ctx, AUDITOR, instance_id).items
    forged, head = [], event_log.GENESIS
    for record in records:
        payload = record.payload
        if record.seq == 10:
            payload = {**payload, "data": {"decision": "approve"}}
        digest = event_log.event_hash(record.instance_id, record.seq, record.occurred_at,
                                    record.actor, record.type, record.element_id, record.task_id,
                                    event_log.canonical_json(payload), head)
        forged.append((record.seq, event_log.canonical_json(payload), head, digest))
        head = digest
    tamper(ctx, *[f"UPDATE event SET payload = :p{n}, prev_hash = :h{n}, hash = :d{n} "
                  f"WHERE process_instance_id = :i AND seq = {seq}"
                  for n, (seq, _, _, _) in enumerate(forged)],
           i=instance_id, **{k: v for n, (_, p, h, dg) in enumerate(forged)
                             for k, v in ((f"p{n}", p), (f"h{n}", h), (f"d{n}", dg))})
    divergence = replayed(ctx, instance_id)
    assert divergence.seq == 10 and divergence.what == "instance data after the event"


def test_a_changed_stored_state_is_detected(ctx, mini_deployed):
    instance = usecases.start_instance(ctx, KEPALA_BIRO, "mini_review", {"year": 2026})
    # the process data lives in the task rows of the state (engine/persistence/state_store.py)
    tamper(ctx, "UPDATE instance_task_state SET body = REPLACE(body, '2026', '2025') "
                "WHERE process_instance_id = :i", i=instance.id)
    ctx.forget_workflow(instance.id)  # as another process would: read the database
    divergence = replayed(ctx, instance.id)
    assert (divergence.seq, divergence.what) == (None, "stored instance state")


def test_a_changed_task_row_is_detected(ctx, mini_deployed):
    instance = usecases.start_instance(ctx, KEPALA_BIRO, "mini_review", {"year": 2026})
    tamper(ctx, "UPDATE task SET role = 'kepala_biro' WHERE process_instance_id = :i",
           i=instance.id)
    divergence = replayed(ctx, instance.id)
    assert divergence.what == "stored open task rows"
    assert list(divergence.found.values()) == [("draft", "kepala_biro")]


def test_scripts_that_read_the_clock_replay_consistently(ctx):
    usecases.deploy(ctx, ADMIN, {"s.bpmn": d.sequence("stamped", [
        ("user", "a"), ("script", "stamp = datetime.now().isoformat()\nday = date.today().isoformat()"),
        ("user", "b")])}, {"simple.json": d.SIMPLE_FORM})
    instance = usecases.start_instance(ctx, ADMIN, "stamped", {})
    usecases.claim_task(ctx, STAF, instance.open_tasks[0].id)
    usecases.complete_task(ctx, STAF, instance.open_tasks[0].id, {"value": "x"})
    assert usecases.replay_instance(ctx, AUDITOR, instance.id).consistent


# ------------------------------------------------------------------ audit bundle

def test_the_audit_bundle_verifies_offline(ctx, mini_deployed):
    instance_id = drive_mini(ctx)
    bundle = usecases.audit_bundle(ctx, AUDITOR, instance_id)
    report = verify_bundle(bundle)
    assert report.valid, report.problems
    assert report.replay.consistent and report.replay.events_replayed == 17
    names = zipfile.ZipFile(io.BytesIO(bundle)).namelist()
    assert "versions/1/diagrams/review.bpmn" in names and "versions/1/forms/mini_check.json" in names
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(bundle)).read("manifest.json"))
    assert manifest["instance"]["id"] == instance_id


def rewrite(bundle: bytes, name: str, change) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(bundle))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for member in source.namelist():
            data = source.read(member)
            target.writestr(member, change(data) if member == name else data)
    return out.getvalue()


def test_a_tampered_bundle_names_the_file(ctx, mini_deployed):
    bundle = usecases.audit_bundle(ctx, AUDITOR, drive_mini(ctx))
    edited = rewrite(bundle, "versions/1/diagrams/review.bpmn",
                     lambda b: b.replace(b"Menyusun", b"Menulis"))
    report = verify_bundle(edited)
    assert not report.valid
    assert report.problems == ["versions/1/diagrams/review.bpmn: content does not match its "
                               "sha256 in the manifest"]


def test_a_bundle_with_a_consistently_forged_diagram_is_refused(ctx, mini_deployed):
    """Edit a diagram and fix the manifest: the content hash of the deployed version tells."""
    import hashlib
    bundle = usecases.audit_bundle(ctx, AUDITOR, drive_mini(ctx))
    forged = rewrite(bundle, "versions/1/diagrams/review.bpmn",
                     lambda b: b.replace(b"Menyusun", b"Menulis"))
    new_hash = hashlib.sha256(zipfile.ZipFile(io.BytesIO(forged)).read(
        "versions/1/diagrams/review.bpmn")).hexdigest()

    def fix_manifest(data):
        manifest = json.loads(data)
        manifest["files"]["versions/1/diagrams/review.bpmn"] = new_hash
        return json.dumps(manifest).encode()
    report = verify_bundle(rewrite(forged, "manifest.json", fix_manifest))
    assert not report.valid
    assert "content hash differs" in report.problems[0]


def test_a_history_written_under_a_non_utc_clock_still_verifies(ctx, mini_deployed):
    from datetime import datetime, timedelta, timezone
    ctx.clock.set(datetime(2026, 3, 3, 9, 0, tzinfo=timezone(timedelta(hours=7))), ticking=True)
    instance_id = drive_mini(ctx, revise=False)
    report = usecases.replay_instance(ctx, AUDITOR, instance_id)
    assert report.consistent, report.divergence
