"""The acting user of a request, from its bearer token.

Issuing and checking tokens is the engine's (`usecases.sign_in`, `usecases.user_of_token`,
engine/security/tokens.py): a token is refused when it is not signed here, has expired,
names no active user, or was issued before the user's password or roles changed or it was
deactivated. That last check reads the user through a per-process cache of active users
(engine/security/user_cache.py, `LKJ_USER_CACHE_TTL_S`, default 5 s; 0 reads the database
on every request). Staleness bound: a change made through the engine (`PATCH
/users/{name}`, `POST /me/password`) applies at once in the worker process that made it;
in the other worker processes (and after a change written to the database directly), an
older token keeps working for at most `LKJ_USER_CACHE_TTL_S` seconds after the change.
"""
from __future__ import annotations

import functools

from flask import request

from api.errors import unauthenticated
from api.extension import engine_context
from api.observability import remember_user
from engine import usecases
from engine.errors import AuthenticationFailed
from engine.usecases.views import Actor, UserView


def current_user() -> UserView:
    """The active user the request's bearer token names; ApiProblem 401 otherwise."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise unauthenticated("The request needs a bearer token", error=None)
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthenticated("The Authorization header must be 'Bearer <token>'")
    try:
        user = usecases.user_of_token(engine_context(), token.strip())
    except AuthenticationFailed as failure:
        raise unauthenticated(failure.detail) from None
    remember_user(user.username)
    return user


def client_address() -> str | None:
    """The address the sign-in throttle counts: the peer of the connection. Behind a
    reverse proxy that is the proxy's address; X-Forwarded-For is not trusted."""
    return request.remote_addr


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
