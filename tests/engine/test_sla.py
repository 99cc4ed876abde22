"""The yearly evaluation (standard, section L): each step's working-time duration against its
due date, from task rows written straight into the database."""
from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.persistence.tables import (
    Deployment,
    ProcessDefinition,
    ProcessInstance,
    Task,
)
from engine.usecases.reports import reported_tasks
from engine.worktime.calendar import WorkingCalendar
from engine.worktime.sla import percentile, sla_report, to_csv, to_json

WIB = ZoneInfo("Asia/Jakarta")
# Weekends and one holiday (Thursday 19 March 2026), whatever the committed files say.
CALENDAR = WorkingCalendar("Asia/Jakarta", "07:30", "16:00", [1, 2, 3, 4, 5], {date(2026, 3, 19)})
MARCH = (datetime(2026, 3, 1, tzinfo=WIB), datetime(2026, 4, 1, tzinfo=WIB))
H = timedelta(hours=1)

DRAFT = ("lkj_preparation", "lkj_document_approval", "draft_document", "Menyusun konsep", "staf")
CHECK = ("lkj_preparation", "lkj_document_approval", "check_kepala_bagian",
         "Memeriksa konsep (Kepala Bagian)", "kepala_bagian")
SUBMIT = ("lkj_preparation", "lkj_unit_data", "submit_performance_data",
          "Menyampaikan data kinerja")
TRIAGE = ("lkj_complaint", "lkj_complaint", "triage_complaint", "Menelaah pengaduan",
          "kepala_biro")


def wib(*args) -> datetime:
    return datetime(*args, tzinfo=WIB)


class Rows:
    """Writes task rows (and the definition and instance their keys need)."""

    def __init__(self, session):
        self.session = session
        self.instances: dict[str, str] = {}
        deployment = Deployment(deployed_at=MARCH[0])
        session.add(deployment)
        session.flush()
        self.deployment_id = deployment.id

    def instance(self, key: str) -> str:
        if key not in self.instances:
            definition = ProcessDefinition(
                key=key, version=1, name=key, deployment_id=self.deployment_id,
                content_hash="0" * 64, spec_json="{}", user_tasks={}, forms={}, files=[],
                startable_by=[], start_rules={}, deployed_at=MARCH[0])
            self.session.add(definition)
            self.session.flush()
            instance_id = str(uuid.uuid4())
            self.session.add(ProcessInstance(
                id=instance_id, definition_id=definition.id, status="running",
                state_json="{}", state_format="test", started_at=MARCH[0]))
            self.session.flush()
            self.instances[key] = instance_id
        return self.instances[key]

    def task(self, step, created, duration=None, *, role=None, completed=None, by=None,
             assignee=None, state=None) -> str:
        key, process_id, element_id, name, *rest = step
        task_id = str(uuid.uuid4())
        self.session.add(Task(
            id=task_id, process_instance_id=self.instance(key), definition_key=key,
            process_id=process_id, element_id=element_id, name=name, role=role or rest[0],
            assignee=assignee or by, form_key="f", created_at=created,
            due_at=CALENDAR.add(created, duration) if duration else None,
            state=state or ("completed" if completed else "claimed" if assignee else "ready"),
            completed_at=completed, completed_by=by if state in (None, "completed") else None))
        return task_id


@pytest.fixture
def tasks(ctx):
    """March 2026: a spread of on-time, late, open and out-of-period tasks."""
    ids = {}
    with ctx.db.write() as s:
        rows = Rows(s)
        # Drafting, PT4H: durations 2 h, 4 h, 6 h and 11.5 h of working time.
        rows.task(DRAFT, wib(2026, 3, 2, 8), "PT4H", completed=wib(2026, 3, 2, 10), by="staf1")
        rows.task(DRAFT, wib(2026, 3, 2, 14), "PT4H", completed=wib(2026, 3, 3, 9, 30),
                  by="staf2")  # exactly at its due date: on time
        ids["draft_late_1"] = rows.task(DRAFT, wib(2026, 3, 4, 8), "PT4H",
                                        completed=wib(2026, 3, 4, 14), by="staf1")
        ids["draft_late_2"] = rows.task(DRAFT, wib(2026, 3, 5, 15), "PT4H",
                                        completed=wib(2026, 3, 9, 9, 30), by="staf2")
        # Open at the end of March and overdue then, though completed in April.
        ids["draft_open"] = rows.task(DRAFT, wib(2026, 3, 31, 8), "PT4H",
                                      completed=wib(2026, 4, 2, 9), by="staf1")
        # Checking, PT2H: 1 h; 1.5 h over the Thursday holiday; one still open and overdue.
        rows.task(CHECK, wib(2026, 3, 2, 10), "PT2H", completed=wib(2026, 3, 2, 11), by="kabag")
        rows.task(CHECK, wib(2026, 3, 18, 15), "PT2H", completed=wib(2026, 3, 20, 8),
                  by="kabag")
        ids["check_open"] = rows.task(CHECK, wib(2026, 3, 30, 8), "PT2H", assignee="kabag2")
        # Units' data, P1W: one queue per unit, so one row per unit.
        ids["unit_a_late"] = rows.task(SUBMIT, wib(2026, 3, 2, 9), "P1W",
                                       role="satuan_kerja:A", completed=wib(2026, 3, 11, 9),
                                       by="unit_a")
        rows.task(SUBMIT, wib(2026, 3, 2, 9), "P1W", role="satuan_kerja:B",
                  completed=wib(2026, 3, 6, 9), by="unit_b")
        # Another process; late only in calendar time (after closing, before the next opening).
        ids["triage_evening"] = rows.task(TRIAGE, wib(2026, 3, 10, 8), "PT8H",
                                          completed=wib(2026, 3, 11, 7), by="kb")
        # Not in the report: completed before March, cancelled, not yet due, created later,
        # and a task without a due date that is open.
        rows.task(DRAFT, wib(2026, 2, 26, 8), "PT4H", completed=wib(2026, 2, 27, 9), by="staf1")
        rows.task(DRAFT, wib(2026, 3, 3, 8), "PT4H", completed=wib(2026, 3, 4, 8),
                  state="cancelled")
        rows.task(CHECK, wib(2026, 3, 31, 15), "PT2H")  # due 1 April 08:30
        rows.task(CHECK, wib(2026, 4, 1, 8), "PT2H")
        rows.task(TRIAGE, wib(2026, 3, 2, 8))
    return ids


def report_of(s, calendar, period_start, period_end, definition_key=None):
    return sla_report(reported_tasks(s, period_start, period_end, definition_key), calendar,
                      period_start, period_end, definition_key)


def report_rows(report):
    return {(s.element_id, s.role): s for s in report.steps}


def test_counts_percentiles_and_on_time_share_per_step_and_role(ctx, tasks):
    with ctx.db.read() as s:
        report = report_of(s, CALENDAR, *MARCH)
    steps = report_rows(report)
    assert set(steps) == {("draft_document", "staf"), ("check_kepala_bagian", "kepala_bagian"),
                          ("submit_performance_data", "satuan_kerja:A"),
                          ("submit_performance_data", "satuan_kerja:B"),
                          ("triage_complaint", "kepala_biro")}

    draft = steps["draft_document", "staf"]
    assert (draft.completed, draft.with_due, draft.on_time, draft.late, draft.open_overdue) \
        == (4, 4, 2, 2, 1)
    assert draft.on_time_share == 0.5
    assert sorted(draft.durations) == [2 * H, 4 * H, 6 * H, 11.5 * H]
    assert draft.median == 5 * H                      # (4 h + 6 h) / 2
    assert draft.p90 == 6 * H + 0.7 * (5.5 * H)       # rank 2.7: 9 h 51 min

    check = steps["check_kepala_bagian", "kepala_bagian"]
    assert (check.completed, check.on_time, check.open_overdue) == (2, 2, 1)
    assert check.on_time_share == 1.0
    assert check.median == 1.25 * H and check.p90 == timedelta(hours=1, minutes=27)

    unit_a = steps["submit_performance_data", "satuan_kerja:A"]
    unit_b = steps["submit_performance_data", "satuan_kerja:B"]
    assert unit_a.median == 7 * 8.5 * H and unit_a.on_time_share == 0.0
    assert unit_b.median == 4 * 8.5 * H and unit_b.on_time_share == 1.0
    assert report.warnings == []


def test_breaches_name_the_late_steps_and_who_held_them(ctx, tasks):
    with ctx.db.read() as s:
        report = report_of(s, CALENDAR, *MARCH)
    breaches = {b.task_id: b for b in report.breaches}
    assert set(breaches) == {tasks[k] for k in ("draft_late_1", "draft_late_2", "draft_open",
                                                "check_open", "unit_a_late", "triage_evening")}
    expected = {  # element, holder, late by (working time), still open at the period's end
        "draft_late_1": ("draft_document", "staf1", 2 * H, False),
        "draft_late_2": ("draft_document", "staf2", 7.5 * H, False),  # due Fri 10:30
        "draft_open": ("draft_document", "staf1", 4 * H, True),
        "check_open": ("check_kepala_bagian", "kabag2", 14.5 * H, True),
        "unit_a_late": ("submit_performance_data", "unit_a", 2 * 8.5 * H, False),
        "triage_evening": ("triage_complaint", "kb", timedelta(0), False),
    }
    for key, (element, holder, late_by, still_open) in expected.items():
        breach = breaches[tasks[key]]
        assert (breach.element_id, breach.holder, breach.late_by, breach.completed_at is None) \
            == (element, holder, late_by, still_open), key
        assert breach.process_instance_id and breach.due_at is not None
    assert breaches[tasks["draft_open"]].state == "completed"  # but after March


def test_a_definition_key_narrows_the_report(ctx, tasks):
    with ctx.db.read() as s:
        report = report_of(s, CALENDAR, *MARCH, definition_key="lkj_complaint")
    assert [(st.element_id, st.completed) for st in report.steps] == [("triage_complaint", 1)]
    assert [b.task_id for b in report.breaches] == [tasks["triage_evening"]]


def test_a_report_on_an_empty_period(ctx, tasks):
    with ctx.db.read() as s:
        report = report_of(s, CALENDAR, wib(2025, 1, 1), wib(2025, 2, 1))
    assert report.steps == [] and report.breaches == []
    assert to_csv(report).count("\n") == 1  # the header alone


def test_json_output(ctx, tasks):
    with ctx.db.read() as s:
        data = to_json(report_of(s, CALENDAR, *MARCH))
    assert data["period"] == {"start": "2026-03-01T00:00:00+07:00",
                              "end": "2026-04-01T00:00:00+07:00"}
    draft = next(r for r in data["steps"] if r["element_id"] == "draft_document")
    assert {
        "completed": 4, "on_time": 2, "late": 2, "on_time_share": 0.5, "open_overdue": 1,
        "median_s": 18000, "median": "PT5H", "p90_s": 35460, "p90": "PT9H51M"}.items() \
        <= draft.items()
    late = next(b for b in data["breaches"] if b["task_id"] == tasks["draft_late_2"])
    assert late["due_at"] == "2026-03-06T10:30:00+07:00"
    assert late["completed_at"] == "2026-03-09T09:30:00+07:00"
    assert (late["late_by_s"], late["late_by"], late["holder"], late["open"]) \
        == (27000, "PT7H30M", "staf2", False)
    still_open = next(b for b in data["breaches"] if b["task_id"] == tasks["check_open"])
    assert still_open["completed_at"] is None and still_open["open"] is True
    assert next(b for b in data["breaches"]
                if b["task_id"] == tasks["triage_evening"])["late_by"] == "PT0S"


def test_csv_output_one_row_per_step_and_role_and_one_per_breach(ctx, tasks):
    with ctx.db.read() as s:
        report = report_of(s, CALENDAR, *MARCH)
    steps = list(csv.DictReader(io.StringIO(to_csv(report))))
    assert len(steps) == 5
    unit_a = next(r for r in steps if r["role"] == "satuan_kerja:A")
    assert (unit_a["completed"], unit_a["on_time_share"], unit_a["median"]) \
        == ("1", "0.0", "PT59H30M")
    triage = next(r for r in steps if r["role"] == "kepala_biro")
    assert triage["on_time"] == "0" and triage["late"] == "1"
    breaches = list(csv.DictReader(io.StringIO(to_csv(report, "breaches"))))
    assert {r["task_id"] for r in breaches} == {b.task_id for b in report.breaches}
    assert next(r for r in breaches if r["task_id"] == tasks["check_open"])["holder"] == "kabag2"
    with pytest.raises(ValueError, match="steps or breaches"):
        to_csv(report, "people")


def test_years_the_calendar_does_not_know_are_warned_about(ctx):
    calendar = WorkingCalendar.from_files()
    with ctx.db.read() as s:
        known = report_of(s, calendar, wib(2026, 1, 1), wib(2027, 1, 1))
        unknown = report_of(s, calendar, wib(2026, 1, 1), wib(2028, 1, 1))
    assert known.warnings == []
    assert [w.split(" of ")[1][:4] for w in unknown.warnings] == ["2027"]


def test_the_period_must_be_aware_and_ordered():
    with pytest.raises(ValueError, match="timezone-aware"):
        sla_report([], CALENDAR, datetime(2026, 3, 1), MARCH[1])
    with pytest.raises(ValueError, match="start before"):
        sla_report([], CALENDAR, MARCH[1], MARCH[0])


@pytest.mark.parametrize("p, expected", [(0, 1), (50, 2.5), (90, 3.7), (100, 4)])
def test_percentiles_interpolate_linearly(p, expected):
    values = [timedelta(hours=h) for h in (4, 1, 3, 2)]
    assert percentile(values, p) == timedelta(hours=expected)
    assert percentile([], p) is None
