"""Guessing passwords over HTTP: after a few failures a user name, or a client address, is
refused with 429 and Retry-After until the window passes (on the engine clock, so no test
sleeps), the same for names of nobody, and nothing of the password reaches the log."""
from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta

import pytest

from tests.api.helpers import PASSWORD, assert_problem

WINDOW_S = 600


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, signin_max_failures=3,
                               signin_max_failures_per_address=6, signin_window_s=WINDOW_S)


def sign_in(client, username, password=PASSWORD, address="192.0.2.10", headers=None):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address}, headers=headers or {})


def later(ctx, seconds: float):
    ctx.clock.set(ctx.clock.now() + timedelta(seconds=seconds), ticking=True)


def assert_throttled(response) -> int:
    body = assert_problem(response, 429)
    assert body["type"] == "urn:lkj:problem:too-many-attempts"
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= WINDOW_S
    assert f"try again in {retry_after} s" in body["detail"]
    return retry_after


def test_after_three_failures_even_the_right_password_waits_for_the_window(client, login, ctx):
    login("sari", "staf")
    for _ in range(3):
        assert_problem(sign_in(client, "sari", "a-guess"), 401)
    retry_after = assert_throttled(sign_in(client, "sari"))
    assert retry_after > WINDOW_S - 5
    later(ctx, retry_after - 2)
    assert_throttled(sign_in(client, "sari"))
    later(ctx, 2)
    assert sign_in(client, "sari").status_code == 200


def test_a_name_of_nobody_is_throttled_the_same_way(client, login):
    login("sari", "staf")
    answers = {}
    for name in ("sari", "nobody"):
        for _ in range(3):
            assert_problem(sign_in(client, name, "a-guess", address=f"192.0.2.{len(name)}"), 401)
        refused = sign_in(client, name, "a-guess", address=f"192.0.2.{len(name)}")
        assert_throttled(refused)
        answers[name] = refused.get_json()["detail"]
    assert answers["sari"] == answers["nobody"]  # nothing tells which name exists


def test_one_address_guessing_many_names_is_throttled(client, login):
    login("sari", "staf")
    for n in range(6):
        assert_problem(sign_in(client, f"name{n}", "a-guess"), 401)
    body = assert_problem(sign_in(client, "sari"), 429)
    assert "from this address" in body["detail"]
    assert sign_in(client, "sari", address="192.0.2.99").status_code == 200  # another one


def test_x_forwarded_for_is_not_trusted(client):
    """Behind no configured proxy a client cannot pick the address it is counted under."""
    for n in range(6):
        assert_problem(sign_in(client, f"name{n}", "a-guess",
                               headers={"X-Forwarded-For": f"203.0.113.{n}"}), 401)
    assert_throttled(sign_in(client, "name9", "a-guess",
                             headers={"X-Forwarded-For": "203.0.113.200"}))


def test_right_passwords_are_not_counted(client, login):
    login("sari", "staf")
    for _ in range(10):
        assert sign_in(client, "sari").status_code == 200


def test_failures_are_logged_at_warning_without_the_password(client, login, caplog):
    login("sari", "staf")
    with caplog.at_level(logging.WARNING, logger="lkj.security"):
        for _ in range(4):
            sign_in(client, "sari", "Secret-Guess-42")
    messages = [r.getMessage() for r in caplog.records if r.name == "lkj.security"]
    assert len(messages) == 4
    assert all("'sari'" in m and "192.0.2.10" in m for m in messages)
    assert "refused" in messages[-1]
    assert not any("Secret-Guess-42" in m for m in messages)
    assert all(r.levelno == logging.WARNING for r in caplog.records if r.name == "lkj.security")


def test_wrong_current_passwords_count_too(client, login):
    headers = login("sari", "staf")
    for _ in range(3):
        assert_problem(client.post("/api/v1/me/password", headers=headers,
                                   environ_base={"REMOTE_ADDR": "192.0.2.10"},
                                   json={"current_password": "a-guess",
                                         "new_password": "another-password"}),
                       422, field="current_password")
    assert_throttled(sign_in(client, "sari"))
