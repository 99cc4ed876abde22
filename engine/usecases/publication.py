"""The signed LKj of a year, readable by everyone without signing in (standard §J.3) from the
moment Biro TI completed its website upload step; nothing else of the engine is public
(engine/usecases/policy.py)."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from engine.errors import PublicationNotFound
from engine.persistence import event_log
from engine.persistence.tables import Document, Event, LkjPublication
from engine.usecases.context import EngineContext
from engine.workflow import runtime

log = logging.getLogger("lkj.report")

UPLOAD_STEP = "upload_lkj"  # Biro TI puts the LKj on the ministry's website (after 14.c)
SIGNATURE_STEP = "sign_lkj"  # step 13: the minister signs; the signed file is the LKj


@dataclass(frozen=True)
class PublicationView:
    year: int
    filename: str
    content_type: str
    size: int
    sha256: str
    published_at: datetime
    url: str | None  # where Biro TI says it put the LKj on the ministry's website


def signed_document_id(s, instance_id: str) -> str | None:
    """The document the minister's (last) approving signature carried, if any."""
    payloads = s.scalars(select(Event.payload).where(
        Event.process_instance_id == instance_id, Event.type == event_log.TASK_COMPLETED,
        Event.element_id == SIGNATURE_STEP).order_by(Event.seq.desc()))
    for payload in payloads:
        data = json.loads(payload).get("data") or {}
        if data.get("decision") == "approve":
            return data.get("signed_document")
    return None


def publish(ctx: EngineContext, s, instance, wf, completed: event_log.Appended,
            log_: event_log.EventLog, now: datetime) -> None:
    """Within the transaction that completed the upload step: make the signed LKj public,
    recorded in the instance's history."""
    document = s.get(Document, signed_document_id(s, instance.id) or "")
    if document is None:
        log.warning("instance %s: the upload step is done but the minister's signature "
                    "carried no document; nothing is published", instance.id)
        return
    task = runtime.task_by_id(wf, completed.task_id)
    year = (task.data if task is not None else wf.data).get("year")
    url = (completed.payload.get("data") or {}).get("url")
    s.add(LkjPublication(process_instance_id=instance.id, year=year, document_id=document.id,
                         url=url, published_at=now))
    log_.append(event_log.LKJ_PUBLISHED, "system", now, element_id=completed.element_id,
                task_id=completed.task_id, payload={
                    "year": year, "document_id": document.id, "filename": document.filename,
                    "sha256": document.sha256, "url": url})


def _latest_per_year():
    latest = select(LkjPublication.year, func.max(LkjPublication.id).label("id")) \
        .group_by(LkjPublication.year).subquery()
    return (select(LkjPublication, Document)
            .join(latest, LkjPublication.id == latest.c.id)
            .join(Document, Document.id == LkjPublication.document_id))


def _view(publication: LkjPublication, document: Document) -> PublicationView:
    return PublicationView(year=publication.year, filename=document.filename,
                           content_type=document.content_type, size=document.size,
                           sha256=document.sha256, published_at=publication.published_at,
                           url=publication.url)


def published_years(ctx: EngineContext) -> list[PublicationView]:
    """Every year with a published LKj (its latest publication), newest year first. Public."""
    with ctx.db.read() as s:
        rows = s.execute(_latest_per_year().order_by(LkjPublication.year.desc())).all()
        return [_view(publication, document) for publication, document in rows]


def published_lkj(ctx: EngineContext, year: int) -> tuple[PublicationView, Path]:
    """The published LKj of `year` and where its file is. Public; PublicationNotFound before
    Biro TI's upload step."""
    with ctx.db.read() as s:
        row = s.execute(_latest_per_year().where(LkjPublication.year == year)).first()
        if row is None:
            raise PublicationNotFound(f"no LKj of {year} has been published")
        view = _view(*row)
    return view, ctx.documents.path_for(view.sha256)
