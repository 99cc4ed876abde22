"""The jobs that build the LKj's drafts and archive: a failing job is recorded and tried
again later, then given up after MAX_ATTEMPTS; a job whose lease went to another worker is
built once."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from engine import usecases
from engine.persistence.tables import ReportDraft, ReportJob
from engine.usecases import report, report_jobs
from tests.conftest import ADMIN, actor


def a_job(ctx, payload) -> int:
    instance = usecases.start_instance(ctx, actor("kb", "kepala_biro"), "mini_review", {})
    with ctx.db.write() as s:
        report.queue_job(s, report.DRAFT, instance.id, None, payload, ctx.clock.now())
    with ctx.db.read() as s:
        return s.scalar(select(ReportJob.id).order_by(ReportJob.id.desc()).limit(1))


def job(ctx, job_id) -> ReportJob:
    with ctx.db.read() as s:
        return s.get(ReportJob, job_id)


def test_a_failing_job_is_tried_again_later_then_given_up(ctx, mini_deployed):
    job_id = a_job(ctx, {"year": 2024, "unit_data": "not a list of units"})
    now = ctx.clock.now()
    ctx.clock.set(now)
    assert usecases.run_report_jobs(ctx, "worker-a") == {"retry": 1}
    failed = job(ctx, job_id)
    assert failed.state == "pending" and failed.attempts == 1 and failed.lease_owner is None
    assert "AttributeError" in failed.last_error and failed.next_attempt_at > now
    assert usecases.run_report_jobs(ctx, "worker-a") == {}  # not before its next attempt
    for attempt in range(2, report_jobs.MAX_ATTEMPTS + 1):
        ctx.clock.set(job(ctx, job_id).next_attempt_at)
        outcome = "failed" if attempt == report_jobs.MAX_ATTEMPTS else "retry"
        assert usecases.run_report_jobs(ctx, "worker-a") == {outcome: 1}
    assert job(ctx, job_id).state == "failed"
    with ctx.db.read() as s:
        assert s.scalars(select(ReportDraft)).all() == []


def test_a_job_taken_over_by_another_worker_is_built_once(ctx, mini_deployed):
    job_id = a_job(ctx, {"year": 2024, "unit_data": []})
    now = ctx.clock.now()
    ctx.clock.set(now)
    assert usecases.lease_report_jobs(ctx, "stalled", lease_s=60) == [job_id]
    assert usecases.lease_report_jobs(ctx, "other", lease_s=60) == []  # leased
    ctx.clock.set(now + timedelta(seconds=61))  # the stalled worker's lease ran out
    assert usecases.lease_report_jobs(ctx, "other", lease_s=60) == [job_id]
    assert usecases.run_report_job(ctx, job_id, "stalled") == "lost"
    assert usecases.run_report_job(ctx, job_id, "other") == "done"
    assert usecases.run_report_job(ctx, job_id, "other") == "lost"  # done already
    with ctx.db.read() as s:
        (draft,) = s.scalars(select(ReportDraft)).all()
    assert draft.year == 2024
    history = usecases.instance_history(ctx, ADMIN, draft.process_instance_id).items
    assert [e.type for e in history].count("draft_built") == 1

