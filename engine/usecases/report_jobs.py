"""When the LKj document's parts are built: reacting to what an instance transaction wrote,
and the jobs the workers run.

`after_write` runs inside the instance transaction (transaction.write_state), after its
events, and looks at what they say:
- a step-6 task of the drafting phase became ready and the units' data it sees differs from
  the data of the instance's last draft job (its fingerprint): a draft job is queued with
  that data (report.py builds it);
- Biro TI completed the website upload: the signed LKj is published at once (publication.py);
- the procedure's instance completed, i.e. its publication phase ended: an archive job is
  queued (archives.py).

Jobs are rows written in that same transaction, so none is lost and none exists for a change
that was rolled back; workers (`lkj worker`, or `run_report_jobs`) lease and run them outside
any transaction, and each writes its result under the instance's lock with its event in the
instance's history. Why not in the request that caused them: a draft takes about half a
second to build for three units (plus about 1.5 s to load python-docx and matplotlib the
first time) and grows with the units, the archive grows with every document of the year (up
to LKJ_MAX_INSTANCE_DOCUMENT_BYTES); neither should hold up a user's completion or, worse,
the instance's lock (on SQLite, the whole database's).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from engine.persistence import event_log
from engine.persistence.tables import ReportJob
from engine.report import data as report_data
from engine.usecases import archives, publication, report
from engine.usecases.context import EngineContext
from engine.workflow import runtime

log = logging.getLogger("lkj.report")

MAX_ATTEMPTS = 5
BUILDERS = {report.DRAFT: report.build_draft_document, report.ARCHIVE: archives.build_year_archive}


# ---------------------------------------------------------------- reacting to a write

def after_write(ctx: EngineContext, s, instance, wf, log_: event_log.EventLog,
                now: datetime) -> None:
    """Queue drafts and the archive, publish the signed LKj (see the module docstring)."""
    if ctx.definition(s, instance.definition_id).key != report.PROCEDURE:
        return
    for event in list(log_.appended):
        if event.type == event_log.TASK_READY and event.element_id in report.DRAFT_STEPS \
                and event.payload.get("process_id") == report.DRAFTING:
            _queue_draft(s, instance.id, wf, event.task_id, now)
        elif event.type == event_log.TASK_COMPLETED \
                and event.element_id == publication.UPLOAD_STEP:
            publication.publish(ctx, s, instance, wf, event, log_, now)
        elif event.type == event_log.INSTANCE_COMPLETED:
            report.queue_job(s, report.ARCHIVE, instance.id, None, {
                "year": wf.data.get("year"), "unit_data": wf.data.get("unit_data") or []}, now)


def _queue_draft(s, instance_id: str, wf, task_id: str, now: datetime) -> None:
    task = runtime.task_by_id(wf, task_id)
    unit_data = list(task.data.get("unit_data") or [])
    fingerprint = report_data.fingerprint(unit_data)
    last = s.scalar(select(ReportJob).where(ReportJob.process_instance_id == instance_id,
                                            ReportJob.kind == report.DRAFT)
                    .order_by(ReportJob.id.desc()).limit(1))
    if last is not None and last.payload.get("fingerprint") == fingerprint:
        return  # a draft of this very data is built, or on its way
    report.queue_job(s, report.DRAFT, instance_id, task_id, {
        "year": task.data.get("year"), "unit_data": unit_data, "fingerprint": fingerprint},
        now)


# ---------------------------------------------------------------- running the jobs (workers)

def lease_report_jobs(ctx: EngineContext, owner: str, limit: int = 5,
                      lease_s: float = 300) -> list[int]:
    """Take up to `limit` due jobs for this worker until `lease_s` from now; a lease that ran
    out (its worker died) is taken again. Several workers skip each other's rows."""
    now = ctx.clock.now()
    with ctx.db.write() as s:
        query = (select(ReportJob).where(
            ReportJob.state == "pending", ReportJob.next_attempt_at <= now,
            or_(ReportJob.lease_until.is_(None), ReportJob.lease_until < now))
            .order_by(ReportJob.next_attempt_at, ReportJob.id).limit(limit))
        if ctx.db.dialect != "sqlite":
            query = query.with_for_update(skip_locked=True)
        jobs = list(s.scalars(query))
        for job in jobs:
            job.lease_owner, job.lease_until = owner, now + timedelta(seconds=lease_s)
        return [job.id for job in jobs]


def run_report_job(ctx: EngineContext, job_id: int, owner: str) -> str:
    """Build what the leased job asks for and record it: "done", "retry" (after an error,
    later, with back-off), "failed" (after MAX_ATTEMPTS errors) or "lost" (the lease is not
    this worker's any more)."""
    with ctx.db.read() as s:
        job = s.get(ReportJob, job_id)
        if job is None or job.lease_owner != owner or job.state != "pending":
            return "lost"
        kind, instance_id, task_id, payload = (job.kind, job.process_instance_id, job.task_id,
                                               dict(job.payload))
    try:
        BUILDERS[kind](ctx, job_id, owner, instance_id, task_id, payload)
        return "done"
    except report.LeaseLost:
        return "lost"
    except Exception as exc:  # recorded on the job and tried again; the round goes on
        log.exception("report job %s (%s of instance %s) failed", job_id, kind, instance_id)
        error = f"{type(exc).__name__}: {exc}"
    with ctx.db.write() as s:
        job = s.get(ReportJob, job_id)
        if job is None or job.lease_owner != owner or job.state != "pending":
            return "lost"
        job.attempts += 1
        job.lease_owner, job.lease_until, job.last_error = None, None, error
        if job.attempts >= MAX_ATTEMPTS:
            job.state = "failed"
            return "failed"
        job.next_attempt_at = ctx.clock.now() + timedelta(
            seconds=min(3600, 10 * 2 ** job.attempts))
        return "retry"


def run_report_jobs(ctx: EngineContext, owner: str = "report-jobs", limit: int = 5,
                    lease_s: float = 300) -> dict[str, int]:
    """One round of what a worker does for the report: lease the due jobs, run each;
    returns how many ended how ({"done": 2, ...})."""
    outcomes: dict[str, int] = {}
    for job_id in lease_report_jobs(ctx, owner, limit, lease_s):
        outcome = run_report_job(ctx, job_id, owner)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes
