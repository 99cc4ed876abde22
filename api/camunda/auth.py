"""Who calls: HTTP Basic (the user's name and password, checked by the engine's sign-in
with its throttle, then trusted for a while: engine/security/credential_cache.py) or a
bearer token of `/api/v1/auth/token`. Camunda's groups are our roles."""
from __future__ import annotations

import base64
import binascii
import functools

from flask import request

from api.auth import actor_of, client_address
from api.errors import ApiProblem
from api.extension import engine_context
from api.observability import remember_user
from engine import usecases
from engine.errors import AuthenticationFailed
from engine.usecases.views import UserView


def _refused(detail: str) -> ApiProblem:
    return ApiProblem(401, "Authentication required", detail, kind="unauthenticated")


def caller() -> UserView:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    scheme, credentials = scheme.lower(), credentials.strip()
    ctx = engine_context()
    try:
        if scheme == "basic" and credentials:
            username, password = _basic(credentials)
            user = usecases.user_of_credentials(ctx, username, password, client_address())
        elif scheme == "bearer" and credentials:
            user = usecases.user_of_token(ctx, credentials)
        else:
            raise _refused("Send 'Authorization: Basic ...' or 'Authorization: Bearer ...'")
    except AuthenticationFailed as failure:
        raise _refused(failure.detail) from None
    remember_user(user.username)
    return user


def _basic(credentials: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise _refused("The Basic credentials are not base64 of 'user:password'") from None
    username, colon, password = decoded.partition(":")
    if not colon:
        raise _refused("The Basic credentials are not base64 of 'user:password'")
    return username, password


def authenticated(view):
    """Call the view with the caller's Actor first."""
    @functools.wraps(view)
    def with_actor(*args, **kwargs):
        return view(actor_of(caller()), *args, **kwargs)
    return with_actor
