"""Bearer tokens (JWT, HS256) and the acting user of a request.

The token only says who the caller is (its signature and expiry are checked on every
request); whether the user is active and which roles it has come from the database,
through a per-process cache of active users (engine/security/user_cache.py) kept for
`LKJ_USER_CACHE_TTL_S` seconds (default 5; 0 reads the database on every request).
Staleness bound: a deactivation or role change made through the engine (`PATCH
/users/{name}`) applies at once in the worker process that made it, and within
`LKJ_USER_CACHE_TTL_S` seconds in the other worker processes (and after a change written to
the database directly).
"""
from __future__ import annotations

import functools
import uuid
from datetime import datetime, timedelta, timezone

import jwt
from flask import request

from api.errors import unauthenticated
from api.extension import engine_context
from engine import usecases
from engine.settings import Settings
from engine.usecases.views import Actor, UserView

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["sub", "iat", "exp", "jti"]


def issue_token(settings: Settings, username: str) -> dict:
    # Wall-clock time, not the engine clock: PyJWT checks `exp` against wall-clock time.
    now = datetime.now(timezone.utc)
    claims = {"sub": username, "iat": now,
              "exp": now + timedelta(seconds=settings.token_ttl_s),
              "jti": uuid.uuid4().hex}
    return {"access_token": jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM),
            "token_type": "Bearer", "expires_in": settings.token_ttl_s}


def current_user() -> UserView:
    """The active user the request's bearer token names; ApiProblem 401 otherwise."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise unauthenticated("The request needs a bearer token", error=None)
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthenticated("The Authorization header must be 'Bearer <token>'")
    ctx = engine_context()
    try:
        claims = jwt.decode(token.strip(), ctx.settings.secret_key, algorithms=[ALGORITHM],
                            options={"require": REQUIRED_CLAIMS})
    except jwt.ExpiredSignatureError:
        raise unauthenticated("The token has expired") from None
    except jwt.InvalidTokenError:
        raise unauthenticated("The token is not valid") from None
    user = usecases.get_user(ctx, str(claims["sub"]), cached=True)
    if user is None:
        raise unauthenticated("The token's user does not exist or is inactive")
    return user


def actor_of(user: UserView) -> Actor:
    return Actor(user.username, frozenset(user.roles))


def authenticated(view):
    """Call the view with the request's Actor as its first argument."""
    @functools.wraps(view)
    def with_actor(*args, **kwargs):
        return view(actor_of(current_user()), *args, **kwargs)
    with_actor.lkj_secured = True
    return with_actor


def authenticated_user(view):
    """Call the view with the request's UserView (name, full name, roles) first."""
    @functools.wraps(view)
    def with_user(*args, **kwargs):
        return view(current_user(), *args, **kwargs)
    with_user.lkj_secured = True
    return with_user
