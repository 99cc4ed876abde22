"""Documents uploaded to an instance."""
from __future__ import annotations

import uuid
from typing import BinaryIO

from sqlalchemy import func, select

from engine.errors import (
    DocumentNotFound,
    DocumentQuotaExceeded,
    InstanceNotFound,
    InstanceNotRunning,
    InvalidInput,
)
from engine.persistence import event_log
from engine.persistence.tables import Document
from engine.usecases import policy
from engine.usecases.constraints import CONTENT_TYPE_MAX_LENGTH
from engine.usecases.context import EngineContext
from engine.usecases.shared import _document_view, _visible_instance
from engine.usecases.transaction import lock_instance_status
from engine.usecases.views import Actor, DocumentView

# ---------------------------------------------------------------- documents

def upload_document(ctx: EngineContext, actor: Actor, instance_id: str, filename: str,
                    content_type: str | None, stream: BinaryIO) -> DocumentView:
    """Store a document in a running instance (who may: engine/usecases/policy.py), within
    the instance's quota (LKJ_MAX_DOCUMENTS_PER_INSTANCE, LKJ_MAX_INSTANCE_DOCUMENT_BYTES).
    Checked before the upload is read and again, under the instance's lock, before it is
    recorded."""
    filename = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not filename:
        raise InvalidInput("The file needs a name", {"file": ["has no file name"]})
    if content_type and len(content_type) > CONTENT_TYPE_MAX_LENGTH:
        raise InvalidInput("The file's type is too long", {"file": [
            f"its Content-Type is longer than {CONTENT_TYPE_MAX_LENGTH} characters"]})
    with ctx.db.read() as s:
        instance = _visible_instance(s, actor, instance_id)
        _check_upload(ctx, s, actor, instance.id, instance.status, 0)
    sha, size = ctx.documents.save(stream, ctx.settings.max_document_bytes)
    with ctx.db.write() as s:
        status = lock_instance_status(ctx, s, instance_id)
        _check_upload(ctx, s, actor, instance_id, status, size)
        document = Document(id=str(uuid.uuid4()), process_instance_id=instance_id,
                            filename=filename[:255],
                            content_type=content_type or "application/octet-stream",
                            size=size, sha256=sha, uploaded_by=actor.username,
                            uploaded_at=ctx.clock.now())
        s.add(document)
        event_log.EventLog(s, instance_id).append(
            event_log.DOCUMENT_UPLOADED, actor.username, document.uploaded_at, payload={
                "document_id": document.id, "filename": document.filename, "sha256": sha,
                "size": size, "content_type": document.content_type})
        return _document_view(document)


def _check_upload(ctx: EngineContext, s, actor: Actor, instance_id: str, status: str,
                  size: int) -> None:
    if status != "running":
        raise InstanceNotRunning(f"documents are added only while the instance runs; it is "
                                 f"{status}")
    policy.check_upload(actor, bool(s.scalar(select(policy.works_in(actor, instance_id)))))
    count, total = s.execute(select(func.count(Document.id), func.coalesce(func.sum(
        Document.size), 0)).where(Document.process_instance_id == instance_id)).one()
    settings = ctx.settings
    if count >= settings.max_documents_per_instance:
        raise DocumentQuotaExceeded(f"the instance holds {count} documents, the most "
                                    f"allowed (LKJ_MAX_DOCUMENTS_PER_INSTANCE)")
    if total + size > settings.max_instance_document_bytes:
        raise DocumentQuotaExceeded(f"the instance's documents would take {total + size} "
                                    f"bytes, more than the {settings.max_instance_document_bytes}"
                                    f" allowed (LKJ_MAX_INSTANCE_DOCUMENT_BYTES)")


def get_document(ctx: EngineContext, actor: Actor, document_id: str) -> DocumentView:
    with ctx.db.read() as s:
        document = s.get(Document, document_id)
        if document is None:
            raise DocumentNotFound(f"no document '{document_id}'")
        try:
            _visible_instance(s, actor, document.process_instance_id)
        except InstanceNotFound:
            raise DocumentNotFound(f"no document '{document_id}'") from None
        return _document_view(document)


def document_path(ctx: EngineContext, actor: Actor, document_id: str):
    document = get_document(ctx, actor, document_id)
    return document, ctx.documents.path_for(document.sha256)
