"""Deadlines in the diagram: timers fire on the engine's clock, exactly once, through leases;
reminders and escalations reach the outbox with the change that causes them."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from engine import usecases
from engine.persistence.tables import OutboxMessage
from tests.conftest import ADMIN, actor
from tests.engine import diagrams as d

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # Monday 08:00 in Jakarta
STAF = actor("staf1", "staf")
AUDITOR = actor("aud", "auditor")


def start_with_deadline(ctx):
    usecases.deploy(ctx, ADMIN, {"t.bpmn": d.with_deadline("deadline", "PT1H", "PT2H")},
                    {"simple.json": d.SIMPLE_FORM})
    usecases.create_user(ctx, ADMIN, "staf1", "password123", ["staf"],
                         email="staf1@setneg.test")
    usecases.create_user(ctx, ADMIN, "kabag", "password123", ["kepala_bagian"])
    usecases.update_user(ctx, ADMIN, "kabag", email="kabag@setneg.test")
    ctx.clock.set(T0)
    return usecases.start_instance(ctx, ADMIN, "deadline", {})


def outbox(ctx):
    with ctx.db.read() as s:
        return [(m.kind, m.recipient) for m in s.scalars(select(OutboxMessage)
                                                          .order_by(OutboxMessage.id))]


def fire(ctx, at, owner="worker-1"):
    ctx.clock.set(at)
    fired = []
    for instance_id in usecases.lease_due_timers(ctx, owner):
        fired += usecases.fire_timers(ctx, instance_id, owner)
    return fired


def test_reminder_then_escalation_fire_once_each_at_their_time(ctx):
    instance = start_with_deadline(ctx)
    assert outbox(ctx) == [("task_assigned", "staf1@setneg.test")]
    assert fire(ctx, T0 + timedelta(minutes=59)) == []
    assert fire(ctx, T0 + timedelta(minutes=61)) == ["remind_timer"]
    assert fire(ctx, T0 + timedelta(minutes=62)) == []  # nothing twice
    assert outbox(ctx)[1:] == [("reminder", "staf1@setneg.test")]
    assert fire(ctx, T0 + timedelta(hours=2, minutes=1)) == ["escalate_timer"]
    assert outbox(ctx)[2:] == [("escalation", "kabag@setneg.test")]
    tasks = usecases.get_instance(ctx, ADMIN, instance.id).open_tasks
    assert sorted((t.element_id, t.role) for t in tasks) == [
        ("follow_up", "kepala_bagian"), ("submit", "staf")]
    assert fire(ctx, T0 + timedelta(days=3)) == []
    report = usecases.replay_instance(ctx, AUDITOR, instance.id)
    assert report.consistent, report.divergence


def test_a_lease_held_by_another_worker_is_skipped_until_it_expires(ctx):
    start_with_deadline(ctx)
    ctx.clock.set(T0 + timedelta(minutes=61))
    [leased] = usecases.lease_due_timers(ctx, "dead-worker", lease_s=60)
    # the worker that took it dies without firing: nobody else may take it while it holds
    assert fire(ctx, T0 + timedelta(minutes=61, seconds=30), owner="worker-2") == []
    assert usecases.fire_timers(ctx, leased, "worker-2") == []
    # once the lease has run out, another worker takes over and the timer fires once
    assert fire(ctx, T0 + timedelta(minutes=62, seconds=1), owner="worker-2") == ["remind_timer"]
    assert usecases.fire_timers(ctx, leased, "dead-worker") == []  # too late: lease is gone
    assert [kind for kind, _ in outbox(ctx)].count("reminder") == 1


def test_completing_in_time_cancels_the_deadline(ctx):
    instance = start_with_deadline(ctx)
    [task] = instance.open_tasks
    ctx.clock.set(T0 + timedelta(minutes=30))
    usecases.claim_task(ctx, STAF, task.id)
    usecases.complete_task(ctx, STAF, task.id, {"value": "x"})
    assert fire(ctx, T0 + timedelta(hours=5)) == []
    assert [kind for kind, _ in outbox(ctx)] == ["task_assigned"]
    assert usecases.get_instance(ctx, ADMIN, instance.id).status == "completed"


def test_a_revision_notifies_the_drafter_as_returned(ctx, mini_deployed):
    usecases.create_user(ctx, ADMIN, "staf1", "password123", ["staf"],
                         email="staf1@setneg.test")
    kabag = actor("kabag", "kepala_bagian")
    [draft] = usecases.start_instance(ctx, ADMIN, "mini_review", {}).open_tasks
    usecases.claim_task(ctx, STAF, draft.id)
    [check] = usecases.complete_task(ctx, STAF, draft.id, {"title": "x"}).next_tasks
    usecases.claim_task(ctx, kabag, check.id)
    usecases.complete_task(ctx, kabag, check.id, {"decision": "revise", "notes": "ulang"})
    assert [kind for kind, _ in outbox(ctx)] == ["task_assigned", "returned_for_revision"]


def test_a_worker_without_smtp_leaves_e_mails_in_the_outbox(ctx, mini_deployed):
    from engine.messaging import outbox
    usecases.create_user(ctx, ADMIN, "staf1", "password123", ["staf"],
                         email="staf1@setneg.test")
    usecases.start_instance(ctx, ADMIN, "mini_review", {})
    assert outbox.lease_messages(ctx, "webhook-only", channels=("webhook",)) == []
    [message] = outbox.lease_messages(ctx, "full-worker")
    assert (message.kind, message.channel, message.recipient) == (
        "task_assigned", "email", "staf1@setneg.test")
