"""Signing in (a bearer token for a user name and password), who the caller is, and the
caller changing its own password."""
from flask import Blueprint, jsonify

from api.auth import authenticated, authenticated_user, client_address
from api.extension import engine_context
from api.openapi import operation
from api.parsing import json_body
from api.schemas import (
    MeSchema,
    PasswordChangeSchema,
    TokenRequestSchema,
    TokenSchema,
    shared,
)
from engine import usecases

bp = Blueprint("auth", __name__, url_prefix="/api/v1")

THROTTLE = ("After LKJ_SIGNIN_MAX_FAILURES failed password checks of one user name (default "
            "10), or LKJ_SIGNIN_MAX_FAILURES_PER_ADDRESS from one client address (default "
            "100), within LKJ_SIGNIN_WINDOW_S seconds (default 900), further attempts are "
            "refused with 429 and a Retry-After header (seconds), even with the right "
            "password.")


@bp.post("/auth/token")
@operation("Exchange a user name and password for a bearer token",
           body=TokenRequestSchema, response=TokenSchema, errors=(401, 429),
           description="The token names the user and ends after `expires_in` seconds, or "
                       "earlier when the user's password or roles change or it is "
                       "deactivated (at once in the server process that made the change, "
                       "within LKJ_USER_CACHE_TTL_S seconds, default 5, in the others). An "
                       "unknown user name and a wrong password get the same 401. " + THROTTLE)
def token():
    credentials = json_body(shared(TokenRequestSchema))
    issued = usecases.sign_in(engine_context(), credentials["username"],
                              credentials["password"], client_address())
    return jsonify(shared(TokenSchema).dump(issued))


@bp.get("/me")
@operation("The calling user", response=MeSchema)
@authenticated_user
def me(user):
    return jsonify(shared(MeSchema).dump(user))


@bp.post("/me/password")
@operation("Change the caller's own password", body=PasswordChangeSchema,
           response=TokenSchema, errors=(429,),
           description="Needs the current password (a wrong one is 422 naming "
                       "`current_password`, and counts as a failed sign-in). The new one "
                       "must have at least 8 characters. Every token issued before stops "
                       "working (in the other server processes within LKJ_USER_CACHE_TTL_S "
                       "seconds); the answer is a new token. " + THROTTLE)
@authenticated
def change_password(actor):
    fields = json_body(shared(PasswordChangeSchema))
    issued = usecases.change_own_password(engine_context(), actor, fields["current_password"],
                                          fields["new_password"], client_address())
    return jsonify(shared(TokenSchema).dump(issued))
