"""Groups (roles) are data: the standard's roles, `admin` and `auditor` exist from the first
start (migration 0011 seeds them); an admin adds and removes others and their members. A
unit's group (`satuan_kerja:<code>`) comes with the unit. A group's members are the users
holding it: adding or removing one is a change of the user's roles (`update_user`: their
tokens end, claims in a role they lost go back to the queue)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select

from engine.errors import AlreadyExists, Conflict, GroupNotFound, InvalidInput, UserNotFound
from engine.persistence.tables import RoleGroup, Task, Unit, User, UserRole
from engine.usecases import policy
from engine.usecases.constraints import (
    GROUP_DESCRIPTION_MAX_LENGTH,
    GROUP_NAME_PATTERN,
    GROUP_NAME_RULE,
)
from engine.usecases.context import EngineContext
from engine.usecases.shared import OPEN_STATES, _user_view, group_exists
from engine.usecases.users import update_user
from engine.usecases.views import Actor, UserView
from engine.workflow.model import KNOWN_ROLES, UNIT_ROLE_PREFIX

# The groups the schema starts with (migration 0011 writes the same names out).
STANDARD_GROUPS = KNOWN_ROLES
# The engine's own powers hang on these: they are never deleted.
PERMANENT_GROUPS = frozenset({policy.ADMIN, policy.AUDITOR})


@dataclass(frozen=True)
class GroupView:
    name: str
    description: str | None
    kind: str  # role | unit
    members: int


def known_groups(ctx: EngineContext) -> set[str]:
    """Every group a task may be queued for now: the role groups and each unit's group."""
    with ctx.db.read() as s:
        return _known_groups(s)


def _known_groups(s) -> set[str]:
    return (set(s.scalars(select(RoleGroup.name)))
            | {UNIT_ROLE_PREFIX + code for code in s.scalars(select(Unit.code))})


def list_groups(ctx: EngineContext, actor: Actor) -> list[GroupView]:
    policy.require_admin(actor)
    with ctx.db.read() as s:
        counts = dict(s.execute(select(UserRole.role, func.count()).group_by(UserRole.role))
                      .all())
        views = [GroupView(g.name, g.description, "role", counts.get(g.name, 0))
                 for g in s.scalars(select(RoleGroup))]
        views += [GroupView(UNIT_ROLE_PREFIX + u.code, u.name, "unit",
                            counts.get(UNIT_ROLE_PREFIX + u.code, 0))
                  for u in s.scalars(select(Unit))]
    return sorted(views, key=lambda v: (v.kind, v.name))


def create_group(ctx: EngineContext, actor: Actor, name: str,
                 description: str | None = None) -> GroupView:
    policy.require_admin(actor)
    errors = {}
    if not re.fullmatch(GROUP_NAME_PATTERN, name or ""):
        errors["name"] = [GROUP_NAME_RULE + (
            f"; unit groups ({UNIT_ROLE_PREFIX}<code>) come with units (POST /units)"
            if (name or "").startswith(UNIT_ROLE_PREFIX) else "")]
    if description is not None and len(description) > GROUP_DESCRIPTION_MAX_LENGTH:
        errors["description"] = [f"must be at most {GROUP_DESCRIPTION_MAX_LENGTH} characters"]
    if errors:
        raise InvalidInput("The group cannot be created", errors)
    with ctx.db.write() as s:
        if s.get(RoleGroup, name) is not None:
            raise AlreadyExists(f"a group named '{name}' exists already")
        s.add(RoleGroup(name=name, description=description, created_at=ctx.clock.now()))
    return GroupView(name, description, "role", 0)


def delete_group(ctx: EngineContext, actor: Actor, name: str) -> None:
    """Only a group nobody holds and no open task waits for (409 otherwise, saying which);
    `admin` and `auditor` never."""
    policy.require_admin(actor)
    with ctx.db.write() as s:
        group = s.get(RoleGroup, name)
        if group is None:
            raise GroupNotFound(f"no group '{name}'" + (
                "; a unit's group goes with the unit (deactivate the unit)"
                if name.startswith(UNIT_ROLE_PREFIX) else ""))
        if name in PERMANENT_GROUPS:
            raise Conflict(f"'{name}' is one of the engine's own groups: it cannot be deleted")
        members = s.scalar(select(func.count()).select_from(UserRole)
                           .where(UserRole.role == name))
        tasks = s.scalar(select(func.count()).select_from(Task)
                         .where(Task.role == name, Task.state.in_(OPEN_STATES)))
        if members or tasks:
            raise Conflict(f"group '{name}' is in use: {members} member(s), {tasks} open "
                           "task(s) queued for it")
        s.delete(group)


def group_members(ctx: EngineContext, actor: Actor, name: str) -> list[UserView]:
    policy.require_admin(actor)
    with ctx.db.read() as s:
        _require_group(s, name)
        users = s.scalars(select(User).join(UserRole).where(UserRole.role == name)
                          .order_by(User.username))
        return [_user_view(u) for u in users]


def add_member(ctx: EngineContext, actor: Actor, name: str, username: str) -> UserView:
    return _change_membership(ctx, actor, name, username, add=True)


def remove_member(ctx: EngineContext, actor: Actor, name: str, username: str) -> UserView:
    return _change_membership(ctx, actor, name, username, add=False)


def _change_membership(ctx, actor, name, username, add: bool) -> UserView:
    policy.require_admin(actor)
    with ctx.db.read() as s:
        _require_group(s, name)
        user = s.scalar(select(User).where(User.username == username))
        roles = {r.role for r in user.roles} if user is not None else set()
    if user is None:
        raise UserNotFound(f"no user '{username}'")
    roles = roles | {name} if add else roles - {name}
    return update_user(ctx, actor, username, roles=sorted(roles))


def _require_group(s, name: str) -> None:
    if not group_exists(s, name):
        raise GroupNotFound(f"no group '{name}'")
