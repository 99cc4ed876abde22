"""Identity: users, groups (our roles) and a password check. Users and groups are admins'
business (the policy); a user who is not an admin reads only itself."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from api.auth import client_address
from api.camunda import paging
from api.camunda.auth import authenticated
from api.camunda.bodies import json_object
from api.extension import engine_context
from engine import usecases
from engine.errors import AuthenticationFailed, InvalidInput, UserNotFound


def add_routes(bp: Blueprint) -> None:
    bp.add_url_rule("/user", "users", list_users)
    bp.add_url_rule("/user/count", "user_count", count_users)
    bp.add_url_rule("/user/<user_id>/profile", "user_profile", user_profile)
    bp.add_url_rule("/group", "groups", list_groups)
    bp.add_url_rule("/group/count", "group_count", count_groups)
    bp.add_url_rule("/identity/groups", "identity_groups", identity_groups)
    bp.add_url_rule("/identity/verify", "identity_verify", verify, methods=["POST"])


def user_dto(user) -> dict:
    first, _, last = (user.full_name or "").partition(" ")
    return {"id": user.username, "firstName": first or None, "lastName": last or None,
            "email": user.email}


def group_dto(name: str, description: str | None = None) -> dict:
    return {"id": name, "name": description or name, "type": "WORKFLOW"}


def _users(actor, username: str | None) -> list:
    """Who the caller may see: itself through `get_user`, anyone else through the
    admin-only list (its policy refuses a non-admin)."""
    ctx = engine_context()
    if username is not None and username == actor.username:
        user = usecases.get_user(ctx, username)
        return [user] if user is not None else []
    users = usecases.list_users(ctx, actor)
    return [u for u in users if username is None or u.username == username]


def _user_matches(actor) -> list:
    query = request.args
    found = _users(actor, paging.text(query, "id"))
    ids = None if query.get("idIn") in (None, "") else paging.listed(query["idIn"], "idIn")
    member = paging.text(query, "memberOfGroup")
    return [u for u in found if (ids is None or u.username in ids)
            and (member is None or member in u.roles)]


@authenticated
def list_users(actor):
    return jsonify([user_dto(u) for u in paging.page_of(_user_matches(actor))])


@authenticated
def count_users(actor):
    return jsonify({"count": len(_user_matches(actor))})


@authenticated
def user_profile(actor, user_id):
    found = _users(actor, user_id)
    if not found:
        raise UserNotFound(f"user '{user_id}' does not exist")
    return jsonify(user_dto(found[0]))


def _group_matches(actor) -> list:
    query = request.args
    groups = usecases.list_groups(engine_context(), actor)
    member = paging.text(query, "member")
    roles = None if member is None else set(_member_roles(actor, member))
    wanted = paging.text(query, "id")
    ids = None if query.get("idIn") in (None, "") else paging.listed(query["idIn"], "idIn")
    return [g for g in groups if (wanted is None or g.name == wanted)
            and (ids is None or g.name in ids) and (roles is None or g.name in roles)]


def _member_roles(actor, username: str) -> list[str]:
    found = _users(actor, username)
    return found[0].roles if found else []


@authenticated
def list_groups(actor):
    return jsonify([group_dto(g.name, g.description)
                    for g in paging.page_of(_group_matches(actor))])


@authenticated
def count_groups(actor):
    return jsonify({"count": len(_group_matches(actor))})


@authenticated
def identity_groups(actor):
    username = paging.text(request.args, "userId")
    if username is None:
        raise InvalidInput("userId is required", {"userId": ["is required"]})
    roles = sorted(_member_roles(actor, username))
    return jsonify({"groups": [group_dto(r) for r in roles],
                    "groupUsers": [user_dto(u) for u in _users(actor, username)]})


@authenticated
def verify(actor):
    body = json_object()
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise InvalidInput("username and password are required texts",
                           {"username": ["is required"], "password": ["is required"]})
    try:
        usecases.sign_in(engine_context(), username, password, client_address())
    except AuthenticationFailed:
        return jsonify({"authenticatedUser": username, "authenticated": False})
    return jsonify({"authenticatedUser": username, "authenticated": True})
