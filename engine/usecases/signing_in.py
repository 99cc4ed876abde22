"""Signing in, the user behind a token, and a user changing its own password.

A token carries its user's token generation (engine/security/tokens.py). Changing a user's
password or roles, or deactivating it, increments the generation (`update_user`,
`change_own_password`, `restore_admin`), and a token of an older generation is refused.
Token checks read the user through this process's cache of active users
(engine/security/user_cache.py): the process that made the change forgets the user at once;
another process may still answer from an entry read before the change, so there an older
token keeps working for at most `LKJ_USER_CACHE_TTL_S` seconds after the change (default 5;
0: never). A token newer than the cached entry makes the process read the user again.

Password checks cost the same whether the user name exists, is inactive or is active
(engine/security/passwords.py), and run under the sign-in throttle
(engine/usecases/sign_in_throttle.py).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from engine.errors import AuthenticationFailed, InvalidInput
from engine.persistence.tables import User
from engine.security import tokens
from engine.security.passwords import hash_password, needs_rehash, verify_password
from engine.usecases import sign_in_throttle
from engine.usecases.constraints import PASSWORD_MIN_LENGTH
from engine.usecases.context import EngineContext
from engine.usecases.shared import _user_view
from engine.usecases.views import Actor, UserView


@dataclass(frozen=True)
class _Account:
    """A user as token checks need it: its view and its current token generation."""
    view: UserView
    generation: int

    @property
    def active(self) -> bool:
        return self.view.active


def _account(ctx: EngineContext, username: str, cached: bool = False) -> _Account | None:
    """The active user of this name, or None; with `cached`, possibly from this process's
    cache (at most LKJ_USER_CACHE_TTL_S old)."""
    if cached:
        return ctx.users.get(username, lambda name: _account(ctx, name))
    with ctx.db.read() as s:
        user = s.scalar(select(User).where(User.username == username))
        if user is None or not user.active:
            return None
        return _Account(_user_view(user), user.token_generation)


def _password_matches(ctx: EngineContext, username: str, password: str) -> _Account | None:
    """The active user of this name and password, or None. The Argon2 check (memory-hard,
    a few at a time per process) runs outside any transaction and is made for every name,
    known, inactive or unknown (then against a dummy hash), so each costs the same. A hash
    of another cost than the settings' is replaced."""
    with ctx.db.read() as s:
        user = s.scalar(select(User).where(User.username == username))
        account = _Account(_user_view(user), user.token_generation) if user else None
        stored_hash = user.password_hash if user else None
    if not verify_password(ctx.settings, stored_hash, password) or not account.active:
        return None
    if needs_rehash(ctx.settings, stored_hash):
        new_hash = hash_password(ctx.settings, password)
        with ctx.db.write() as s:  # unless the password was changed meanwhile
            s.execute(update(User).where(User.username == username,
                                         User.password_hash == stored_hash)
                      .values(password_hash=new_hash))
    return account


def authenticate(ctx: EngineContext, username: str, password: str) -> UserView:
    """The active user of this name and password; AuthenticationFailed otherwise. Not
    throttled: clients sign in with `sign_in`."""
    account = _password_matches(ctx, username, password)
    if account is None:
        raise AuthenticationFailed("unknown user or wrong password")
    return account.view


def sign_in(ctx: EngineContext, username: str, password: str,
            client_address: str | None) -> dict:
    """A new token (access_token, token_type, expires_in) for the user of this name and
    password. AuthenticationFailed for a wrong password or a name of no active user (the
    same answer, in the same time); TooManyAttempts after too many failures of this name or
    from this address."""
    account = sign_in_throttle.checked(ctx, username, client_address,
                                       lambda: _password_matches(ctx, username, password))
    if account is None:
        raise AuthenticationFailed("unknown user or wrong password")
    return tokens.issue(ctx.settings, account.view.username, account.generation)


def user_of_credentials(ctx: EngineContext, username: str, password: str,
                        client_address: str | None) -> UserView:
    """The user of a name and password sent with every call (HTTP Basic): signed in as
    `sign_in` does (throttled), and trusted again without the Argon2 check for a while
    (engine/security/credential_cache.py) while the user's token generation is unchanged."""
    key = ctx.credentials.key(username, password)
    remembered = ctx.credentials.generation(key)
    # While the name or address is throttled a remembered password is refused as well:
    # otherwise a guess that hits the cache would answer a question the throttle forbids.
    if remembered is not None and sign_in_throttle.refusal(ctx, username,
                                                           client_address) is None:
        account = _account(ctx, username, cached=True)
        if account is not None and account.generation == remembered:
            return account.view
    account = sign_in_throttle.checked(ctx, username, client_address,
                                       lambda: _password_matches(ctx, username, password))
    if account is None:
        raise AuthenticationFailed("unknown user or wrong password")
    ctx.credentials.remember(key, account.generation)
    return account.view


def user_of_token(ctx: EngineContext, token: str) -> UserView:
    """The active user a token names, if the token is still valid: signed here, not expired,
    of the user's current token generation. AuthenticationFailed (saying why) otherwise."""
    claims = tokens.read(ctx.settings, token)
    account = _account(ctx, claims.username, cached=True)
    if account is not None and account.generation < claims.generation:
        # The cached entry is older than the token: another process changed the user.
        ctx.users.forget(claims.username)
        account = _account(ctx, claims.username, cached=True)
    if account is None:
        raise AuthenticationFailed("The token's user does not exist or is inactive")
    if account.generation != claims.generation:
        raise AuthenticationFailed("The token was issued before the user's password or roles "
                                   "changed or it was deactivated; sign in again")
    return account.view


def change_own_password(ctx: EngineContext, actor: Actor, current_password: str,
                        new_password: str, client_address: str | None) -> dict:
    """The signed-in user replaces its password, proving it knows the current one (a wrong
    one is a failure the sign-in throttle counts). Every token issued before stops working;
    the answer is a new token."""
    if len(new_password) < PASSWORD_MIN_LENGTH:
        raise InvalidInput("The password cannot be changed", {
            "new_password": [f"must be at least {PASSWORD_MIN_LENGTH} characters"]})
    account = sign_in_throttle.checked(
        ctx, actor.username, client_address,
        lambda: _password_matches(ctx, actor.username, current_password),
        what="password change")
    if account is None:
        raise InvalidInput("The current password is wrong", {
            "current_password": ["is not the user's current password"]})
    new_hash = hash_password(ctx.settings, new_password)  # outside the transaction
    with ctx.db.write() as s:
        generation = s.execute(
            update(User).where(User.username == actor.username, User.active.is_(True))
            .values(password_hash=new_hash, token_generation=User.token_generation + 1)
            .returning(User.token_generation)).scalar_one_or_none()
    ctx.users.forget(actor.username)  # after the commit
    if generation is None:  # deactivated meanwhile
        raise AuthenticationFailed("The user is inactive")
    return tokens.issue(ctx.settings, actor.username, generation)
