"""Working time: the standard's limits run "during official working hours" (section G).

A `WorkingCalendar` knows the office's zone (Asia/Jakarta), its opening hours (07:30–16:00),
its working weekdays (Monday–Friday) and the closed dates (national holidays and collective
leave, *cuti bersama*, from `calendars/<year>.json`). Inputs and outputs are timezone-aware
datetimes (stored as UTC); the arithmetic happens on the office's wall clock.

Semantics of `add(start, duration)` (ISO 8601 duration, as in a task's `dueDuration`):

- A start outside working hours counts from the next opening:
  Saturday 11:00 + PT1H -> Monday 08:30, Saturday 11:00 + P1D -> Tuesday 07:30 (Monday's
  opening plus one working day: all of Monday, the same working time as Monday 16:00).
- Days (`D`) are working days that keep the time of day: Friday 10:00 + P1D -> Monday 10:00,
  Wednesday 10:00 + P2D over a Thursday holiday -> Monday 10:00.
  One working day therefore holds exactly one day's opening hours (8.5 h by default) of
  working time, but lands on the same clock time: Friday 07:30 + P1D -> Monday 07:30, while
  Friday 07:30 + PT8H30M -> Friday 16:00 (same working time, different instant).
- Weeks (`W`) are five working days: Friday 10:00 + P1W -> the following Friday 10:00 when
  no holiday intervenes.
- Hours, minutes and seconds count within opening hours only: Friday 15:00 + PT3H ->
  Monday 09:30. Work that ends exactly at closing is due at closing (Friday 13:00 + PT3H ->
  Friday 16:00), not at the next opening.
- Combinations add up, days first: Friday 15:00 + P1DT2H -> Tuesday 08:30.
- Months and years are refused with a `ValueError` naming the value: the standard has none
  and "one working month" has no agreed meaning.

`working_time_between(a, b)` is the working time inside [a, b) (negative when b < a), so
`working_time_between(a, add(a, "PTnH")) == n hours` and, for days,
`working_time_between(a, add(a, "PnD")) == n * opening hours`.

A year without a calendar file still computes (weekends are skipped) but its holidays are
unknown; a file marked `"provisional": true` lists only the dates known before the year's
decree. `covers(year)` is false for both, and the SLA report warns about them.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Iterable
from zoneinfo import ZoneInfo

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from engine.settings import shipped_folder

#: The committed calendars (and their schema): the checkout's, or the installed package's.
DEFAULT_CALENDAR_DIR = shipped_folder("calendars")
SCHEMA_FILE = "schema.json"
_YEAR_FILE = re.compile(r"^\d{4}\.json$")

_DURATION = re.compile(
    r"^P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$")


@dataclass(frozen=True)
class WorkingDuration:
    """A due duration split into working days and working clock time."""
    days: int
    clock: timedelta


def parse_duration(value: str) -> WorkingDuration:
    """`P1W` -> 5 working days, `P1DT2H` -> 1 day + 2 hours. Only whole numbers of
    weeks, days, hours, minutes and seconds; anything else is a `ValueError` naming it."""
    match = _DURATION.fullmatch(value or "")
    if not match:
        raise ValueError(f"'{value}' is not an ISO 8601 duration of whole weeks, days, "
                         "hours, minutes or seconds (e.g. P1D, PT2H30M)")
    parts = {k: int(v) for k, v in match.groupdict().items() if v is not None}
    if "years" in parts or "months" in parts:
        raise ValueError(f"due duration '{value}' uses months or years, which have no length "
                         "in working time; give it in weeks, days or hours")
    return WorkingDuration(
        days=5 * parts.get("weeks", 0) + parts.get("days", 0),
        clock=timedelta(hours=parts.get("hours", 0), minutes=parts.get("minutes", 0),
                        seconds=parts.get("seconds", 0)))


def _clock(value: time | str) -> time:
    return value if isinstance(value, time) else time.fromisoformat(value)


class WorkingCalendar:
    """Opening hours, working weekdays (ISO: Monday=1) and closed dates of one office."""

    def __init__(self, timezone: str | ZoneInfo, start: time | str, end: time | str,
                 working_days: Iterable[int], holidays: Iterable[date],
                 holiday_years: Iterable[int] | None = None,
                 provisional_years: Iterable[int] = (),
                 holiday_names: dict[date, dict] | None = None):
        self.zone = timezone if isinstance(timezone, ZoneInfo) else ZoneInfo(timezone)
        self.start, self.end = _clock(start), _clock(end)
        self.working_days = frozenset(working_days)
        self.holidays = frozenset(holidays)
        self.holiday_years = None if holiday_years is None else frozenset(holiday_years)
        self.provisional_years = frozenset(provisional_years)
        self.holiday_names = dict(holiday_names or {})  # date -> {"name", "kind"}
        if not self.start < self.end:
            raise ValueError(f"working hours must open before they close: {start}-{end}")
        if not self.working_days or not self.working_days <= set(range(1, 8)):
            raise ValueError(f"working days must be ISO weekdays 1-7: {sorted(working_days)}")
        # Every working day is equally long (no shortened Fridays), which is what lets
        # `add` step a day at a time and keep days and hours commuting.
        self.day_length = (datetime.combine(date.min, self.end)
                           - datetime.combine(date.min, self.start))

    # -- loading -----------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: dict | list[dict],
                  schema_dir: str | Path | None = None) -> "WorkingCalendar":
        """One year's calendar (the file format), or several years that must agree on zone,
        hours and weekdays; validated against `schema.json` (see `_validator`)."""
        years = [data] if isinstance(data, dict) else list(data)
        if not years:
            raise ValueError("no calendar year given")
        validator = _validator(schema_dir)
        first = years[0]
        holidays: set[date] = set()
        names: dict[date, dict] = {}
        for year in years:
            error = best_match(validator.iter_errors(year))
            if error is not None:
                where = "/".join(str(p) for p in error.path) or "(top)"
                name = year.get("year", "?") if isinstance(year, dict) else "?"
                raise ValueError(f"calendar {name}: {where}: {error.message}")
            for key in ("timezone", "working_hours", "working_days"):
                if year[key] != first[key]:
                    raise ValueError(f"calendar {year['year']}: {key} differs from "
                                     f"calendar {first['year']}")
            for entry in year["holidays"]:
                day = date.fromisoformat(entry["date"])
                if day.year != year["year"]:
                    raise ValueError(f"calendar {year['year']}: {entry['date']} is in "
                                     "another year")
                if day in holidays:
                    raise ValueError(f"calendar {year['year']}: {entry['date']} is listed twice")
                holidays.add(day)
                names[day] = {"name": entry["name"], "kind": entry["kind"]}
        return cls(first["timezone"], first["working_hours"]["start"],
                   first["working_hours"]["end"], first["working_days"], holidays,
                   holiday_years={year["year"] for year in years},
                   provisional_years={y["year"] for y in years if y.get("provisional")},
                   holiday_names=names)

    @classmethod
    def from_files(cls, folder: str | Path = DEFAULT_CALENDAR_DIR) -> "WorkingCalendar":
        """Every `<year>.json` of `folder`, each validated against the folder's
        `schema.json` (else the repository's); the years must agree on zone, hours and
        weekdays."""
        folder = Path(folder)
        paths = sorted(p for p in folder.glob("*.json") if _YEAR_FILE.match(p.name))
        if not paths:
            raise ValueError(f"no calendar files (<year>.json) in {folder}")
        years = []
        for path in paths:
            data = json.loads(path.read_text(encoding="utf-8"))
            held = data.get("year") if isinstance(data, dict) else None
            if held != int(path.stem):
                raise ValueError(f"{path.name} holds year {held}")
            years.append(data)
        return cls.from_dict(years, schema_dir=folder)

    def with_changes(self, closed: dict[date, dict], reopened: Iterable[date]) -> "WorkingCalendar":
        """This calendar with the admin's changes: more closed days (date -> name, kind),
        and days of the files opened again (a holiday that was moved)."""
        reopened = set(reopened)
        names = {d: n for d, n in self.holiday_names.items() if d not in reopened}
        names.update(closed)
        return WorkingCalendar(self.zone, self.start, self.end, self.working_days,
                               (self.holidays - reopened) | set(closed), self.holiday_years,
                               self.provisional_years, names)

    # -- the office's clock ------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        return day.isoweekday() in self.working_days and day not in self.holidays

    def is_working_time(self, t: datetime) -> bool:
        local = self._local(t)
        return self.is_working_day(local.date()) and self.start <= local.time() < self.end

    def next_opening(self, t: datetime) -> datetime:
        """`t` itself when the office is open then, else the next moment it opens."""
        return self._aware(self._open_from(self._local(t)))

    def add(self, start: datetime, duration: str) -> datetime:
        """The due date of work of `duration` (see the module's rules) begun at `start`."""
        wanted = parse_duration(duration)
        t = self._open_from(self._local(start))
        if wanted.days:
            day = t.date()
            for _ in range(wanted.days):
                day = self._next_working_day(day)
            t = datetime.combine(day, t.time())
        remaining = wanted.clock
        while remaining:  # one step per working day, never per minute
            left_today = datetime.combine(t.date(), self.end) - t
            if remaining <= left_today:
                t += remaining
                break
            remaining -= left_today
            t = datetime.combine(self._next_working_day(t.date()), self.start)
        return self._aware(t)

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time inside [a, b); negative when b is before a."""
        a, b = self._local(a), self._local(b)
        return -self._between_local(b, a) if b < a else self._between_local(a, b)

    def _between_local(self, a: datetime, b: datetime) -> timedelta:
        total = timedelta(0)
        day = a.date()
        while day <= b.date():
            if self.is_working_day(day):
                opens = max(a, datetime.combine(day, self.start))
                closes = min(b, datetime.combine(day, self.end))
                if closes > opens:
                    total += closes - opens
            day += timedelta(days=1)
        return total

    def covers(self, year: int) -> bool:
        """Whether this calendar knows all closed dates of `year`: its file is loaded and
        not provisional (always true when built from a plain set of holidays)."""
        if year in self.provisional_years:
            return False
        return self.holiday_years is None or year in self.holiday_years

    # -- internals: naive datetimes on the office's wall clock -------------------------

    def _local(self, t: datetime) -> datetime:
        if t.tzinfo is None:
            raise ValueError("working time needs a timezone-aware datetime")
        return t.astimezone(self.zone).replace(tzinfo=None)

    def _aware(self, local: datetime) -> datetime:
        # Asia/Jakarta keeps no daylight saving; in a zone that does, a wall time inside a
        # gap reads as zoneinfo's fold=0.
        return local.replace(tzinfo=self.zone).astimezone(UTC)

    def _next_working_day(self, day: date) -> date:
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def _open_from(self, local: datetime) -> datetime:
        day = local.date()
        if self.is_working_day(day):
            if local.time() < self.start:
                return datetime.combine(day, self.start)
            if local.time() < self.end:
                return local
        return datetime.combine(self._next_working_day(day), self.start)


def _validator(folder: str | Path | None = None) -> Draft202012Validator:
    """The calendar file schema: `folder/schema.json`, else the shipped one."""
    candidates = [Path(folder) / SCHEMA_FILE] if folder else []
    candidates.append(DEFAULT_CALENDAR_DIR / SCHEMA_FILE)
    for path in candidates:
        if path.is_file():
            schema = json.loads(path.read_text(encoding="utf-8"))
            return Draft202012Validator(schema,
                                        format_checker=Draft202012Validator.FORMAT_CHECKER)
    raise ValueError(f"no calendar schema: looked for {', '.join(map(str, candidates))}")
