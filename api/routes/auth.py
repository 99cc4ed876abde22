"""Signing in (a bearer token for a user name and password) and who the caller is."""
from flask import Blueprint, jsonify

from api.auth import authenticated_user, issue_token
from api.extension import engine_context
from api.openapi import operation
from api.parsing import json_body
from api.schemas import MeSchema, TokenRequestSchema, TokenSchema, shared
from engine import usecases

bp = Blueprint("auth", __name__, url_prefix="/api/v1")


@bp.post("/auth/token")
@operation("Exchange a user name and password for a bearer token",
           body=TokenRequestSchema, response=TokenSchema, errors=(401,))
def token():
    credentials = json_body(shared(TokenRequestSchema))
    ctx = engine_context()
    user = usecases.authenticate(ctx, credentials["username"], credentials["password"])
    return jsonify(shared(TokenSchema).dump(issue_token(ctx.settings, user.username)))


@bp.get("/me")
@operation("The calling user", response=MeSchema)
@authenticated_user
def me(user):
    return jsonify(shared(MeSchema).dump(user))
