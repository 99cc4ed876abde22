"""The cockpit's overviews for administrators and auditors: instances found by process,
version, status, year and starter with their counts per status; where the instances of a
version stand (open tasks per element, the heat of the diagram); and an instance's event
chain checked link by link. Read-only."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from engine.errors import InstanceNotFound, InvalidInput
from engine.persistence import event_log
from engine.persistence.tables import Event, ProcessDefinition, ProcessInstance, Task
from engine.usecases import policy
from engine.usecases.constraints import FIRST_CALENDAR_YEAR, LAST_CALENDAR_YEAR
from engine.usecases.context import EngineContext
from engine.usecases.shared import (
    INSTANCE_STATUSES,
    OPEN_STATES,
    _check_choice,
    _check_paging,
    _definition,
    _instance_view,
)
from engine.usecases.views import Actor, Page


@dataclass(frozen=True)
class InstanceSearch(Page):
    # instances per status under the same filters, the status filter left out
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ElementLoad:
    element_id: str
    open_tasks: int
    instances: int  # distinct instances with an open task there


@dataclass(frozen=True)
class VersionLoad:
    definition_key: str
    version: int
    instances: dict[str, int]  # per status
    elements: list[ElementLoad]


@dataclass(frozen=True)
class ChainCheck:
    intact: bool
    events: int
    head_hash: str  # the last event's hash (the genesis hash when there is none)
    broken_at: int | None = None  # the seq where the chain does not hold
    problem: str | None = None


def search_instances(ctx: EngineContext, actor: Actor, definition_key: str | None = None,
                     version: int | None = None, status: str | None = None,
                     year: int | None = None, started_by: str | None = None,
                     limit: int = 50, offset: int = 0) -> InstanceSearch:
    """Every instance matching the filters, newest first; `year`: started in that year
    (in the working calendar's zone)."""
    policy.require_auditor(actor)
    errors = {}
    _check_choice(errors, "status", status, INSTANCE_STATUSES, optional=True)
    if year is not None and not FIRST_CALENDAR_YEAR <= year <= LAST_CALENDAR_YEAR:
        errors["year"] = [f"must be between {FIRST_CALENDAR_YEAR} and {LAST_CALENDAR_YEAR}"]
    if version is not None and definition_key is None:
        errors["version"] = ["needs definition_key"]
    _check_paging(limit, offset, errors)
    if errors:
        raise InvalidInput("Invalid query", errors)
    query = select(ProcessInstance).join(ProcessInstance.definition)
    if definition_key:
        query = query.where(ProcessDefinition.key == definition_key)
    if version is not None:
        query = query.where(ProcessDefinition.version == version)
    if started_by:
        query = query.where(ProcessInstance.started_by == started_by)
    if year is not None:
        zone = ctx.calendar.zone
        query = query.where(ProcessInstance.started_at >= datetime(year, 1, 1, tzinfo=zone),
                            ProcessInstance.started_at < datetime(year + 1, 1, 1, tzinfo=zone))
    with ctx.db.read() as s:
        by_status = query.with_only_columns(ProcessInstance.status, func.count()).group_by(
            ProcessInstance.status).order_by(None)
        counts = {name: 0 for name in INSTANCE_STATUSES}
        counts.update({name: n for name, n in s.execute(by_status)})
        if status:
            query = query.where(ProcessInstance.status == status)
        total = counts[status] if status else sum(counts.values())
        rows = s.scalars(query.order_by(ProcessInstance.started_at.desc(), ProcessInstance.id)
                         .limit(limit).offset(offset))
        return InstanceSearch(items=[_instance_view(s, i, with_tasks=False) for i in rows],
                              total=total, counts=counts)


def version_load(ctx: EngineContext, actor: Actor, definition_key: str,
                 version: int) -> VersionLoad:
    """How many instances of the version are in each status, and per element how many
    open tasks (tokens waiting there) they have."""
    policy.require_auditor(actor)
    with ctx.db.read() as s:
        definition = _definition(s, definition_key, version)
        of_version = ProcessInstance.definition_id == definition.id
        instances = {name: 0 for name in INSTANCE_STATUSES}
        instances.update({name: n for name, n in s.execute(
            select(ProcessInstance.status, func.count()).where(of_version)
            .group_by(ProcessInstance.status))})
        rows = s.execute(
            select(Task.element_id, func.count(), func.count(Task.process_instance_id.distinct()))
            .join(ProcessInstance, ProcessInstance.id == Task.process_instance_id)
            .where(of_version, Task.state.in_(OPEN_STATES))
            .group_by(Task.element_id).order_by(Task.element_id))
        elements = [ElementLoad(element_id, tasks, among) for element_id, tasks, among in rows]
        return VersionLoad(definition.key, definition.version, instances, elements)


def check_instance_chain(ctx: EngineContext, actor: Actor, instance_id: str) -> ChainCheck:
    """Each event's hash recomputed from its content and compared with the link the next
    event holds: an edited, removed or reordered event breaks the chain."""
    policy.require_auditor(actor)
    with ctx.db.read() as s:
        if s.get(ProcessInstance, instance_id) is None:
            raise InstanceNotFound(f"no process instance '{instance_id}'")
        records = [event_log.record_of(e) for e in s.scalars(
            select(Event).where(Event.process_instance_id == instance_id).order_by(Event.id))]
    problem = event_log.verify_chain(records, instance_id)
    head = records[-1].hash if records else event_log.GENESIS
    if problem is None:
        return ChainCheck(True, len(records), head)
    return ChainCheck(False, len(records), head, problem.seq, problem.reason)
