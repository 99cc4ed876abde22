"""Users (accounts, roles, the operator's admin recovery) and organisational units. Signing
in and tokens: engine/usecases/signing_in.py."""
from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from engine.errors import (
    AlreadyExists,
    Conflict,
    InvalidInput,
    UnitNotFound,
    UserNotFound,
)
from engine.persistence.tables import Task, Unit, User, UserRole
from engine.security.passwords import hash_password, verify_password
from engine.usecases import policy
from engine.usecases.constraints import (
    EMAIL_MAX_LENGTH,
    EMAIL_PATTERN,
    FULL_NAME_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    UNIT_CODE_PATTERN,
    UNIT_CODE_RULE,
    UNIT_NAME_MAX_LENGTH,
    USERNAME_PATTERN,
    USERNAME_RULE,
)
from engine.usecases.context import EngineContext
from engine.usecases.shared import _unit_view, _user_view, group_exists
from engine.usecases.signing_in import _account
from engine.usecases.tasks import release_claim
from engine.usecases.views import Actor, UnitView, UserView

# ---------------------------------------------------------------- users and units

def get_user(ctx: EngineContext, username: str, cached: bool = False) -> UserView | None:
    """The active user of this name, or None. With `cached` the answer may come from this
    process's cache of active users (engine/security/user_cache.py: at most
    LKJ_USER_CACHE_TTL_S old; update_user clears its entry at once)."""
    account = _account(ctx, username, cached)
    return account.view if account is not None else None


def create_user(ctx: EngineContext, actor: Actor, username: str, password: str,
                roles: list[str], full_name: str | None = None,
                email: str | None = None) -> UserView:
    policy.require_admin(actor)
    errors = _email_errors(email)
    if not re.fullmatch(USERNAME_PATTERN, username or ""):
        errors["username"] = [USERNAME_RULE]
    if full_name is not None and len(full_name) > FULL_NAME_MAX_LENGTH:
        errors["full_name"] = [f"must be at most {FULL_NAME_MAX_LENGTH} characters"]
    if not password or len(password) < PASSWORD_MIN_LENGTH:
        errors["password"] = [f"must be at least {PASSWORD_MIN_LENGTH} characters"]
    # Hashed before the transaction: no database lock is held while Argon2 waits or runs.
    password_hash = None if errors else hash_password(ctx.settings, password)
    with ctx.db.write() as s:
        bad_roles = [r for r in roles if not group_exists(s, r)]
        if bad_roles:
            errors["roles"] = [f"unknown role '{r}'" for r in bad_roles]
        if errors:
            raise InvalidInput("The user cannot be created", errors)
        if s.scalar(select(User.id).where(User.username == username)) is not None:
            raise AlreadyExists(f"a user named '{username}' exists already")
        user = User(username=username, password_hash=password_hash,
                    full_name=full_name, email=email, active=True, created_at=ctx.clock.now(),
                    roles=[UserRole(role=r) for r in sorted(set(roles))])
        s.add(user)
        try:
            s.flush()
        except IntegrityError:
            raise AlreadyExists(f"a user named '{username}' exists already") from None
        return _user_view(user)


def update_user(ctx: EngineContext, actor: Actor, username: str, full_name: str | None = None,
                roles: list[str] | None = None, active: bool | None = None,
                password: str | None = None, email: str | None = None) -> UserView:
    """Change a user's name, roles, password or whether it may sign in.

    A new password, a change of roles or a deactivation ends the user's tokens: at once in
    this process, within LKJ_USER_CACHE_TTL_S in the others (engine/usecases/signing_in.py).
    The last active admin can be neither deactivated nor lose 'admin' (Conflict). Tasks the
    user had claimed in a role it no longer holds (every claimed task, when deactivated)
    go back to their role's queue, each recorded in its instance's history."""
    policy.require_admin(actor)
    errors = _email_errors(email)
    if password is not None and len(password) < PASSWORD_MIN_LENGTH:
        errors["password"] = [f"must be at least {PASSWORD_MIN_LENGTH} characters"]
    if full_name is not None and len(full_name) > FULL_NAME_MAX_LENGTH:
        errors["full_name"] = [f"must be at most {FULL_NAME_MAX_LENGTH} characters"]
    # Hashed before the transaction: no database lock is held while Argon2 waits or runs.
    password_hash = hash_password(ctx.settings, password) \
        if password is not None and not errors else None
    with ctx.db.write() as s:
        user = s.scalar(select(User).where(User.username == username))
        if user is None:
            raise UserNotFound(f"no user '{username}'")
        if roles is not None:
            bad_roles = [r for r in roles if not group_exists(s, r)]
            if bad_roles:
                errors["roles"] = [f"unknown role '{r}'" for r in bad_roles]
        if errors:
            raise InvalidInput("The user cannot be changed", errors)
        old_roles = {r.role for r in user.roles}
        new_roles = set(roles) if roles is not None else old_roles
        deactivated = active is False and user.active
        if user.active and "admin" in old_roles and (deactivated or "admin" not in new_roles):
            _keep_an_admin(ctx, s, user)
        if full_name is not None:
            user.full_name = full_name
        if new_roles != old_roles:
            user.roles = [UserRole(role=r) for r in sorted(new_roles)]
        if active is not None:
            user.active = active
        if email is not None:
            user.email = email or None  # an empty string removes the address
        if password_hash is not None:
            user.password_hash = password_hash
        if password_hash is not None or new_roles != old_roles or deactivated:
            user.token_generation = User.token_generation + 1  # the older tokens end
        s.flush()
        if deactivated or new_roles != old_roles:
            _release_claims(ctx, s, actor, username, None if deactivated else new_roles)
        view = _user_view(user)
    ctx.users.forget(username)  # after the commit: a read racing it keeps nothing
    return view


def _keep_an_admin(ctx: EngineContext, s, user: User) -> None:
    """Conflict unless an active admin other than `user` remains. Every active admin's row
    is locked first, so two admins removing each other at once cannot both succeed: the
    second waits for the first, then counts again in a fresh statement (PostgreSQL reads
    committed data per statement; SQLite runs one writer at a time)."""
    admins = (select(User.id).join(UserRole).where(UserRole.role == "admin",
                                                   User.active.is_(True))
              .order_by(User.id))
    s.execute(ctx.db.lock_clause(admins, of=User)).all()
    others = s.scalar(select(func.count()).select_from(
        admins.where(User.id != user.id).subquery()))
    if not others:
        raise Conflict(f"'{user.username}' is the last active admin: make another user an "
                       "active admin first (or restore one with LKJ_ADMIN_PASSWORD at "
                       "`lkj serve`)")


def _release_claims(ctx: EngineContext, s, actor: Actor, username: str,
                    roles: set[str] | None) -> None:
    """Put back in their queues the open tasks `username` has claimed in a role outside
    `roles` (None: every one, the user was deactivated), as `unclaim_task` does: under each
    instance's lock (taken in id order), recorded as `task_unclaimed` by the actor."""
    claimed = select(Task).where(Task.assignee == username, Task.state == "claimed")
    if roles is not None:
        claimed = claimed.where(Task.role.not_in(roles))
    reason = "user deactivated" if roles is None else "role removed"
    for task in s.scalars(claimed.order_by(Task.process_instance_id, Task.id)).all():
        if roles is not None and policy.holds_queue(username, roles, task):
            continue  # one of the task's other queues (or the user's own) is still held
        release_claim(ctx, s, task, actor.username, reason)  # False: done meanwhile


def _email_errors(email: str | None) -> dict:
    """A plain shape check (constraints.EMAIL_PATTERN), at most EMAIL_MAX_LENGTH."""
    if not email:
        return {}
    if not re.fullmatch(EMAIL_PATTERN, email) or len(email) > EMAIL_MAX_LENGTH:
        return {"email": ["is not an e-mail address"]}
    return {}


def list_users(ctx: EngineContext, actor: Actor) -> list[UserView]:
    policy.require_admin(actor)
    with ctx.db.read() as s:
        return [_user_view(u) for u in s.scalars(select(User).order_by(User.username))]


def restore_admin(ctx: EngineContext, password: str, username: str = "admin") -> list[str]:
    """The operator's way back in (`LKJ_ADMIN_PASSWORD` at `lkj serve`): make `username` an
    active admin with this password, creating it if missing. Returns what had to change
    (empty: it already was so); any change ends the user's older tokens."""
    with ctx.db.read() as s:
        user = s.scalar(select(User).where(User.username == username))
        stored_hash = user.password_hash if user else None
        was_active = bool(user and user.active)
        was_admin = bool(user and any(r.role == "admin" for r in user.roles))
    # Argon2 outside the transactions: no database lock is held while it waits or runs.
    same_password = stored_hash is not None and verify_password(ctx.settings, stored_hash,
                                                                password)
    if same_password and was_active and was_admin:
        return []
    password_hash = stored_hash if same_password else hash_password(ctx.settings, password)
    with ctx.db.write() as s:
        user = s.scalar(select(User).where(User.username == username))
        if user is None:
            s.add(User(username=username, password_hash=password_hash, active=True,
                       full_name="Administrator", created_at=ctx.clock.now(),
                       roles=[UserRole(role="admin")]))
            return ["created"]
        changes = []
        if user.password_hash != password_hash:
            user.password_hash = password_hash
            changes.append("password set")
        if not user.active:
            user.active = True
            changes.append("reactivated")
        if all(r.role != "admin" for r in user.roles):
            user.roles.append(UserRole(role="admin"))
            changes.append("role 'admin' given back")
        if changes:  # whoever held the account's tokens meanwhile loses them
            user.token_generation = User.token_generation + 1
    ctx.users.forget(username)
    return changes


def create_unit(ctx: EngineContext, actor: Actor, code: str, name: str) -> UnitView:
    policy.require_admin(actor)
    errors = {}
    if not re.fullmatch(UNIT_CODE_PATTERN, code or ""):
        errors["code"] = [UNIT_CODE_RULE]
    if not name or len(name) > UNIT_NAME_MAX_LENGTH:
        errors["name"] = [f"must be 1 to {UNIT_NAME_MAX_LENGTH} characters"]
    if errors:
        raise InvalidInput("The unit cannot be created", errors)
    with ctx.db.write() as s:
        if s.get(Unit, code) is not None:
            raise AlreadyExists(f"a unit with code '{code}' exists already")
        unit = Unit(code=code, name=name, active=True, created_at=ctx.clock.now())
        s.add(unit)
        return _unit_view(unit)


def update_unit(ctx: EngineContext, actor: Actor, code: str, name: str | None = None,
                active: bool | None = None) -> UnitView:
    policy.require_admin(actor)
    if name is not None and not 1 <= len(name) <= UNIT_NAME_MAX_LENGTH:
        raise InvalidInput("The unit cannot be changed",
                           {"name": [f"must be 1 to {UNIT_NAME_MAX_LENGTH} characters"]})
    with ctx.db.write() as s:
        unit = s.get(Unit, code)
        if unit is None:
            raise UnitNotFound(f"no unit with code '{code}'")
        if name is not None:
            unit.name = name
        if active is not None:
            unit.active = active
        return _unit_view(unit)


def list_units(ctx: EngineContext, active_only: bool = False) -> list[UnitView]:
    with ctx.db.read() as s:
        query = select(Unit).order_by(Unit.code)
        if active_only:
            query = query.where(Unit.active.is_(True))
        return [_unit_view(u) for u in s.scalars(query)]
