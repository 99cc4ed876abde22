"""History read from the event log across instances, for auditors: the elements each
instance ran, what users did, and the times instances waited in error. Each is one query on
the log, read in batches in the log's order, so a page never loads every instance's events.

What the log records, and so what these give: a user task from its `task_ready` to its
`task_completed` or `task_cancelled`; a service task from when it began to wait (kept in
its worker's report) to that report (`external_task_completed`, or `external_task_bpmn_error`
when a boundary event caught it: cancelled); a timer's or a message's or a signal's catch
when it fired (`timers_fired`, `event_received`: when its wait began is not recorded).
Start and end events, gateways, script tasks and sub-processes leave no event of their own.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from engine.errors import InvalidInput
from engine.persistence import event_log
from engine.persistence.tables import Event, ProcessDefinition, ProcessInstance
from engine.usecases import policy
from engine.usecases.constraints import MAX_HISTORY_PAGE
from engine.usecases.context import EngineContext
from engine.usecases.shared import _check_paging
from engine.usecases.views import (
    Actor,
    HistoricActivityView,
    IncidentEpisodeView,
    OperationView,
    Page,
)
from engine.workflow import activity_kinds

_TASK_ENDS = (event_log.TASK_COMPLETED, event_log.TASK_CANCELLED)
_WORKER_ENDS = (event_log.EXTERNAL_TASK_COMPLETED, event_log.EXTERNAL_TASK_BPMN_ERROR)
_CATCHES = (event_log.TIMERS_FIRED, event_log.EVENT_RECEIVED)
_ACTIVITY_EVENTS = (event_log.TASK_READY, *_WORKER_ENDS, *_CATCHES)
# What users do to instances and their tasks (the rest of the log is the engine's doing).
OPERATION_EVENTS = (event_log.TASK_CLAIMED, event_log.TASK_REASSIGNED,
                    event_log.TASK_COMPLETED, event_log.INSTANCE_SUSPENDED,
                    event_log.INSTANCE_RESUMED, event_log.INSTANCE_TERMINATED,
                    event_log.INSTANCE_RETRIED, event_log.INSTANCE_MIGRATED)
_INCIDENT_ENDS = {event_log.INSTANCE_RETRIED: "resolved",
                  event_log.INSTANCE_TERMINATED: "deleted"}
_BATCH = 200
_COLUMNS = (Event.id, Event.process_instance_id, Event.seq, Event.occurred_at, Event.actor,
            Event.type, Event.element_id, Event.task_id, Event.payload,
            ProcessDefinition.key, ProcessDefinition.version,
            ProcessDefinition.id.label("definition_id"))


def _with_definition(query, definition_key: str | None, instance_id: str | None):
    query = query.join(ProcessInstance, ProcessInstance.id == Event.process_instance_id) \
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
    if instance_id is not None:
        query = query.where(Event.process_instance_id == instance_id)
    if definition_key is not None:
        query = query.where(ProcessDefinition.key == definition_key)
    return query


def _check(limit: int, offset: int, **times: datetime | None) -> None:
    errors = {}
    _check_paging(limit, offset, errors, maximum=MAX_HISTORY_PAGE)
    for name, value in times.items():
        if value is not None and value.tzinfo is None:
            errors[name] = ["must carry a time zone offset"]
    if errors:
        raise InvalidInput("Invalid query", errors)


def _batches(s, query, descending: bool) -> Iterator[list]:
    """The query's rows in the log's time order, a batch at a time (keyset paging)."""
    order = (Event.occurred_at.desc(), Event.id.desc()) if descending \
        else (Event.occurred_at, Event.id)
    last = None
    while True:
        page = query
        if last is not None:
            at, key = last
            page = page.where(or_(Event.occurred_at < at, and_(
                Event.occurred_at == at, Event.id < key))) if descending else \
                page.where(or_(Event.occurred_at > at, and_(Event.occurred_at == at,
                                                              Event.id > key)))
        rows = s.execute(page.order_by(*order).limit(_BATCH)).all()
        if not rows:
            return
        yield rows
        last = (rows[-1].occurred_at, rows[-1].id)


# ---------------------------------------------------------------- activities

class _ActivityQuery:
    def __init__(self, ctx, instance_id, definition_key, activity_id, activity_type,
                 finished, started_after, started_before, descending):
        self.ctx = ctx
        self.instance_id, self.definition_key = instance_id, definition_key
        self.activity_id, self.activity_type = activity_id, activity_type
        self.finished, self.descending = finished, descending
        self.started_after, self.started_before = started_after, started_before
        self.elements: dict[int, dict] = {}  # definition id -> element -> (type, name)

    def anchors(self):
        """The events that record activities, narrowed as far as SQL can."""
        types = {None: _ACTIVITY_EVENTS, "userTask": (event_log.TASK_READY,),
                 "serviceTask": _WORKER_ENDS}.get(self.activity_type, _CATCHES)
        query = _with_definition(select(*_COLUMNS), self.definition_key, self.instance_id) \
            .where(Event.type.in_(types))
        if self.activity_id is not None:
            query = query.where(or_(Event.type.in_(_CATCHES),
                                    Event.element_id == self.activity_id))
        if self.started_after is not None:  # no activity is recorded before it starts
            query = query.where(Event.occurred_at >= self.started_after)
        if self.started_before is not None:  # a user task is recorded when it starts
            query = query.where(or_(Event.type != event_log.TASK_READY,
                                    Event.occurred_at <= self.started_before))
        if self.finished is False:  # only user tasks are recorded before they end
            query = query.where(Event.type == event_log.TASK_READY)
        return query

    def activities(self, s) -> Iterator[HistoricActivityView]:
        for rows in _batches(s, self.anchors(), self.descending):
            ends = self._task_ends(s, [r for r in rows if r.type == event_log.TASK_READY])
            for row in rows:
                for activity in self._expand(s, row, ends):
                    if self._wanted(activity):
                        yield activity

    def _task_ends(self, s, ready: list) -> dict:
        if not ready:
            return {}
        found = s.execute(select(Event.process_instance_id, Event.task_id, Event.type,
                                 Event.occurred_at, Event.actor).where(
            Event.type.in_(_TASK_ENDS),
            Event.process_instance_id.in_({r.process_instance_id for r in ready}),
            Event.task_id.in_({r.task_id for r in ready})))
        return {(e.process_instance_id, e.task_id): e for e in found}

    def _element(self, s, definition_id: int, element_id: str) -> tuple[str, str | None]:
        if definition_id not in self.elements:
            self.elements[definition_id] = activity_kinds.elements(
                self.ctx.executable_of(s, definition_id))
        return self.elements[definition_id].get(element_id, ("task", None))

    def _expand(self, s, row, ends: dict) -> list[HistoricActivityView]:
        payload = json.loads(row.payload)
        common = dict(process_instance_id=row.process_instance_id, definition_key=row.key,
                      definition_version=row.version)
        if row.type == event_log.TASK_READY:
            end = ends.get((row.process_instance_id, row.task_id))
            return [HistoricActivityView(
                id=row.task_id, element_id=row.element_id, name=payload.get("name"),
                activity_type="userTask", started_at=row.occurred_at,
                ended_at=end.occurred_at if end else None,
                canceled=end is not None and end.type == event_log.TASK_CANCELLED,
                task_id=row.task_id,
                assignee=end.actor if end and end.type == event_log.TASK_COMPLETED else None,
                **common)]
        if row.type in _WORKER_ENDS:
            kind, name = self._element(s, row.definition_id, row.element_id)
            since = payload.get("waiting_since")
            return [HistoricActivityView(
                id=row.task_id, element_id=row.element_id, name=name, activity_type=kind,
                started_at=datetime.fromisoformat(since) if since else None,
                ended_at=row.occurred_at,
                canceled=row.type == event_log.EXTERNAL_TASK_BPMN_ERROR, task_id=None,
                assignee=None, **common)]
        found = []
        for element in payload.get("elements", []):
            kind, name = self._element(s, row.definition_id, element)
            found.append(HistoricActivityView(
                id=f"{row.process_instance_id}:{row.seq}:{element}", element_id=element,
                name=name, activity_type=kind, started_at=None, ended_at=row.occurred_at,
                canceled=False, task_id=None, assignee=None, **common))
        return found

    def _wanted(self, a: HistoricActivityView) -> bool:
        if self.activity_id is not None and a.element_id != self.activity_id:
            return False
        if self.activity_type is not None and a.activity_type != self.activity_type:
            return False
        if self.finished is not None and (a.ended_at is not None) != self.finished:
            return False
        if self.started_after is not None or self.started_before is not None:
            if a.started_at is None:
                return False  # when it began is not known
            if self.started_after is not None and a.started_at < self.started_after:
                return False
            if self.started_before is not None and a.started_at > self.started_before:
                return False
        return True


def activity_history(ctx: EngineContext, actor: Actor, instance_id: str | None = None,
                     definition_key: str | None = None, activity_id: str | None = None,
                     activity_type: str | None = None, finished: bool | None = None,
                     started_after: datetime | None = None,
                     started_before: datetime | None = None, descending: bool = False,
                     limit: int = 100, offset: int = 0) -> list[HistoricActivityView]:
    """The activities the event log records (the module's docstring), across instances or
    of one, in the order the log recorded them (a user task when it started, the others
    when they ended); `finished` True only ended ones, False only those under way."""
    policy.require_auditor(actor)
    _check(limit, offset, started_after=started_after, started_before=started_before)
    query = _ActivityQuery(ctx, instance_id, definition_key, activity_id, activity_type,
                           finished, started_after, started_before, descending)
    found = []
    with ctx.db.read() as s:
        for position, activity in enumerate(query.activities(s)):
            if position >= offset:
                found.append(activity)
                if len(found) == limit:
                    break
    return found


def count_activity_history(ctx: EngineContext, actor: Actor, instance_id: str | None = None,
                           definition_key: str | None = None, activity_id: str | None = None,
                           activity_type: str | None = None, finished: bool | None = None,
                           started_after: datetime | None = None,
                           started_before: datetime | None = None) -> int:
    """How many activities `activity_history` finds with these filters."""
    policy.require_auditor(actor)
    _check(1, 0, started_after=started_after, started_before=started_before)
    query = _ActivityQuery(ctx, instance_id, definition_key, activity_id, activity_type,
                           finished, started_after, started_before, False)
    with ctx.db.read() as s:
        return sum(1 for _ in query.activities(s))


# ---------------------------------------------------------------- user operations

def user_operations(ctx: EngineContext, actor: Actor, instance_id: str | None = None,
                    user: str | None = None, types: tuple[str, ...] = OPERATION_EVENTS,
                    after: datetime | None = None, before: datetime | None = None,
                    descending: bool = False, limit: int = 100, offset: int = 0) -> Page:
    """What users did to instances and their tasks (`OPERATION_EVENTS` of the log), across
    instances or of one, oldest first (or newest, `descending`)."""
    policy.require_auditor(actor)
    _check(limit, offset, after=after, before=before)
    unknown = set(types) - set(OPERATION_EVENTS)
    if unknown:
        raise InvalidInput("Invalid query", {"types": [f"not a user operation: {sorted(unknown)}"]})
    query = _with_definition(select(*_COLUMNS), None, instance_id) \
        .where(Event.type.in_(types), Event.actor != "system")
    if user is not None:
        query = query.where(Event.actor == user)
    if after is not None:
        query = query.where(Event.occurred_at >= after)
    if before is not None:
        query = query.where(Event.occurred_at <= before)
    order = (Event.occurred_at.desc(), Event.id.desc()) if descending \
        else (Event.occurred_at, Event.id)
    with ctx.db.read() as s:
        total = s.scalar(select(func.count()).select_from(query.subquery()))
        rows = s.execute(query.order_by(*order).limit(limit).offset(offset)).all()
    return Page(items=[OperationView(
        process_instance_id=r.process_instance_id, definition_key=r.key,
        definition_version=r.version, seq=r.seq, occurred_at=r.occurred_at, actor=r.actor,
        type=r.type, task_id=r.task_id, element_id=r.element_id) for r in rows], total=total)


# ---------------------------------------------------------------- incidents

def incident_history(ctx: EngineContext, actor: Actor, instance_id: str | None = None,
                     definition_key: str | None = None, state: str | None = None,
                     external: bool | None = None, descending: bool = False,
                     limit: int = 100, offset: int = 0) -> Page:
    """Every time an instance waited in error (one `instance_error` event each), oldest
    first: `state` open, resolved (an admin retried it) or deleted (the instance was
    terminated); `external` True only a worker's last failure, False only other steps."""
    policy.require_auditor(actor)
    _check(limit, offset)
    if state not in (None, "open", "resolved", "deleted"):
        raise InvalidInput("Invalid query", {"state": ["must be open, resolved or deleted"]})
    later = aliased(Event)
    ending = (later.process_instance_id == Event.process_instance_id) & \
        (later.seq > Event.seq) & later.type.in_(tuple(_INCIDENT_ENDS))
    query = _with_definition(select(*_COLUMNS), definition_key, instance_id) \
        .where(Event.type == event_log.INSTANCE_ERROR)
    if state == "open":
        query = query.where(~exists().where(ending))
    elif state is not None:
        first_end = select(later.type).where(ending).order_by(later.seq).limit(1) \
            .scalar_subquery()
        query = query.where(first_end == next(
            t for t, name in _INCIDENT_ENDS.items() if name == state))
    if external is not None:
        failed = exists().where(
            (later.process_instance_id == Event.process_instance_id)
            & (later.seq == Event.seq - 1) & (later.type == event_log.EXTERNAL_TASK_FAILED))
        query = query.where(failed if external else ~failed)
    order = (Event.occurred_at.desc(), Event.id.desc()) if descending \
        else (Event.occurred_at, Event.id)
    with ctx.db.read() as s:
        total = s.scalar(select(func.count()).select_from(query.subquery()))
        rows = s.execute(query.order_by(*order).limit(limit).offset(offset)).all()
        around = _around(s, rows)
    return Page(items=[_episode(r, around.get(r.process_instance_id, [])) for r in rows],
                total=total)


def _around(s, errors: list) -> dict[str, list]:
    """The events that end or explain the page's episodes, by instance, in order."""
    if not errors:
        return {}
    found = {}
    for e in s.execute(select(Event.process_instance_id, Event.seq, Event.type,
                              Event.occurred_at, Event.element_id, Event.task_id).where(
            Event.process_instance_id.in_({r.process_instance_id for r in errors}),
            Event.type.in_((*_INCIDENT_ENDS, event_log.EXTERNAL_TASK_FAILED)))
            .order_by(Event.seq)):
        found.setdefault(e.process_instance_id, []).append(e)
    return found


def _episode(row, around: list) -> IncidentEpisodeView:
    end = next((e for e in around if e.seq > row.seq and e.type in _INCIDENT_ENDS), None)
    failed = next((e for e in around if e.seq == row.seq - 1
                   and e.type == event_log.EXTERNAL_TASK_FAILED), None)
    return IncidentEpisodeView(
        process_instance_id=row.process_instance_id, definition_key=row.key,
        definition_version=row.version, seq=row.seq, created_at=row.occurred_at,
        ended_at=end.occurred_at if end else None,
        ending=_INCIDENT_ENDS[end.type] if end else None,
        message=json.loads(row.payload).get("message"),
        failed_element_id=failed.element_id if failed else None,
        failed_task_id=failed.task_id if failed else None)
