"""The working calendar: the year's closed days and the admin's changes."""
from __future__ import annotations

from sqlalchemy import select

from engine.errors import InvalidInput, NotFound
from engine.persistence.tables import CalendarDay
from engine.usecases import policy
from engine.usecases.constraints import (
    CALENDAR_DAY_NAME_MAX_LENGTH,
    FIRST_CALENDAR_YEAR,
    LAST_CALENDAR_YEAR,
)
from engine.usecases.context import EngineContext
from engine.usecases.shared import _check_choice
from engine.usecases.views import Actor

# ---------------------------------------------------------------- working calendar

CALENDAR_KINDS = ("national", "collective_leave", "office")


def calendar_year(ctx: EngineContext, year: int) -> dict:
    """The working calendar of a year: hours, weekdays, and every closed day with its name,
    kind and source (the committed file, or an admin's change)."""
    _check_year(year, "year")
    ctx.refresh_calendar()
    calendar = ctx.calendar
    with ctx.db.read() as s:
        changed = {d.day for d in s.scalars(select(CalendarDay))}
    return {
        "year": year, "timezone": calendar.zone.key,
        "working_hours": {"start": calendar.start.isoformat("minutes"),
                          "end": calendar.end.isoformat("minutes")},
        "working_days": sorted(calendar.working_days),
        "from_file": calendar.covers(year),
        "closed_days": [{"date": day.isoformat(), **calendar.holiday_names.get(day, {}),
                         "source": "admin" if day in changed else "file"}
                        for day in sorted(calendar.holidays) if day.year == year],
        "reopened_days": sorted(d.isoformat() for d in changed
                                if d.year == year and d not in calendar.holidays),
    }


def set_calendar_day(ctx: EngineContext, actor: Actor, day, closed: bool,
                     name: str | None = None, kind: str = "office") -> dict:
    """Close a day (a holiday or collective leave the files lack) or open one again (a file's
    holiday that moved). Due dates computed from now on count it."""
    policy.require_admin(actor)
    _check_year(day.year, "date")  # before anything is written: the answer shows that year
    errors = {}
    if closed and not (name or "").strip():
        errors["name"] = ["a closed day needs a name"]
    elif len((name or "").strip()) > CALENDAR_DAY_NAME_MAX_LENGTH:
        errors["name"] = [f"must be at most {CALENDAR_DAY_NAME_MAX_LENGTH} characters"]
    _check_choice(errors, "kind", kind, CALENDAR_KINDS)
    if errors:
        raise InvalidInput("The day cannot be changed", errors)
    with ctx.db.write() as s:
        row = s.get(CalendarDay, day) or CalendarDay(day=day)
        row.closed, row.name, row.kind = closed, (name or "").strip(), kind
        row.changed_by, row.changed_at = actor.username, ctx.clock.now()
        s.add(row)
    ctx.refresh_calendar()
    return calendar_year(ctx, day.year)


def reset_calendar_day(ctx: EngineContext, actor: Actor, day) -> dict:
    """Drop the admin's change of a day: the committed file decides again."""
    policy.require_admin(actor)
    _check_year(day.year, "date")
    with ctx.db.write() as s:
        row = s.get(CalendarDay, day)
        if row is None:
            raise NotFound(f"no change recorded for {day.isoformat()}")
        s.delete(row)
    ctx.refresh_calendar()
    return calendar_year(ctx, day.year)


def _check_year(year: int, field: str) -> None:
    if not FIRST_CALENDAR_YEAR <= year <= LAST_CALENDAR_YEAR:
        raise InvalidInput("Invalid year", {field: [
            f"the calendar covers the years {FIRST_CALENDAR_YEAR} to {LAST_CALENDAR_YEAR}"]})
