"""The sign-in throttle: password guesses are limited per user name and per client address.

Every password check (a sign-in, or the current password of a password change) is first
written to `sign_in_failure` and committed, and only then are the failures counted: two
checks running at once, in any worker process, each see the other's row. A check is
refused (`TooManyAttempts`, with how long to wait) when `LKJ_SIGNIN_MAX_FAILURES` other
rows of the same user name, or `LKJ_SIGNIN_MAX_FAILURES_PER_ADDRESS` of the same address,
lie within the last `LKJ_SIGNIN_WINDOW_S` seconds; then its row is removed again, and the
password is not looked at (a right one is refused too). A right password removes its row;
a wrong one leaves it, as a failure. So at most that many guesses per window are ever
compared, however many run at once (a burst may be refused a little early, never late).

User names are counted whether or not a user has that name, the same way, so a refusal
says nothing about which names exist. Times come from the engine clock. Rows older than
the window are deleted as new ones are written.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from sqlalchemy import delete, insert, select

from engine.errors import TooManyAttempts
from engine.persistence.tables import SignInFailure
from engine.usecases.context import EngineContext

log = logging.getLogger("lkj.security")

T = TypeVar("T")
USERNAME_LENGTH = 80  # app_user.username: a longer name is nobody's
ADDRESS_LENGTH = 64


def checked(ctx: EngineContext, username: str, client_address: str | None,
            check: Callable[[], T | None], what: str = "sign-in") -> T | None:
    """`check()` (a password comparison: its result, None when the password is wrong) under
    the throttle; TooManyAttempts instead when the user name or address has failed too
    often. A failure is recorded and logged (never the password)."""
    name = username[:USERNAME_LENGTH]
    address = (client_address or "unknown")[:ADDRESS_LENGTH]
    attempt = _record(ctx, name, address)
    refusal = _refusal(ctx, name, address, attempt)
    if refusal is not None:
        _remove(ctx, attempt)
        log.warning("%s as %r from %s refused for %d s: too many failures", what, username,
                    address, refusal.retry_after_s)
        raise refusal
    result = check()  # should it raise, the row stays: counted as a failure
    if result is None:
        log.warning("%s as %r from %s failed: wrong password or no such active user", what,
                    username, address)
        return None
    _remove(ctx, attempt)
    return result


def refusal(ctx: EngineContext, username: str,
            client_address: str | None) -> TooManyAttempts | None:
    """The refusal a check of this user name from this address would meet now, if any:
    for credentials trusted without a check (engine/security/credential_cache.py), which
    must not pass while a check would be refused, or the throttle stops no guess."""
    return _refusal(ctx, username[:USERNAME_LENGTH],
                    (client_address or "unknown")[:ADDRESS_LENGTH], attempt=None)


def _record(ctx: EngineContext, username: str, address: str) -> int:
    now = ctx.clock.now()
    with ctx.db.write() as s:
        s.execute(delete(SignInFailure).where(
            SignInFailure.failed_at <= now - timedelta(seconds=ctx.settings.signin_window_s)))
        return s.execute(insert(SignInFailure).values(
            username=username, client_address=address, failed_at=now)
            .returning(SignInFailure.id)).scalar_one()


def _remove(ctx: EngineContext, attempt: int) -> None:
    with ctx.db.write() as s:
        s.execute(delete(SignInFailure).where(SignInFailure.id == attempt))


def _refusal(ctx: EngineContext, username: str, address: str,
             attempt: int | None) -> TooManyAttempts | None:
    settings = ctx.settings
    now = ctx.clock.now()
    window = timedelta(seconds=settings.signin_window_s)
    waits = []
    with ctx.db.read() as s:
        for column, value, limit, whom in (
                (SignInFailure.username, username, settings.signin_max_failures,
                 "for this user name"),
                (SignInFailure.client_address, address,
                 settings.signin_max_failures_per_address, "from this address")):
            # The limit-th most recent other failure in the window: while it is there, this
            # attempt would be one too many; once it leaves the window, one fewer remains.
            others = () if attempt is None else (SignInFailure.id != attempt,)
            oldest_counted = s.scalar(
                select(SignInFailure.failed_at)
                .where(column == value, *others, SignInFailure.failed_at > now - window)
                .order_by(SignInFailure.failed_at.desc(), SignInFailure.id.desc())
                .offset(limit - 1).limit(1))
            if oldest_counted is not None:
                seconds = (oldest_counted + window - now).total_seconds()
                waits.append((max(1, math.ceil(seconds)), whom, limit))
    if not waits:
        return None
    retry_after, whom, limit = max(waits)
    return TooManyAttempts(
        f"{limit} failed sign-ins {whom} within {settings.signin_window_s} s; "
        f"try again in {retry_after} s", retry_after_s=retry_after)
