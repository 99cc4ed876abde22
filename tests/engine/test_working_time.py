"""Due dates in working time: Monday-Friday 07:30-16:00 Asia/Jakarta, without national
holidays and collective leave (cuti bersama)."""
from __future__ import annotations

import json
import random
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from jsonschema import Draft202012Validator

from engine.worktime.calendar import (
    DEFAULT_CALENDAR_DIR,
    WorkingCalendar,
    parse_duration,
)

WIB = ZoneInfo("Asia/Jakarta")
YEAR_FILES = sorted(DEFAULT_CALENDAR_DIR.glob("[0-9][0-9][0-9][0-9].json"))


def wib(*args) -> datetime:
    return datetime(*args, tzinfo=WIB)


@pytest.fixture(scope="module")
def official():
    """The committed calendars of the repository."""
    return WorkingCalendar.from_files()


@pytest.fixture
def plain():
    """Weekends only: what the tests of the arithmetic itself use."""
    return WorkingCalendar("Asia/Jakarta", "07:30", "16:00", [1, 2, 3, 4, 5], set())


# -- the required cases ------------------------------------------------------------------

def test_friday_afternoon_plus_three_hours_is_due_monday_half_past_nine(official):
    due = official.add(wib(2026, 3, 6, 15, 0), "PT3H")  # Friday 6 March 2026
    assert due == wib(2026, 3, 9, 9, 30)
    assert due.tzinfo is UTC and due == datetime(2026, 3, 9, 2, 30, tzinfo=UTC)


def test_the_output_is_aware_utc_whatever_zone_the_input_has(official):
    start_utc = datetime(2026, 3, 6, 8, 0, tzinfo=UTC)  # 15:00 in Jakarta
    due = official.add(start_utc, "PT3H")
    assert due.utcoffset() == timedelta(0) and due.isoformat() == "2026-03-09T02:30:00+00:00"
    assert due.astimezone(WIB).isoformat() == "2026-03-09T09:30:00+07:00"
    assert official.next_opening(start_utc).tzinfo is UTC


def test_a_naive_datetime_is_refused(plain):
    with pytest.raises(ValueError, match="timezone-aware"):
        plain.add(datetime(2026, 3, 6, 15), "PT3H")
    with pytest.raises(ValueError, match="timezone-aware"):
        plain.working_time_between(datetime(2026, 3, 6), wib(2026, 3, 7))


def test_a_day_is_the_same_time_on_the_next_working_day(plain):
    assert plain.add(wib(2026, 3, 6, 10, 0), "P1D") == wib(2026, 3, 9, 10, 0)  # Fri -> Mon
    assert plain.add(wib(2026, 3, 4, 10, 0), "P2D") == wib(2026, 3, 6, 10, 0)  # Wed -> Fri
    assert plain.add(wib(2026, 3, 6, 7, 30), "P1D") == wib(2026, 3, 9, 7, 30)


def test_a_week_is_five_working_days(plain, official):
    assert plain.add(wib(2026, 3, 6, 10, 0), "P1W") == wib(2026, 3, 13, 10, 0)
    assert plain.add(wib(2026, 3, 6, 10, 0), "P2W") == wib(2026, 3, 20, 10, 0)
    # Mon 16 March 2026 + 5 working days: 17, then Nyepi and Idulfitri close 18-24 March.
    assert official.add(wib(2026, 3, 16, 10, 0), "P1W") == wib(2026, 3, 30, 10, 0)


def test_hours_and_minutes_count_within_opening_hours(plain):
    assert plain.add(wib(2026, 3, 2, 8, 0), "PT15M") == wib(2026, 3, 2, 8, 15)
    assert plain.add(wib(2026, 3, 2, 14, 0), "PT2H30M") == wib(2026, 3, 3, 8, 0)
    assert plain.add(wib(2026, 3, 2, 15, 59), "PT2M") == wib(2026, 3, 3, 7, 31)
    assert plain.add(wib(2026, 3, 2, 15, 0), "PT30S") == wib(2026, 3, 2, 15, 0, 30)


def test_work_ending_at_closing_time_is_due_at_closing(plain):
    assert plain.add(wib(2026, 3, 6, 13, 0), "PT3H") == wib(2026, 3, 6, 16, 0)
    assert plain.add(wib(2026, 3, 6, 7, 30), "PT8H30M") == wib(2026, 3, 6, 16, 0)


def test_combinations_add_up(plain):
    # Friday 15:00: one working day -> Monday 15:00, two hours more -> Tuesday 08:30.
    assert plain.add(wib(2026, 3, 6, 15, 0), "P1DT2H") == wib(2026, 3, 10, 8, 30)
    # Six working days -> Monday 16 March 15:00, then 1 h 30 min -> Tuesday 08:00.
    assert plain.add(wib(2026, 3, 6, 15, 0), "P1W1DT1H30M") == wib(2026, 3, 17, 8, 0)


@pytest.mark.parametrize("start, duration, due", [
    (wib(2026, 3, 7, 11, 0), "PT1H", wib(2026, 3, 9, 8, 30)),    # Saturday -> Monday
    (wib(2026, 3, 8, 23, 59), "PT1H", wib(2026, 3, 9, 8, 30)),   # Sunday night
    (wib(2026, 3, 9, 6, 0), "PT1H", wib(2026, 3, 9, 8, 30)),     # before opening
    (wib(2026, 3, 9, 16, 0), "PT1H", wib(2026, 3, 10, 8, 30)),   # exactly at closing
    (wib(2026, 3, 9, 19, 0), "PT1H", wib(2026, 3, 10, 8, 30)),   # evening overtime
    (wib(2026, 3, 7, 11, 0), "P1D", wib(2026, 3, 10, 7, 30)),    # Monday's opening + 1 day
    (wib(2026, 3, 9, 7, 30), "PT1H", wib(2026, 3, 9, 8, 30)),    # opening is working time
])
def test_a_start_outside_working_hours_counts_from_the_next_opening(plain, start, duration, due):
    assert plain.add(start, duration) == due


# -- holidays and collective leave --------------------------------------------------------

def test_a_national_holiday_is_skipped(official):
    # Wednesday 27 May 2026 is Iduladha; Thursday 28 May collective leave.
    assert official.add(wib(2026, 5, 26, 15, 0), "PT3H") == wib(2026, 5, 29, 9, 30)
    # Thursday 14 May 2026, Kenaikan Yesus Kristus, then Friday 15 May collective leave.
    assert official.add(wib(2026, 5, 13, 10, 0), "P1D") == wib(2026, 5, 18, 10, 0)
    assert not official.is_working_day(date(2026, 8, 17))


def test_collective_leave_alone_is_skipped(official):
    # Monday 18 August 2025 was added as collective leave; Sunday 17 August is the holiday.
    assert official.add(wib(2025, 8, 15, 15, 0), "PT3H") == wib(2025, 8, 19, 9, 30)
    assert official.add(wib(2025, 8, 15, 10, 0), "P1D") == wib(2025, 8, 19, 10, 0)


def test_holidays_of_a_calendar_built_from_a_dict_are_skipped():
    calendar = WorkingCalendar.from_dict({
        "year": 2026, "timezone": "Asia/Jakarta",
        "working_hours": {"start": "08:00", "end": "16:00"}, "working_days": [1, 2, 3, 4, 5],
        "holidays": [{"date": "2026-03-09", "name": "Cuti bersama", "kind": "collective_leave"}]})
    assert calendar.add(wib(2026, 3, 6, 15, 0), "PT3H") == wib(2026, 3, 10, 10, 0)
    assert calendar.day_length == timedelta(hours=8)


def test_the_year_boundary(official):
    # Wednesday 31 December 2025 15:00; 1 January 2026 is a holiday: Friday 2 January.
    assert official.add(wib(2025, 12, 31, 15, 0), "PT3H") == wib(2026, 1, 2, 9, 30)
    # Wednesday 23 December 2026: 24 (collective leave) and 25 (Natal) are closed.
    assert official.add(wib(2026, 12, 23, 10, 0), "P2D") == wib(2026, 12, 29, 10, 0)
    # The provisional 2027 calendar knows New Year's Day (a Friday).
    assert official.add(wib(2026, 12, 31, 15, 0), "PT3H") == wib(2027, 1, 4, 9, 30)
    # 17:30 UTC on 31 December is already New Year's Day in Jakarta.
    assert official.add(datetime(2026, 12, 31, 17, 30, tzinfo=UTC), "PT1H") \
        == wib(2027, 1, 4, 8, 30)


def test_coverage_of_the_committed_years(official):
    assert official.covers(2025) and official.covers(2026)
    assert not official.covers(2027)  # provisional until the 2027 decree is entered
    assert not official.covers(2028)
    assert WorkingCalendar("UTC", "09:00", "17:00", [1], set()).covers(2030)


# -- durations ----------------------------------------------------------------------------

def test_duration_parsing():
    assert parse_duration("P1W").days == 5
    assert parse_duration("P1W2D").days == 7
    assert parse_duration("P1DT2H30M").clock == timedelta(hours=2, minutes=30)
    assert parse_duration("PT90M").clock == timedelta(minutes=90)


@pytest.mark.parametrize("value", ["P1M", "P1Y", "P1Y2M", "P0Y1D"])
def test_months_and_years_are_refused_by_name(plain, value):
    with pytest.raises(ValueError, match=f"'{value}'.*months or years"):
        plain.add(wib(2026, 3, 6, 10), value)


@pytest.mark.parametrize("value", ["", "P", "PT", "P1DT", "1D", "P1.5D", "PT1,5H", "-P1D", "P1H"])
def test_malformed_durations_are_refused_by_name(value):
    with pytest.raises(ValueError, match="is not an ISO 8601 duration"):
        parse_duration(value)


def test_every_due_duration_of_the_diagrams_is_accepted():
    bpmn = Path(__file__).resolve().parents[2] / "bpmn"
    values = {m for path in bpmn.glob("*.bpmn")
              for m in re.findall(r'name="dueDuration" value="([^"]*)"', path.read_text())}
    assert values, "the diagrams declare due durations"
    for value in values:
        parse_duration(value)


# -- working time elapsed -----------------------------------------------------------------

def test_working_time_between(official, plain):
    assert plain.working_time_between(wib(2026, 3, 6, 15), wib(2026, 3, 9, 9, 30)) \
        == timedelta(hours=3)
    assert plain.working_time_between(wib(2026, 3, 9, 9, 30), wib(2026, 3, 6, 15)) \
        == -timedelta(hours=3)
    assert plain.working_time_between(wib(2026, 3, 7, 8), wib(2026, 3, 8, 20)) == timedelta(0)
    assert plain.working_time_between(wib(2026, 3, 9, 17), wib(2026, 3, 10, 7)) == timedelta(0)
    assert plain.working_time_between(wib(2026, 3, 2), wib(2026, 3, 9)) == timedelta(hours=42.5)
    # Nyepi and Idulfitri: Tuesday 17 March 2026 12:00 to Wednesday 25 March 12:00.
    assert official.working_time_between(wib(2026, 3, 17, 12), wib(2026, 3, 25, 12)) \
        == timedelta(hours=8.5)


def test_is_working_time_and_next_opening(official):
    assert official.is_working_time(wib(2026, 3, 9, 7, 30))
    assert official.is_working_time(wib(2026, 3, 9, 15, 59, 59))
    assert not official.is_working_time(wib(2026, 3, 9, 16, 0))
    assert not official.is_working_time(wib(2026, 3, 7, 10, 0))   # Saturday
    assert not official.is_working_time(wib(2026, 3, 19, 10, 0))  # Nyepi
    assert official.next_opening(wib(2026, 3, 9, 10, 0)) == wib(2026, 3, 9, 10, 0)
    assert official.next_opening(wib(2026, 3, 17, 16, 0)) == wib(2026, 3, 25, 7, 30)


def test_add_and_working_time_between_agree_on_many_random_starts(official):
    """between(a, add(a, d)) == d for clock durations, and n opening-days for PnD."""
    rng = random.Random(20260306)
    start_of_range = wib(2025, 1, 1)
    for _ in range(3000):
        a = start_of_range + timedelta(minutes=rng.randrange(2 * 365 * 24 * 60),
                                       seconds=rng.randrange(60))
        hours, minutes = rng.randrange(0, 60), rng.randrange(0, 60)
        due = official.add(a, f"PT{hours}H{minutes}M")
        assert official.working_time_between(a, due) == timedelta(hours=hours, minutes=minutes)
        assert due >= a
        if hours or minutes:  # lands inside opening hours or exactly at a closing
            local = due.astimezone(WIB)
            assert official.is_working_time(due) or (
                official.is_working_day(local.date()) and local.time() == official.end)
        days = rng.randrange(1, 15)
        due = official.add(a, f"P{days}D")
        assert official.working_time_between(a, due) == days * official.day_length
        assert official.is_working_time(due)
        assert official.add(a, f"P{days}DT{hours}H") == official.add(due, f"PT{hours}H")


def test_two_weeks_step_a_day_at_a_time(official, monkeypatch):
    calls = []
    real = WorkingCalendar.is_working_day
    monkeypatch.setattr(WorkingCalendar, "is_working_day",
                        lambda self, day: calls.append(day) or real(self, day))
    official.add(wib(2026, 3, 16, 10), "P2W")
    assert len(calls) < 40  # ~ one look per calendar day, never per minute
    calls.clear()
    official.add(wib(2026, 3, 16, 10), "PT170H")  # twenty working days of hours
    assert len(calls) < 60


# -- the committed calendar files ---------------------------------------------------------

def test_the_committed_calendars_validate_against_the_schema():
    schema = json.loads((DEFAULT_CALENDAR_DIR / "schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    assert [p.stem for p in YEAR_FILES] == ["2025", "2026", "2027"]
    for path in YEAR_FILES:
        data = json.loads(path.read_text())
        assert list(validator.iter_errors(data)) == [], path.name
        assert data["year"] == int(path.stem)
        assert data["timezone"] == "Asia/Jakarta"


@pytest.mark.parametrize("path", YEAR_FILES, ids=lambda p: p.name)
def test_a_committed_calendar_lists_each_closed_weekday_once(path):
    """No date twice, none outside its year, none that only repeats a weekend (holidays on
    Saturday or Sunday are named in the file's note instead)."""
    data = json.loads(path.read_text())
    days = [date.fromisoformat(h["date"]) for h in data["holidays"]]
    assert len(days) == len(set(days))
    assert days == sorted(days)
    assert all(d.year == data["year"] for d in days)
    weekend_only = [d for d in days if d.isoweekday() not in data["working_days"]]
    assert weekend_only == []


def test_the_2026_calendar_is_the_decree():
    data = json.loads((DEFAULT_CALENDAR_DIR / "2026.json").read_text())
    by_kind = {kind: [h["date"][5:] for h in data["holidays"] if h["kind"] == kind]
               for kind in ("national", "collective_leave")}
    # 17 national holidays, of which 4 fall on a weekend (in the note); 8 days of leave.
    assert len(by_kind["national"]) == 13
    assert by_kind["collective_leave"] == ["02-16", "03-18", "03-20", "03-23", "03-24",
                                           "05-15", "05-28", "12-24"]
    assert not data.get("provisional")


@pytest.mark.parametrize("change, message", [
    (lambda d: d["holidays"].append({"date": "2026-01-01", "name": "x", "kind": "national"}),
     "listed twice"),
    (lambda d: d["holidays"].append({"date": "2027-01-04", "name": "x", "kind": "national"}),
     "another year"),
    (lambda d: d["holidays"].append({"date": "2026-01-05", "name": "x", "kind": "libur"}),
     "holidays/"),
    (lambda d: d["working_hours"].update(start="7:30"), "working_hours/start"),
    (lambda d: d.update(working_days=[]), "working_days"),
    (lambda d: d.update(extra=1), "extra"),
])
def test_a_broken_calendar_is_refused_with_the_place_named(change, message):
    data = json.loads((DEFAULT_CALENDAR_DIR / "2026.json").read_text())
    change(data)
    with pytest.raises(ValueError, match=message):
        WorkingCalendar.from_dict(data)


def test_a_calendar_folder_may_carry_its_own_schema(tmp_path, monkeypatch):
    """An installed engine has no repository beside it: the folder's schema is used."""
    import engine.worktime.calendar as working_time
    for name in ("schema.json", "2026.json"):
        (tmp_path / name).write_text((DEFAULT_CALENDAR_DIR / name).read_text())
    monkeypatch.setattr(working_time, "DEFAULT_CALENDAR_DIR", tmp_path / "missing")
    assert not WorkingCalendar.from_files(tmp_path).is_working_day(date(2026, 3, 19))
    (tmp_path / "schema.json").unlink()
    with pytest.raises(ValueError, match="no calendar schema"):
        WorkingCalendar.from_files(tmp_path)


def test_years_must_agree_on_hours(tmp_path):
    for year, end in ((2025, "16:00"), (2026, "16:30")):
        (tmp_path / f"{year}.json").write_text(json.dumps({
            "year": year, "timezone": "Asia/Jakarta",
            "working_hours": {"start": "07:30", "end": end},
            "working_days": [1, 2, 3, 4, 5], "holidays": []}))
    with pytest.raises(ValueError, match="working_hours differs"):
        WorkingCalendar.from_files(tmp_path)
    with pytest.raises(ValueError, match="no calendar files"):
        WorkingCalendar.from_files(tmp_path / "empty")
    (tmp_path / "2026.json").write_text(json.dumps({"year": 2025}))
    with pytest.raises(ValueError, match="2026.json holds year 2025"):
        WorkingCalendar.from_files(tmp_path)
