"""Users (accounts, roles, sign-in) and organisational units."""
from __future__ import annotations

import re

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from engine.errors import (
    AlreadyExists,
    AuthenticationFailed,
    InvalidInput,
    UnitNotFound,
    UserNotFound,
)
from engine.persistence.tables import Unit, User, UserRole
from engine.security.passwords import hash_password, needs_rehash, verify_password
from engine.usecases.constraints import (
    EMAIL_MAX_LENGTH,
    EMAIL_PATTERN,
    FULL_NAME_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    UNIT_CODE_MAX_LENGTH,
    UNIT_CODE_PATTERN,
    UNIT_NAME_MAX_LENGTH,
    USERNAME_MAX_LENGTH,
)
from engine.usecases.context import EngineContext
from engine.usecases.shared import _require_admin, _role_exists, _unit_view, _user_view
from engine.usecases.views import Actor, UnitView, UserView

# ---------------------------------------------------------------- users and units

def authenticate(ctx: EngineContext, username: str, password: str) -> UserView:
    """The active user of this name and password; AuthenticationFailed otherwise. The
    Argon2 check (memory-hard, a few at a time per process: engine/security/passwords.py) runs
    outside any transaction, so a sign-in holds no database lock or connection while it
    waits or hashes. A hash of another cost than the settings' is replaced."""
    with ctx.db.read() as s:
        user = s.scalar(select(User).where(User.username == username))
        view = _user_view(user) if user is not None else None
        stored_hash = user.password_hash if user is not None else None
    if view is None or not view.active \
            or not verify_password(ctx.settings, stored_hash, password):
        raise AuthenticationFailed("unknown user or wrong password")
    if needs_rehash(ctx.settings, stored_hash):
        new_hash = hash_password(ctx.settings, password)
        with ctx.db.write() as s:  # unless the password was changed meanwhile
            s.execute(update(User).where(User.username == username,
                                         User.password_hash == stored_hash)
                      .values(password_hash=new_hash))
    return view


def get_user(ctx: EngineContext, username: str, cached: bool = False) -> UserView | None:
    """The active user of this name, or None (for token checks). With `cached` the answer
    may come from this process's cache of active users (engine/security/user_cache.py: at most
    LKJ_USER_CACHE_TTL_S old; update_user clears its entry at once)."""
    if cached:
        return ctx.users.get(username, lambda name: get_user(ctx, name))
    with ctx.db.read() as s:
        user = s.scalar(select(User).where(User.username == username))
        return _user_view(user) if user is not None and user.active else None


def create_user(ctx: EngineContext, actor: Actor, username: str, password: str,
                roles: list[str], full_name: str | None = None,
                email: str | None = None) -> UserView:
    _require_admin(actor)
    errors = _email_errors(email)
    if not username or len(username) > USERNAME_MAX_LENGTH:
        errors["username"] = [f"must be 1 to {USERNAME_MAX_LENGTH} characters"]
    if not password or len(password) < PASSWORD_MIN_LENGTH:
        errors["password"] = [f"must be at least {PASSWORD_MIN_LENGTH} characters"]
    # Hashed before the transaction: no database lock is held while Argon2 waits or runs.
    password_hash = None if errors else hash_password(ctx.settings, password)
    with ctx.db.write() as s:
        bad_roles = [r for r in roles if not _role_exists(s, r)]
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
    """Change a user's name, roles, password or whether it may sign in. A deactivated
    user's tokens stop working, and changed roles apply, at once in this process and within
    LKJ_USER_CACHE_TTL_S in the others (engine/security/user_cache.py)."""
    _require_admin(actor)
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
            bad_roles = [r for r in roles if not _role_exists(s, r)]
            if bad_roles:
                errors["roles"] = [f"unknown role '{r}'" for r in bad_roles]
        if errors:
            raise InvalidInput("The user cannot be changed", errors)
        if full_name is not None:
            user.full_name = full_name
        if roles is not None:
            user.roles = [UserRole(role=r) for r in sorted(set(roles))]
        if active is not None:
            user.active = active
        if email is not None:
            user.email = email or None  # an empty string removes the address
        if password_hash is not None:
            user.password_hash = password_hash
        s.flush()
        view = _user_view(user)
    ctx.users.forget(username)  # after the commit: a read racing it keeps nothing
    return view


def _email_errors(email: str | None) -> dict:
    """A plain shape check (constraints.EMAIL_PATTERN), at most EMAIL_MAX_LENGTH."""
    if not email:
        return {}
    if not re.fullmatch(EMAIL_PATTERN, email) or len(email) > EMAIL_MAX_LENGTH:
        return {"email": ["is not an e-mail address"]}
    return {}


def list_users(ctx: EngineContext, actor: Actor) -> list[UserView]:
    _require_admin(actor)
    with ctx.db.read() as s:
        return [_user_view(u) for u in s.scalars(select(User).order_by(User.username))]


def ensure_admin(ctx: EngineContext, password: str, username: str = "admin") -> bool:
    """Create the admin user on first start; True if it was created."""
    with ctx.db.read() as s:
        if s.scalar(select(User.id).where(User.username == username)) is not None:
            return False
    password_hash = hash_password(ctx.settings, password)  # outside the write transaction
    with ctx.db.write() as s:
        if s.scalar(select(User.id).where(User.username == username)) is not None:
            return False
        s.add(User(username=username, password_hash=password_hash, active=True,
                   full_name="Administrator", created_at=ctx.clock.now(),
                   roles=[UserRole(role="admin")]))
        return True


def create_unit(ctx: EngineContext, actor: Actor, code: str, name: str) -> UnitView:
    _require_admin(actor)
    errors = {}
    if not re.fullmatch(UNIT_CODE_PATTERN, code or ""):
        errors["code"] = [f"must be 1 to {UNIT_CODE_MAX_LENGTH} letters, digits, '-', '_' or "
                          f"'.', starting with a letter or digit"]
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
    _require_admin(actor)
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
