"""GET /api/v1/reports/sla: the yearly evaluation, as JSON and CSV."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from tests.api.conftest import WORKING_MONDAY
from tests.api.helpers import assert_problem

PERIOD = {"from": (WORKING_MONDAY - timedelta(days=1)).isoformat(),
          "to": (WORKING_MONDAY + timedelta(days=30)).isoformat()}


def work_the_draft(client, login, mini_instance):
    [draft] = mini_instance["open_tasks"]
    staf = login("staf1", "staf")
    client.post(f"/api/v1/tasks/{draft['id']}/claim", headers=staf)
    client.post(f"/api/v1/tasks/{draft['id']}/complete", json={"data": {"title": "Konsep"}},
                headers=staf)


def test_the_report_as_json_and_csv(client, login, mini_instance):
    work_the_draft(client, login, mini_instance)
    biro = login("biro", "kepala_biro")
    report = client.get(f"/api/v1/reports/sla?{urlencode(PERIOD)}", headers=biro)
    assert report.status_code == 200
    body = report.get_json()
    [step] = [s for s in body["steps"] if s["element_id"] == "draft"]
    assert (step["role"], step["completed"], step["on_time_share"]) == ("staf", 1, 1.0)
    # the check (PT3H) is still open at the period's end: overdue, in nobody's hands
    [breach] = body["breaches"]
    assert (breach["element_id"], breach["completed_at"], breach["holder"]) == ("check", None, None)
    csv = client.get(f"/api/v1/reports/sla?{urlencode({**PERIOD, 'format': 'csv'})}",
                     headers=login("aud", "auditor"))
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    header, *rows = csv.get_data(as_text=True).splitlines()
    assert "element_id" in header and any(",draft," in row for row in rows)


def test_report_errors(client, login):
    staf = login("staf1", "staf")
    assert_problem(client.get(f"/api/v1/reports/sla?{urlencode(PERIOD)}", headers=staf), 403)
    auditor = login("aud", "auditor")
    assert_problem(client.get("/api/v1/reports/sla?to=2026-01-01T00:00:00%2B07:00",
                              headers=auditor), 422, field="from")
    backwards = {"from": PERIOD["to"], "to": PERIOD["from"]}
    assert_problem(client.get(f"/api/v1/reports/sla?{urlencode(backwards)}", headers=auditor),
                   422, field="to")
    assert_problem(client.get(f"/api/v1/reports/sla?{urlencode({**PERIOD, 'format': 'pdf'})}",
                              headers=auditor), 422, field="format")
