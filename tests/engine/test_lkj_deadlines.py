"""The standard's deadline for the units' data (step 4: at the latest one week after the
request) in the real diagrams: a reminder to each late unit, then an escalation to
kepala_bagian, fired by the timers through the engine."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from engine import usecases
from engine.persistence.tables import OutboxMessage
from tests.conftest import ADMIN, actor
from tests.engine.lkj_flow import deploy_procedure, start_lkj, work

T0 = datetime(2026, 2, 2, 1, 0, tzinfo=timezone.utc)


def fire_all(ctx, at):
    ctx.clock.set(at)
    fired = []
    for instance_id in usecases.lease_due_timers(ctx, "worker"):
        fired += usecases.fire_timers(ctx, instance_id, "worker")
    return sorted(fired)


def test_late_units_are_reminded_then_escalated(ctx):
    deploy_procedure(ctx)
    for code in ("DEP1", "DEP2", "DEP3"):
        usecases.create_user(ctx, ADMIN, f"unit-{code}", "password123", [f"satuan_kerja:{code}"],
                             email=f"{code.lower()}@setneg.test")
    usecases.create_user(ctx, ADMIN, "kabag", "password123", ["kepala_bagian"],
                         email="kabag@setneg.test")
    ctx.clock.set(T0)
    instance_id, answers = start_lkj(ctx)
    # up to the moment the units are asked for their data
    work(ctx, instance_id, answers, stop=lambda t: t.element_id == "submit_performance_data")
    request_time = ctx.clock.now()
    # DEP1 answers in time; DEP2 and DEP3 do not
    [dep1] = [t for t in usecases.list_tasks(ctx, ADMIN, process_instance_id=instance_id).items
              if t.role == "satuan_kerja:DEP1"]
    ctx.clock.set(request_time + timedelta(days=1))
    unit = actor("unit-DEP1", "satuan_kerja:DEP1")
    usecases.claim_task(ctx, unit, dep1.id)
    usecases.complete_task(ctx, unit, dep1.id, answers.for_form(
        "performance_data", "submit_performance_data", {"unit": "DEP1"}))

    assert fire_all(ctx, request_time + timedelta(days=4, hours=23)) == []
    assert fire_all(ctx, request_time + timedelta(days=5, minutes=1)) == ["reminder_timer"] * 2
    assert fire_all(ctx, request_time + timedelta(days=7, minutes=1)) == ["deadline_timer"] * 2
    assert fire_all(ctx, request_time + timedelta(days=9)) == []

    with ctx.db.read() as s:
        sent = sorted((m.kind, m.recipient) for m in s.scalars(select(OutboxMessage))
                      if m.kind in ("reminder", "escalation"))
    assert sent == [("escalation", "kabag@setneg.test"), ("escalation", "kabag@setneg.test"),
                    ("reminder", "dep2@setneg.test"), ("reminder", "dep3@setneg.test")]
    follow_ups = [t for t in usecases.list_tasks(ctx, ADMIN, process_instance_id=instance_id).items
                  if t.element_id == "follow_up_late_data"]
    assert [t.role for t in follow_ups] == ["kepala_bagian", "kepala_bagian"]
    report = usecases.replay_instance(ctx, actor("aud", "auditor"), instance_id)
    assert report.consistent, report.divergence
