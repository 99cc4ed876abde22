"""The year's LKj archive (standard §K.4), built when the procedure's instance ended (its
publication phase), downloaded by auditors, admins and the head of bureau, verified offline
(`lkj audit verify-archive`; the format is engine/audit/archive.py)."""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from engine.audit import archive as lkj_archive
from engine.errors import ArchiveNotFound
from engine.persistence import event_log
from engine.persistence.tables import (
    Document,
    LkjArchive,
    ProcessInstance,
    ReportDraft,
    Task,
)
from engine.report import data as report_data
from engine.usecases import auditing, policy, publication, report
from engine.usecases.context import EngineContext
from engine.usecases.transaction import lock_instance_status
from engine.usecases.views import SYSTEM, Actor
from engine.worktime import sla

ZIP = "application/zip"


@dataclass(frozen=True)
class ArchiveView:
    year: int
    process_instance_id: str
    filename: str
    sha256: str
    size: int
    built_at: datetime


def archive_filename(year) -> str:
    return f"Arsip LKj {year}.zip"


def build_year_archive(ctx: EngineContext, job_id: int, owner: str, instance_id: str,
                       _task_id, payload: dict) -> None:
    """Gather the year's files, write the archive to the document store (outside any
    transaction), then record it with its event in the instance's history."""
    year = payload.get("year")
    with ctx.db.read() as s:
        instance = s.get(ProcessInstance, instance_id)
        documents = list(s.scalars(select(Document).where(
            Document.process_instance_id == instance_id)
            .order_by(Document.uploaded_at, Document.id)))
        drafts = {d.document_id: d for d in s.scalars(select(ReportDraft).where(
            ReportDraft.process_instance_id == instance_id))}
        final_id = publication.signed_document_id(s, instance_id)
        names = report.unit_names(s)
        tasks = list(s.scalars(select(Task).where(Task.process_instance_id == instance_id)))
        period = (instance.started_at, (instance.ended_at or ctx.clock.now())
                  + timedelta(microseconds=1))
    files = _document_files(ctx, documents, drafts, final_id)
    figures = report_data.report_data(year, payload.get("unit_data") or [], names,
                                      report.scale_of(ctx))
    steps = sla.sla_report(tasks, ctx.calendar, *period, report.PROCEDURE)
    files += [
        lkj_archive.ArchiveFile("data/indicators.csv", "data",
                                report_data.indicators_csv(figures).encode()),
        lkj_archive.ArchiveFile("data/budgets.csv", "data",
                                report_data.budgets_csv(figures).encode()),
        lkj_archive.ArchiveFile("sla/steps.csv", "sla", sla.to_csv(steps, "steps").encode()),
        lkj_archive.ArchiveFile("sla/breaches.csv", "sla",
                                sla.to_csv(steps, "breaches").encode()),
        lkj_archive.ArchiveFile(lkj_archive.BUNDLE, "audit_bundle",
                                auditing.audit_bundle(ctx, SYSTEM, instance_id)),
    ]
    now = ctx.clock.now()
    sha, size = _store(ctx, lambda out: lkj_archive.build_archive(
        out, year, instance_id, event_log.iso(now), files))
    with ctx.db.write() as s:
        lock_instance_status(ctx, s, instance_id)
        report.finish_job(ctx, s, job_id, owner, now)
        row = LkjArchive(process_instance_id=instance_id, year=year,
                         filename=archive_filename(year), sha256=sha, size=size, built_at=now)
        s.add(row)
        event_log.EventLog(s, instance_id).append(
            event_log.ARCHIVE_BUILT, "system", now, payload={
                "year": year, "filename": row.filename, "sha256": sha, "size": size,
                "files": len(files) + 1, "final_document_id": final_id})


def _document_files(ctx: EngineContext, documents, drafts: dict, final_id: str | None):
    files, drafted, other = [], 0, 0
    for document in documents:
        name = lkj_archive.safe_name(document.filename)
        if document.id == final_id:
            path, kind = f"final/{name}", "final"
        elif document.id in drafts:
            drafted += 1
            path, kind = f"drafts/{drafted:02d}-{name}", "draft"
        else:
            other += 1
            path, kind = f"documents/{other:03d}-{name}", "document"
        files.append(lkj_archive.ArchiveFile(
            path, kind, source=ctx.documents.path_for(document.sha256), sha256=document.sha256,
            document_id=document.id,
            data_sha256=drafts[document.id].data_sha256 if kind == "draft" else None))
    return files


def _store(ctx: EngineContext, write) -> tuple[str, int]:
    """Write through a temporary file (an archive may be large) into the document store."""
    ctx.documents.root.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=ctx.documents.root, prefix=".archive-")
    try:
        with os.fdopen(fd, "w+b") as out:
            write(out)
            size = out.tell()
            out.seek(0)
            return ctx.documents.save(out, size)
    finally:
        os.unlink(temporary)


def get_archive(ctx: EngineContext, actor: Actor, year: int) -> tuple[ArchiveView, Path]:
    """The newest archive of `year` and where its file is (who may: policy.py)."""
    policy.require_archive_reader(actor)
    with ctx.db.read() as s:
        row = s.scalar(select(LkjArchive).where(LkjArchive.year == year)
                       .order_by(LkjArchive.id.desc()).limit(1))
        if row is None:
            raise ArchiveNotFound(f"no archive of {year}: it is built when that year's LKj "
                                  f"procedure has ended")
        view = ArchiveView(year=row.year, process_instance_id=row.process_instance_id,
                           filename=row.filename, sha256=row.sha256, size=row.size,
                           built_at=row.built_at)
    return view, ctx.documents.path_for(view.sha256)
