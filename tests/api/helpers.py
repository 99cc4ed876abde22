"""Assertions and small steps shared by the API tests."""
from __future__ import annotations

from datetime import datetime

PASSWORD = "password-123"
PROBLEM_JSON = "application/problem+json"


def assert_problem(response, status: int, field: str | None = None) -> dict:
    """A problem+json answer of `status`; with `field`, its `errors` name that field.
    Works with Flask test responses and `requests` responses alike."""
    code = getattr(response, "status_code", None)
    body = response.json() if callable(getattr(response, "json", None)) else response.get_json()
    assert code == status, body
    assert response.headers["Content-Type"].split(";")[0] == PROBLEM_JSON
    assert body["status"] == status
    assert body["title"] and body["type"] and body["instance"]
    if field is not None:
        assert field in body["errors"], body
        assert all(isinstance(m, str) for m in body["errors"][field])
    return body


def assert_aware(*values: str | None):
    """Datetimes in ISO 8601 with an offset."""
    for value in values:
        if value is not None:
            assert datetime.fromisoformat(value).utcoffset() is not None, value
