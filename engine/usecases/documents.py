"""Documents uploaded to an instance."""
from __future__ import annotations

import uuid
from typing import BinaryIO

from engine.errors import DocumentNotFound, InstanceNotFound, InvalidInput
from engine.persistence import event_log
from engine.persistence.tables import Document
from engine.usecases.context import EngineContext
from engine.usecases.shared import _document_view, _lock_instance, _visible_instance
from engine.usecases.views import Actor, DocumentView

# ---------------------------------------------------------------- documents

def upload_document(ctx: EngineContext, actor: Actor, instance_id: str, filename: str,
                    content_type: str | None, stream: BinaryIO) -> DocumentView:
    with ctx.db.read() as s:
        _visible_instance(s, actor, instance_id)
    filename = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not filename:
        raise InvalidInput("The file needs a name", {"file": ["has no file name"]})
    sha, size = ctx.documents.save(stream, ctx.settings.max_document_bytes)
    with ctx.db.write() as s:
        _lock_instance(ctx, s, instance_id)
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
