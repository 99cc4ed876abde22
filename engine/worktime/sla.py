"""The yearly evaluation of the executors (standard, section L): each step's actual duration
against its limit, from the `task` table alone.

What is counted, for a period [period_start, period_end):

- *completed* tasks: state `completed` and `completed_at` in the period (half-open, so
  consecutive periods never count a task twice). Cancelled tasks are not counted.
- *open overdue* tasks: open at `period_end` (created before it, not completed or
  cancelled before it) and due before it. The test is on the table's times, not on the
  current state, so a report on a past year counts the same when run again later.

Per step (definition_key, process_id, element_id, name) and role: the number completed, the
median and 90th percentile of their duration (created_at -> completed_at in working time,
`WorkingCalendar.working_time_between`), how many had a due date and how many of those were
completed on time (completed_at <= due_at, the due date stored on the row), and how many are
open overdue.

Percentiles interpolate linearly between the two nearest ranks (the method of numpy's
default and of spreadsheets' PERCENTILE.INC), so the median is the usual median (the mean
of the two middle values for an even count) and a spreadsheet gives the same figures.

A *breach* is a completed task finished after its due date, or an open overdue task; its
lateness is working time from due_at to completed_at (to period_end when open). Its holder
is `completed_by`, or for an open task its `assignee` (None: nobody has claimed it, the role
is the queue); the table keeps only the latest assignee, so that is who holds it now. A task
completed after closing time but before the next opening is late by 0 working seconds: it
missed its due date, but no working time was lost.

Durations are reported as whole seconds of working time (`*_s`) plus an ISO 8601 duration
in hours and minutes only (`PT11H30M`): never days, since a working day is not 24 hours.
Instants are ISO 8601 with the calendar's offset (`2026-03-09T09:30:00+07:00`).
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from engine.worktime.calendar import WorkingCalendar

OPEN_STATES = ("ready", "claimed")


@dataclass(frozen=True)
class Breach:
    task_id: str
    process_instance_id: str
    definition_key: str
    process_id: str
    element_id: str
    name: str
    role: str
    holder: str | None  # completed_by, or the assignee of an open task (None: unclaimed)
    state: str
    created_at: datetime
    due_at: datetime
    completed_at: datetime | None  # None: still open at period_end
    late_by: timedelta  # working time


@dataclass
class StepStats:
    definition_key: str
    process_id: str
    element_id: str
    name: str
    role: str
    durations: list[timedelta] = field(default_factory=list)  # completed tasks, working time
    with_due: int = 0
    on_time: int = 0
    open_overdue: int = 0

    @property
    def completed(self) -> int:
        return len(self.durations)

    @property
    def late(self) -> int:
        return self.with_due - self.on_time

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.with_due if self.with_due else None

    @property
    def median(self) -> timedelta | None:
        return percentile(self.durations, 50)

    @property
    def p90(self) -> timedelta | None:
        return percentile(self.durations, 90)


@dataclass
class SlaReport:
    period_start: datetime
    period_end: datetime
    definition_key: str | None
    calendar: WorkingCalendar
    steps: list[StepStats]
    breaches: list[Breach]
    warnings: list[str]


def percentile(values: list[timedelta], p: float) -> timedelta | None:
    """Linear interpolation between closest ranks (PERCENTILE.INC); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def sla_report(tasks, calendar: WorkingCalendar, period_start: datetime,
               period_end: datetime, definition_key: str | None = None) -> SlaReport:
    """The report from the task rows of the period (`tasks`: what `REPORTED_TASKS` selects:
    completed in the period, or still open past their due date at its end)."""
    if period_start.tzinfo is None or period_end.tzinfo is None:
        raise ValueError("the report period needs timezone-aware datetimes")
    if not period_start < period_end:
        raise ValueError("the report period must start before it ends")
    steps: dict[tuple, StepStats] = {}
    breaches: list[Breach] = []
    for task in tasks:
        key = (task.definition_key, task.process_id, task.element_id, task.name, task.role)
        if key not in steps:
            steps[key] = StepStats(*key)
        stats = steps[key]
        done_in_period = (task.state == "completed" and task.completed_at is not None
                          and period_start <= task.completed_at < period_end)
        if done_in_period:
            stats.durations.append(calendar.working_time_between(task.created_at,
                                                                 task.completed_at))
            if task.due_at is None:
                continue
            stats.with_due += 1
            if task.completed_at <= task.due_at:
                stats.on_time += 1
                continue
            end, holder = task.completed_at, task.completed_by
        else:
            stats.open_overdue += 1
            end, holder = period_end, task.assignee
        breaches.append(Breach(
            task.id, task.process_instance_id, task.definition_key, task.process_id,
            task.element_id, task.name, task.role, holder, task.state, task.created_at,
            task.due_at, task.completed_at if done_in_period else None,
            calendar.working_time_between(task.due_at, end)))

    breaches.sort(key=lambda b: (b.definition_key, b.process_id, b.element_id, b.role,
                                 b.due_at, b.task_id))
    return SlaReport(period_start, period_end, definition_key, calendar,
                     [steps[k] for k in sorted(steps)], breaches,
                     _calendar_warnings(calendar, period_start, period_end))


def _calendar_warnings(calendar, period_start, period_end) -> list[str]:
    first = period_start.astimezone(calendar.zone).year
    last = (period_end - timedelta(microseconds=1)).astimezone(calendar.zone).year
    return [f"the working calendar does not list all holidays of {year}: working time in "
            f"{year} counts every weekday" for year in range(first, last + 1)
            if not calendar.covers(year)]


# -- output ---------------------------------------------------------------------------

def seconds(value: timedelta | None) -> int | None:
    return None if value is None else round(value.total_seconds())


def hours_minutes(value: timedelta | None) -> str | None:
    """ISO 8601 in hours, minutes and seconds only: `PT11H30M`, `PT0S`, `-PT1H`."""
    if value is None:
        return None
    total = seconds(value)
    sign, total = ("-", -total) if total < 0 else ("", total)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    text = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (secs, "S")) if n)
    return f"{sign}PT{text or '0S'}"


def _instant(value: datetime | None, calendar: WorkingCalendar) -> str | None:
    return None if value is None else value.astimezone(calendar.zone).isoformat()


def _step_row(s: StepStats) -> dict:
    share = s.on_time_share
    return {
        "definition_key": s.definition_key, "process_id": s.process_id,
        "element_id": s.element_id, "name": s.name, "role": s.role,
        "completed": s.completed, "with_due": s.with_due, "on_time": s.on_time,
        "late": s.late, "on_time_share": None if share is None else round(share, 4),
        "open_overdue": s.open_overdue,
        "median_s": seconds(s.median), "median": hours_minutes(s.median),
        "p90_s": seconds(s.p90), "p90": hours_minutes(s.p90),
        # a step whose diagram sets no due date (neither dueDuration nor camunda:dueDate)
        "limit": "no limit" if s.completed and not s.with_due and not s.open_overdue
        else "due date",
    }


def _breach_row(b: Breach, calendar: WorkingCalendar) -> dict:
    return {
        "task_id": b.task_id, "process_instance_id": b.process_instance_id,
        "definition_key": b.definition_key, "process_id": b.process_id,
        "element_id": b.element_id, "name": b.name, "role": b.role, "holder": b.holder,
        "state": b.state, "open": b.completed_at is None,
        "created_at": _instant(b.created_at, calendar), "due_at": _instant(b.due_at, calendar),
        "completed_at": _instant(b.completed_at, calendar),
        "late_by_s": seconds(b.late_by), "late_by": hours_minutes(b.late_by),
    }


STEP_COLUMNS = ["definition_key", "process_id", "element_id", "name", "role", "completed",
                "with_due", "on_time", "late", "on_time_share", "open_overdue", "median_s",
                "median", "p90_s", "p90", "limit"]
BREACH_COLUMNS = ["task_id", "process_instance_id", "definition_key", "process_id",
                  "element_id", "name", "role", "holder", "state", "open", "created_at",
                  "due_at", "completed_at", "late_by_s", "late_by"]


def to_json(report: SlaReport) -> dict:
    cal = report.calendar
    return {
        "period": {"start": _instant(report.period_start, cal),
                   "end": _instant(report.period_end, cal)},
        "definition_key": report.definition_key,
        "timezone": cal.zone.key,
        "durations": "working time; *_s in seconds, the others ISO 8601 in hours",
        "percentile_method": "linear interpolation between closest ranks (PERCENTILE.INC)",
        "steps": [_step_row(s) for s in report.steps],
        "breaches": [_breach_row(b, cal) for b in report.breaches],
        "warnings": list(report.warnings),
    }


def to_csv(report: SlaReport, table: str = "steps") -> str:
    """One CSV per table: `steps` (one row per step and role) or `breaches` (one row per
    late or open overdue task). Empty cells stand for "none" (no due date, no holder)."""
    if table == "steps":
        columns, rows = STEP_COLUMNS, [_step_row(s) for s in report.steps]
    elif table == "breaches":
        columns = BREACH_COLUMNS
        rows = [_breach_row(b, report.calendar) for b in report.breaches]
    else:
        raise ValueError(f"unknown table '{table}': steps or breaches")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
