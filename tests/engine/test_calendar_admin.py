"""The admin maintains the working calendar: a closed day (or a moved holiday) changes the
due dates computed from then on."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from engine import usecases
from engine.errors import Forbidden, InvalidInput, NotFound
from tests.conftest import ADMIN, actor

THURSDAY_10_WIB = datetime(2026, 3, 5, 3, 0, tzinfo=timezone.utc)
STAF = actor("staf1", "staf")


def due_of_new_draft(ctx):
    ctx.clock.set(THURSDAY_10_WIB)
    [task] = usecases.start_instance(ctx, ADMIN, "mini_review", {}).open_tasks
    return task.due_at


def test_a_day_the_admin_closes_is_skipped_by_due_dates(ctx, mini_deployed):
    assert due_of_new_draft(ctx) == datetime(2026, 3, 6, 3, 0, tzinfo=timezone.utc)  # Friday
    year = usecases.set_calendar_day(ctx, ADMIN, date(2026, 3, 6), closed=True,
                                     name="Cuti bersama tambahan", kind="collective_leave")
    assert {"date": "2026-03-06", "name": "Cuti bersama tambahan", "kind": "collective_leave",
            "source": "admin"} in year["closed_days"]
    # P1D from Thursday 10:00 now skips Friday and the weekend: Monday 10:00
    assert due_of_new_draft(ctx) == datetime(2026, 3, 9, 3, 0, tzinfo=timezone.utc)
    usecases.reset_calendar_day(ctx, ADMIN, date(2026, 3, 6))
    assert due_of_new_draft(ctx) == datetime(2026, 3, 6, 3, 0, tzinfo=timezone.utc)


def test_a_moved_holiday_opens_its_file_date(ctx):
    year = usecases.calendar_year(ctx, 2026)
    [first] = [d for d in year["closed_days"] if d["date"] == "2026-01-01"]
    assert first["source"] == "file" and first["name"]
    usecases.set_calendar_day(ctx, ADMIN, date(2026, 1, 1), closed=False)
    year = usecases.calendar_year(ctx, 2026)
    assert "2026-01-01" not in {d["date"] for d in year["closed_days"]}
    assert year["reopened_days"] == ["2026-01-01"]


def test_calendar_changes_are_for_admins_and_checked(ctx):
    with pytest.raises(Forbidden):
        usecases.set_calendar_day(ctx, STAF, date(2026, 3, 6), closed=True, name="x")
    with pytest.raises(InvalidInput) as caught:
        usecases.set_calendar_day(ctx, ADMIN, date(2026, 3, 6), closed=True, name=" ",
                                  kind="sometimes")
    assert set(caught.value.errors) == {"name", "kind"}
    with pytest.raises(NotFound):
        usecases.reset_calendar_day(ctx, ADMIN, date(2026, 3, 7))
