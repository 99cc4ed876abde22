"""Groups (roles) and their members (admin). The standard's roles, `admin` and `auditor`
exist from the first start; a unit's group comes with the unit."""
from flask import Blueprint, jsonify

from api.auth import authenticated
from api.extension import engine_context
from api.openapi import operation
from api.parsing import json_body
from api.schemas import (
    GroupCreateSchema,
    GroupListSchema,
    GroupMemberPath,
    GroupPath,
    GroupSchema,
    UserListSchema,
    UserSchema,
    shared,
)
from engine import usecases

bp = Blueprint("groups", __name__, url_prefix="/api/v1")


@bp.get("/groups")
@operation("Every group a task may be queued for, with its number of members (admin)",
           response=GroupListSchema, errors=(403,))
@authenticated
def list_groups(actor):
    groups = usecases.list_groups(engine_context(), actor)
    return jsonify(shared(GroupListSchema).dump({"items": groups}))


@bp.post("/groups")
@operation("Add a group (admin)", body=GroupCreateSchema, response=GroupSchema, status=201,
           errors=(403, 409))
@authenticated
def create_group(actor):
    fields = json_body(shared(GroupCreateSchema))
    group = usecases.create_group(engine_context(), actor, **fields)
    return jsonify(shared(GroupSchema).dump(group)), 201


@bp.delete("/groups/<name>")
@operation("Delete a group nobody holds and no open task waits for (admin)", path=GroupPath,
           status=204, errors=(403, 404, 409),
           description="409 says how many members and open tasks it still has; `admin` and "
                       "`auditor` are never deleted.")
@authenticated
def delete_group(actor, name):
    usecases.delete_group(engine_context(), actor, name)
    return "", 204


@bp.get("/groups/<name>/members")
@operation("The users holding a group (admin)", path=GroupPath, response=UserListSchema,
           errors=(403, 404))
@authenticated
def group_members(actor, name):
    users = usecases.group_members(engine_context(), actor, name)
    return jsonify(shared(UserListSchema).dump({"items": users}))


@bp.put("/groups/<name>/members/<username>")
@operation("Make a user a member of a group (admin)", path=GroupMemberPath,
           response=UserSchema, errors=(403, 404, 409),
           description="A change of the user's roles, as PATCH /users/{username} makes it: "
                       "their tokens end.")
@authenticated
def add_member(actor, name, username):
    user = usecases.add_member(engine_context(), actor, name, username)
    return jsonify(shared(UserSchema).dump(user))


@bp.delete("/groups/<name>/members/<username>")
@operation("Take a user out of a group (admin)", path=GroupMemberPath, response=UserSchema,
           errors=(403, 404, 409),
           description="A change of the user's roles: their tokens end and the tasks they "
                       "had claimed for this group go back to its queue. The last active "
                       "admin stays an admin (409).")
@authenticated
def remove_member(actor, name, username):
    user = usecases.remove_member(engine_context(), actor, name, username)
    return jsonify(shared(UserSchema).dump(user))
