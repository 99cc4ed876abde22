"""/api/v1/calendar: reading the working calendar, and the admin's changes."""
from __future__ import annotations

from tests.api.helpers import assert_problem


def test_read_and_change_the_calendar(client, login, admin):
    staf = login("staf1", "staf")
    year = client.get("/api/v1/calendar/2026", headers=staf)
    assert year.status_code == 200
    body = year.get_json()
    assert (body["timezone"], body["working_hours"], body["working_days"]) == (
        "Asia/Jakarta", {"start": "07:30", "end": "16:00"}, [1, 2, 3, 4, 5])
    assert body["from_file"] is True and body["closed_days"]
    closed = client.put("/api/v1/calendar/days/2026-03-06", headers=admin,
                        json={"closed": True, "name": "Cuti bersama tambahan",
                              "kind": "collective_leave"})
    assert closed.status_code == 200
    assert {"date": "2026-03-06", "name": "Cuti bersama tambahan", "kind": "collective_leave",
            "source": "admin"} in closed.get_json()["closed_days"]
    reset = client.delete("/api/v1/calendar/days/2026-03-06", headers=admin)
    assert reset.status_code == 200
    assert "2026-03-06" not in {d["date"] for d in reset.get_json()["closed_days"]}


def test_calendar_errors(client, login, admin):
    staf = login("staf1", "staf")
    assert_problem(client.put("/api/v1/calendar/days/2026-03-06", headers=staf,
                              json={"closed": True, "name": "x"}), 403)
    assert_problem(client.put("/api/v1/calendar/days/06-03-2026", headers=admin,
                              json={"closed": True, "name": "x"}), 422, field="date")
    assert_problem(client.put("/api/v1/calendar/days/2026-03-06", headers=admin,
                              json={"closed": "yes", "name": "x"}), 422, field="closed")
    assert_problem(client.delete("/api/v1/calendar/days/2026-03-07", headers=admin), 404)
    assert_problem(client.get("/api/v1/calendar/1200", headers=staf), 422, field="year")
