"""A name and password sent with every call (HTTP Basic): checked once, then trusted for
LKJ_BASIC_AUTH_CACHE_TTL_S while the user's password, roles and state are unchanged; a
wrong password is checked (and counted) every time."""
from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import delete, update

from engine import usecases
from engine.errors import AuthenticationFailed, TooManyAttempts
from engine.persistence.tables import SignInFailure, User
from engine.security.passwords import hash_password
from engine.usecases.context import EngineContext
from tests.conftest import ADMIN
from tests.engine.test_users_sign_in import CHEAP_ARGON2, HOST, PASSWORD, failures


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, **CHEAP_ARGON2, signin_max_failures=3,
                               signin_max_failures_per_address=1000, signin_window_s=600)


def basic(ctx, password=PASSWORD, username="sari"):
    return usecases.user_of_credentials(ctx, username, password, HOST)


def replace_hash_behind_the_engine(ctx, settings, password: str) -> None:
    """A new password hash written by SQL: the engine's generation does not change."""
    with ctx.db.write() as s:
        s.execute(update(User).where(User.username == "sari")
                  .values(password_hash=hash_password(settings, password)))


def test_checked_credentials_are_trusted_until_they_expire(ctx, settings):
    usecases.create_user(ctx, ADMIN, "sari", PASSWORD, ["staf"])
    assert basic(ctx).roles == ["staf"]
    replace_hash_behind_the_engine(ctx, settings, "another-password")
    # no Argon2 check: the credentials matched a moment ago
    assert basic(ctx).username == "sari"
    # without the cache every call checks the stored hash
    uncached = EngineContext(dataclasses.replace(settings, basic_auth_cache_ttl_s=0))
    try:
        with pytest.raises(AuthenticationFailed):
            basic(uncached)
        assert basic(uncached, "another-password").username == "sari"
    finally:
        uncached.close()


@pytest.mark.parametrize("change", [{"password": "another-password"}, {"active": False},
                                    {"roles": ["kepala_bagian"]}])
def test_a_change_to_the_user_is_seen_on_the_next_call(ctx, change):
    usecases.create_user(ctx, ADMIN, "sari", PASSWORD, ["staf"])
    basic(ctx)
    usecases.update_user(ctx, ADMIN, "sari", **change)
    if "roles" in change:
        assert basic(ctx).roles == ["kepala_bagian"]
    else:
        with pytest.raises(AuthenticationFailed):
            basic(ctx)


def test_a_wrong_password_is_never_trusted_and_is_counted(ctx):
    usecases.create_user(ctx, ADMIN, "sari", PASSWORD, ["staf"])
    basic(ctx)
    for _ in range(3):
        with pytest.raises(AuthenticationFailed):
            basic(ctx, "wrong-password")
    assert failures(ctx, username="sari") == 3
    with pytest.raises(TooManyAttempts):
        basic(ctx, "wrong-password")
    with pytest.raises(AuthenticationFailed):
        basic(ctx, "wrong-password", username="nobody")


def test_a_remembered_password_is_refused_while_the_name_is_throttled(ctx):
    """Otherwise a guesser, refused every other guess, would still be told when one hits
    the password a client is using at the moment."""
    usecases.create_user(ctx, ADMIN, "sari", PASSWORD, ["staf"])
    basic(ctx)  # remembered now
    for _ in range(3):
        with pytest.raises(AuthenticationFailed):
            basic(ctx, "wrong-password")
    with pytest.raises(TooManyAttempts):
        basic(ctx)
    with ctx.db.write() as s:  # the window has passed
        s.execute(delete(SignInFailure))
    assert basic(ctx).username == "sari"
