"""Reports: the SLA report of section L."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import and_, or_, select

from engine.errors import InvalidInput
from engine.persistence.tables import Task
from engine.usecases import policy
from engine.usecases.constraints import FIRST_CALENDAR_YEAR, LAST_CALENDAR_YEAR
from engine.usecases.context import EngineContext
from engine.usecases.views import Actor
from engine.worktime import sla

# ---------------------------------------------------------------- evaluation (section L)

# Working time is counted day by day in the calendar: a period stays within its years.
CALENDAR_START = datetime(FIRST_CALENDAR_YEAR, 1, 1, tzinfo=timezone.utc)
CALENDAR_END = datetime(LAST_CALENDAR_YEAR + 1, 1, 1, tzinfo=timezone.utc)


def sla_report(ctx: EngineContext, actor: Actor, period_start: datetime, period_end: datetime,
               definition_key: str | None = None) -> sla.SlaReport:
    """Each step's actual working-time duration against its limit, per role, for a period."""
    policy.require_sla_reader(actor)
    errors = {}
    for name, value in (("from", period_start), ("to", period_end)):
        if value is None or value.tzinfo is None:
            errors[name] = ["needs a date and time with a time zone offset"]
    if not errors:
        for name, value in (("from", period_start), ("to", period_end)):
            if not CALENDAR_START <= value <= CALENDAR_END:
                errors[name] = [f"must lie in the years {FIRST_CALENDAR_YEAR} to "
                                f"{LAST_CALENDAR_YEAR} that the working calendar covers"]
    if not errors and not period_start < period_end:
        errors["to"] = ["must be after 'from'"]
    if errors:
        raise InvalidInput("Invalid report period", errors)
    with ctx.db.read() as s:
        tasks = reported_tasks(s, period_start, period_end, definition_key)
    return sla.sla_report(tasks, ctx.calendar, period_start, period_end, definition_key)


def reported_tasks(s, period_start: datetime, period_end: datetime,
                   definition_key: str | None = None) -> list[Task]:
    """The task rows a report of the period covers: completed in it, or open past their
    due date at its end."""
    completed = and_(Task.state == "completed", Task.completed_at >= period_start,
                     Task.completed_at < period_end)
    open_overdue = and_(Task.created_at < period_end, Task.due_at < period_end,
                        or_(Task.completed_at.is_(None), Task.completed_at >= period_end))
    query = select(Task).where(or_(completed, open_overdue))
    if definition_key is not None:
        query = query.where(Task.definition_key == definition_key)
    return list(s.scalars(query))


sla_to_json = sla.to_json
sla_to_csv = sla.to_csv
