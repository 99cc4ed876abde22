"""User accounts (admin only; a user's own password: routes/auth.py)."""
from flask import Blueprint, jsonify

from api.auth import authenticated
from api.extension import engine_context
from api.openapi import operation
from api.parsing import json_body
from api.schemas import (
    UserCreateSchema,
    UserListSchema,
    UserSchema,
    UserUpdateSchema,
    shared,
)
from engine import usecases

bp = Blueprint("users", __name__, url_prefix="/api/v1")


@bp.post("/users")
@operation("Create a user", body=UserCreateSchema, response=UserSchema, status=201,
           errors=(403, 409))
@authenticated
def create_user(actor):
    fields = json_body(shared(UserCreateSchema))
    user = usecases.create_user(engine_context(), actor, **fields)
    return jsonify(shared(UserSchema).dump(user)), 201


@bp.get("/users")
@operation("List the users", response=UserListSchema, errors=(403,))
@authenticated
def list_users(actor):
    users = usecases.list_users(engine_context(), actor)
    return jsonify(shared(UserListSchema).dump({"items": users}))


@bp.patch("/users/<username>")
@operation("Change a user's name, roles, password or whether it may sign in",
           body=UserUpdateSchema, response=UserSchema, errors=(403, 404, 409),
           description="Only the fields sent change; `roles` replaces the roles. A new "
                       "password, a change of roles or a deactivation ends every token the "
                       "user was issued before: at once in the server process that handles "
                       "the change, within LKJ_USER_CACHE_TTL_S seconds (default 5) in the "
                       "others. Tasks the user had claimed in a role it no longer holds "
                       "(all of them, when deactivated) go back to their queue, recorded in "
                       "each instance's history. The last active admin cannot be "
                       "deactivated or lose `admin` (409).")
@authenticated
def update_user(actor, username):
    fields = json_body(shared(UserUpdateSchema))
    user = usecases.update_user(engine_context(), actor, username, **fields)
    return jsonify(shared(UserSchema).dump(user))
