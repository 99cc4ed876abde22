"""Signing in through the use cases: which changes end a user's tokens, a user's own
password change, and the throttle's counting when many guesses run at once (threads, on
the test database: PostgreSQL with LKJ_TEST_DB=postgresql)."""
from __future__ import annotations

import dataclasses
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine import usecases
from engine.errors import AuthenticationFailed, InvalidInput, TooManyAttempts
from engine.persistence.tables import SignInFailure
from tests.conftest import ADMIN, actor

CHEAP_ARGON2 = {"argon2_memory_kib": 1024, "argon2_time_cost": 1, "argon2_parallelism": 1}
PASSWORD = "password-123"
HOST = "10.1.2.3"


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, **CHEAP_ARGON2, signin_max_failures=5,
                               signin_max_failures_per_address=1000, signin_window_s=600)


def token_of(ctx, username, password=PASSWORD):
    return usecases.sign_in(ctx, username, password, HOST)["access_token"]


def failures(ctx, **where):
    with ctx.db.read() as s:
        query = select(func.count()).select_from(SignInFailure)
        for column, value in where.items():
            query = query.where(getattr(SignInFailure, column) == value)
        return s.scalar(query)


@pytest.mark.parametrize("change, ends", [
    ({"password": "another-password"}, True),
    ({"roles": ["staf", "kepala_bagian"]}, True),
    ({"roles": []}, True),
    ({"active": False}, True),
    ({"full_name": "Sari Wulandari"}, False),
    ({"email": "sari@setneg.go.id"}, False),
    ({"roles": ["staf"]}, False),  # the same roles: no change
    ({"active": True}, False),
])
def test_which_changes_end_the_users_tokens(ctx, change, ends):
    usecases.create_user(ctx, ADMIN, "sari", PASSWORD, ["staf"])
    token = token_of(ctx, "sari")
    assert usecases.user_of_token(ctx, token).username == "sari"
    usecases.update_user(ctx, ADMIN, "sari", **change)
    if ends:
        with pytest.raises(AuthenticationFailed):
            usecases.user_of_token(ctx, token)
    else:
        assert usecases.user_of_token(ctx, token).username == "sari"


def test_a_user_changes_its_own_password(ctx):
    usecases.create_user(ctx, ADMIN, "sari", PASSWORD, ["staf"])
    old = token_of(ctx, "sari")
    sari = actor("sari", "staf")
    with pytest.raises(InvalidInput) as short:
        usecases.change_own_password(ctx, sari, PASSWORD, "short", HOST)
    assert set(short.value.errors) == {"new_password"}
    with pytest.raises(InvalidInput) as wrong:
        usecases.change_own_password(ctx, sari, "not-the-password", "a-new-password", HOST)
    assert set(wrong.value.errors) == {"current_password"}
    assert failures(ctx, username="sari") == 1  # counted like a failed sign-in

    fresh = usecases.change_own_password(ctx, sari, PASSWORD, "a-new-password", HOST)
    assert usecases.user_of_token(ctx, fresh["access_token"]).username == "sari"
    with pytest.raises(AuthenticationFailed):
        usecases.user_of_token(ctx, old)
    with pytest.raises(AuthenticationFailed):
        usecases.authenticate(ctx, "sari", PASSWORD)
    assert usecases.authenticate(ctx, "sari", "a-new-password").username == "sari"


def test_a_token_newer_than_the_cached_user_is_read_again(ctx, settings):
    """Another process changed the password and signed the user in: this process's cache
    still holds the old generation, and must not refuse the new token for it."""
    usecases.create_user(ctx, ADMIN, "sari", PASSWORD, ["staf"])
    old = token_of(ctx, "sari")
    usecases.user_of_token(ctx, old)  # cached here now
    other = type(ctx)(settings)  # another process's engine on the same database
    try:
        usecases.update_user(other, ADMIN, "sari", password="another-password")
        new = usecases.sign_in(other, "sari", "another-password", HOST)["access_token"]
    finally:
        other.close()
    assert usecases.user_of_token(ctx, old).username == "sari"  # stale, within the TTL
    assert usecases.user_of_token(ctx, new).username == "sari"  # read again...
    with pytest.raises(AuthenticationFailed):  # ...so the old one is refused from now on
        usecases.user_of_token(ctx, old)


def test_failures_are_refused_after_the_limit_until_the_window_passes(ctx):
    usecases.create_user(ctx, ADMIN, "sari", PASSWORD, ["staf"])
    ctx.clock.set(ctx.clock.now())  # frozen: the window is counted on the engine clock
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            usecases.sign_in(ctx, "sari", "guess", HOST)
    with pytest.raises(TooManyAttempts) as refused:
        usecases.sign_in(ctx, "sari", PASSWORD, HOST)
    assert refused.value.retry_after_s == 600
    ctx.clock.set(ctx.clock.now() + timedelta(seconds=599))
    with pytest.raises(TooManyAttempts) as refused:
        usecases.sign_in(ctx, "sari", PASSWORD, HOST)
    assert refused.value.retry_after_s == 1
    assert failures(ctx) == 5  # the refused attempts are not counted
    ctx.clock.set(ctx.clock.now() + timedelta(seconds=1))
    assert token_of(ctx, "sari")
    # The failures left the window and were deleted; a right password leaves no row.
    assert failures(ctx) == 0


@pytest.mark.parametrize("limit", [5, 1000])
def test_concurrent_failures_are_all_counted(ctx, settings, limit):
    """Sixteen wrong guesses at once: every one is counted, and at most `limit` passwords
    are compared, however the threads interleave."""
    ctx.settings = dataclasses.replace(settings, signin_max_failures=limit)
    usecases.create_user(ctx, ADMIN, "sari", PASSWORD, ["staf"])
    guesses = 16
    barrier = threading.Barrier(guesses)
    outcomes = []

    def guess(n):
        barrier.wait()
        try:
            usecases.sign_in(ctx, "sari", f"guess-{n}", HOST)
            outcomes.append("signed in")
        except AuthenticationFailed:
            outcomes.append("wrong")
        except TooManyAttempts:
            outcomes.append("refused")
    threads = [threading.Thread(target=guess, args=(n,)) for n in range(guesses)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == guesses and "signed in" not in outcomes
    checked = outcomes.count("wrong")
    assert failures(ctx, username="sari") == checked
    if limit >= guesses:
        assert checked == guesses
        return
    # A burst may be refused early (each guess counts the others in flight), never late:
    # exactly `limit` guesses are ever compared.
    assert checked <= limit
    for n in range(limit - checked):
        with pytest.raises(AuthenticationFailed):
            usecases.sign_in(ctx, "sari", f"later-guess-{n}", HOST)
    with pytest.raises(TooManyAttempts):
        usecases.sign_in(ctx, "sari", PASSWORD, HOST)
