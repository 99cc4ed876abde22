"""History, replay, audit bundles and completed-task listings, for auditors."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import func, select

from engine.audit import bundle
from engine.audit.replay import ReplayReport, StoredState, replay
from engine.errors import InstanceNotFound, InvalidInput
from engine.persistence import event_log, state_store
from engine.persistence.tables import (
    Document,
    Event,
    ProcessDefinition,
    ProcessInstance,
    Task,
)
from engine.usecases import policy
from engine.usecases.constraints import MAX_HISTORY_PAGE
from engine.usecases.context import EngineContext
from engine.usecases.shared import (
    OPEN_STATES,
    _check_choice,
    _check_paging,
    _document_view,
    _stored_files,
    _task_view,
)
from engine.usecases.views import Actor, Page

# ---------------------------------------------------------------- history (auditors)



def instance_history(ctx: EngineContext, actor: Actor, instance_id: str,
                     type_: str | None = None, limit: int = 100, offset: int = 0) -> Page:
    """The instance's events in order, read-only."""
    policy.require_auditor(actor)
    errors = {}
    _check_choice(errors, "type", type_, event_log.EVENT_TYPES, optional=True)
    _check_paging(limit, offset, errors, maximum=MAX_HISTORY_PAGE)
    if errors:
        raise InvalidInput("Invalid query", errors)
    with ctx.db.read() as s:
        if s.get(ProcessInstance, instance_id) is None:
            raise InstanceNotFound(f"no process instance '{instance_id}'")
        query = select(Event).where(Event.process_instance_id == instance_id)
        if type_:
            query = query.where(Event.type == type_)
        total = s.scalar(select(func.count()).select_from(query.subquery()))
        rows = s.scalars(query.order_by(Event.seq).limit(limit).offset(offset))
        return Page(items=[event_log.record_of(e) for e in rows], total=total)


def replay_instance(ctx: EngineContext, actor: Actor, instance_id: str) -> ReplayReport:
    """Re-execute the instance from its history and compare with what is stored."""
    policy.require_auditor(actor)
    with ctx.db.read() as s:
        instance, records, stored = _audit_material(s, instance_id)
        key = instance.definition.key
        definitions = {d.version: d for d in s.scalars(
            select(ProcessDefinition).where(ProcessDefinition.key == key))}

        def version(number: int):
            definition = definitions[number]
            return ctx.executable(definition), definition.user_tasks
        return replay(records, instance.id, version, stored)


def audit_bundle(ctx: EngineContext, actor: Actor, instance_id: str) -> bytes:
    """A self-contained archive an auditor verifies offline (`lkj audit verify`)."""
    policy.require_auditor(actor)
    with ctx.db.read() as s:
        instance, records, stored = _audit_material(s, instance_id)
        definition = instance.definition
        ran_on = {r.payload["definition_version"] for r in records
                  if r.type == event_log.INSTANCE_STARTED}
        ran_on |= {r.payload["to_version"] for r in records if r.type == event_log.INSTANCE_MIGRATED}
        versions = {d.version: _version_files(s, d) for d in s.scalars(
            select(ProcessDefinition).where(ProcessDefinition.key == definition.key,
                                            ProcessDefinition.version.in_(ran_on)))}
        documents = [_document_view(d) for d in s.scalars(select(Document).where(
            Document.process_instance_id == instance.id).order_by(Document.uploaded_at))]
        content = bundle.BundleContent(
            instance={"id": instance.id, "definition_key": definition.key,
                      "definition_version": definition.version, "status": instance.status},
            versions=versions, events=records,
            documents=[{**d.__dict__, "uploaded_at": event_log.iso(d.uploaded_at)}
                       for d in documents],
            stored=stored)
    return bundle.build_bundle(content, event_log.iso(ctx.clock.now()))


def completed_tasks(ctx: EngineContext, actor: Actor, role: str | None = None,
                    user: str | None = None, completed_from: datetime | None = None,
                    completed_to: datetime | None = None, limit: int = 100,
                    offset: int = 0) -> Page:
    """Completed tasks across instances, by role, by user and by time range."""
    policy.require_auditor(actor)
    errors = {}
    for name, value in (("from", completed_from), ("to", completed_to)):
        if value is not None and value.tzinfo is None:
            errors[name] = ["must carry a time zone offset"]
    _check_paging(limit, offset, errors)
    if errors:
        raise InvalidInput("Invalid query", errors)
    query = select(Task).where(Task.state == "completed")
    if role:
        query = query.where(Task.role == role)
    if user:
        query = query.where(Task.completed_by == user)
    if completed_from:
        query = query.where(Task.completed_at >= completed_from)
    if completed_to:
        query = query.where(Task.completed_at < completed_to)
    with ctx.db.read() as s:
        total = s.scalar(select(func.count()).select_from(query.subquery()))
        rows = s.scalars(query.order_by(Task.completed_at, Task.id).limit(limit).offset(offset))
        return Page(items=[_task_view(t) for t in rows], total=total)


def _version_files(s, definition: ProcessDefinition) -> bundle.VersionFiles:
    """A version's diagrams byte-for-byte, and its forms (the deployed files where kept)."""
    files = _stored_files(s, definition)
    return bundle.VersionFiles(
        content_hash=definition.content_hash,
        diagrams={name: files[name] for name in definition.files},
        forms={f"{key}.json": files.get(f"{key}.json") or json.dumps(schema).encode()
               for key, schema in definition.forms.items()})


def _audit_material(s, instance_id: str):
    instance = s.get(ProcessInstance, instance_id)
    if instance is None:
        raise InstanceNotFound(f"no process instance '{instance_id}'")
    records = [event_log.record_of(e) for e in s.scalars(
        select(Event).where(Event.process_instance_id == instance_id).order_by(Event.id))]
    open_rows = s.scalars(select(Task).where(Task.process_instance_id == instance_id,
                                             Task.state.in_(OPEN_STATES)))
    stored = StoredState(status=instance.status, state_json=state_store.state_json(s, instance),
                         open_tasks={t.id: (t.element_id, t.role) for t in open_rows})
    return instance, records, stored
