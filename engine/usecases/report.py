"""The LKj document the procedure produces, as the engine assembles it: the initial draft
(step 6) built from the units' verified data, a new one whenever that data changed, each a
document of the instance with the fingerprint of the data it was built from. Also what the
drafts, the archive (archives.py) and the publication (publication.py) share. When they are
built: report_jobs.py.
"""
from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from engine.persistence import event_log
from engine.persistence.tables import Document, ReportDraft, ReportJob, Unit
from engine.report import data as report_data
from engine.report.achievement import DEFAULT_SCALE_FILE, Scale
from engine.usecases.context import EngineContext
from engine.usecases.shared import _document_view, _visible_task
from engine.usecases.transaction import lock_instance_status
from engine.usecases.views import Actor, DocumentView

PROCEDURE = "lkj_preparation"  # the yearly LKj process
DRAFTING = "lkj_drafting"  # its step 6-9 phase
# Step 6 (the initial draft): when one of these tasks becomes ready, the draft must be there.
DRAFT_STEPS = frozenset({"study_regulations", "compose_outline", "write_initial_draft",
                         "discuss_initial_draft", "finish_initial_draft"})
DRAFT = "draft"
ARCHIVE = "archive"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def draft_filename(year) -> str:
    return f"Draf awal LKj {year}.docx"


def scale_of(ctx: EngineContext) -> Scale:
    """The achievement categories (LKJ_ACHIEVEMENT_SCALE, or the default file)."""
    return Scale.from_file(ctx.settings.achievement_scale or DEFAULT_SCALE_FILE)


def queue_job(s, kind: str, instance_id: str, task_id: str | None, payload: dict,
              now: datetime) -> None:
    """A job for the workers, in the caller's transaction (report_jobs.py runs it)."""
    s.add(ReportJob(kind=kind, process_instance_id=instance_id, task_id=task_id,
                    payload=payload, state="pending", attempts=0, created_at=now,
                    next_attempt_at=now))


class LeaseLost(Exception):
    """Another worker took the job over (this one stalled past its lease)."""


def finish_job(ctx: EngineContext, s, job_id: int, owner: str, now: datetime) -> None:
    """Mark the job done, in the transaction that records its result; refuses (rolls that
    transaction back) when the lease went to another worker."""
    job = s.get(ReportJob, job_id)
    if job is None or job.lease_owner != owner or job.state != "pending":
        raise LeaseLost
    job.state, job.done_at, job.lease_owner, job.lease_until = "done", now, None, None


def unit_names(s) -> dict[str, str]:
    return dict(s.execute(select(Unit.code, Unit.name)).all())


# ---------------------------------------------------------------- drafts

@dataclass(frozen=True)
class DraftView:
    """A draft the engine assembled: its document, and the fingerprint of the data."""
    document: DocumentView
    year: int
    data_sha256: str
    task_id: str | None  # the step-6 task that became ready when it was queued
    built_at: datetime
    latest: bool  # the newest draft of its instance


def build_draft_document(ctx: EngineContext, job_id: int, owner: str, instance_id: str,
                         task_id: str | None, payload: dict) -> None:
    """Assemble the draft (outside any transaction), store it, then record it as a
    document of the instance with its fingerprint and its event."""
    from engine.report.draft import (
        build_draft,  # python-docx and matplotlib: workers only
    )
    with ctx.db.read() as s:
        names = unit_names(s)
    now = ctx.clock.now()
    year = payload.get("year")
    figures = report_data.report_data(year, payload.get("unit_data") or [], names,
                                      scale_of(ctx))
    content = build_draft(figures, now, ctx.settings.timezone)
    sha, size = ctx.documents.save(io.BytesIO(content), len(content))
    with ctx.db.write() as s:
        lock_instance_status(ctx, s, instance_id)
        finish_job(ctx, s, job_id, owner, now)
        document = Document(id=str(uuid.uuid4()), process_instance_id=instance_id,
                            filename=draft_filename(year), content_type=DOCX, size=size,
                            sha256=sha, uploaded_by="system", uploaded_at=now)
        s.add(document)
        s.add(ReportDraft(document_id=document.id, process_instance_id=instance_id,
                          task_id=task_id, year=year, data_sha256=figures.fingerprint,
                          built_at=now))
        event_log.EventLog(s, instance_id).append(
            event_log.DRAFT_BUILT, "system", now, task_id=task_id, payload={
                "document_id": document.id, "filename": document.filename, "sha256": sha,
                "size": size, "content_type": DOCX, "data_sha256": figures.fingerprint,
                "year": year})


def list_drafts(ctx: EngineContext, actor: Actor, task_id: str) -> list[DraftView]:
    """The drafts the engine assembled for the task's instance, newest first (who may: those
    who see the task; documents are read with their instance)."""
    with ctx.db.read() as s:
        task = _visible_task(s, actor, task_id)
        rows = s.execute(select(ReportDraft, Document).join(
            Document, Document.id == ReportDraft.document_id).where(
            ReportDraft.process_instance_id == task.process_instance_id)
            .order_by(ReportDraft.id.desc())).all()
        return [DraftView(document=_document_view(document), year=draft.year,
                          data_sha256=draft.data_sha256, task_id=draft.task_id,
                          built_at=draft.built_at, latest=index == 0)
                for index, (draft, document) in enumerate(rows)]
