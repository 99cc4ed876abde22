"""Signing in and the bearer token: what it carries, and that the database decides (through
the per-process cache of active users, engine/security/user_cache.py)."""
from __future__ import annotations

import dataclasses

import jwt
import pytest
from argon2 import extract_parameters
from sqlalchemy import select, update

from api.app import create_app
from engine import usecases
from engine.persistence.tables import User
from engine.usecases.context import EngineContext
from tests.api.helpers import PASSWORD, assert_problem
from tests.conftest import ADMIN
from tests.worker.helpers import wait_until


def sign_in(client, username, password=PASSWORD):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def test_a_user_signs_in_and_sees_who_they_are(client, login, settings):
    login("kabag", "kepala_bagian", "staf")
    response = sign_in(client, "kabag")
    assert response.status_code == 200
    token = response.get_json()
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == settings.token_ttl_s
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert me.status_code == 200
    assert me.get_json() == {"username": "kabag", "full_name": "Pegawai kabag",
                             "roles": ["kepala_bagian", "staf"]}


def test_the_token_names_the_user_and_not_the_roles(client, login, settings):
    login("kabag", "kepala_bagian")
    token = sign_in(client, "kabag").get_json()["access_token"]
    claims = jwt.decode(token, settings.secret_key, algorithms=["HS256"])
    assert set(claims) == {"sub", "iat", "exp", "jti"}
    assert claims["sub"] == "kabag"
    assert claims["exp"] - claims["iat"] == settings.token_ttl_s
    other = sign_in(client, "kabag").get_json()["access_token"]
    assert jwt.decode(other, settings.secret_key, algorithms=["HS256"])["jti"] != claims["jti"]


@pytest.fixture
def client_with(settings):
    """client_with(**settings changes) -> a test client of an app on its own engine context
    (the same database, so its own user cache) with those settings."""
    contexts = []

    def make(**changes):
        context = EngineContext(dataclasses.replace(settings, **changes))
        contexts.append(context)
        return create_app(context).test_client(), context
    yield make
    for context in contexts:
        context.close()


def deactivate_behind_the_engines_back(ctx, username):
    """What another process, or SQL by hand, does: this process's cache is not told."""
    with ctx.db.write() as s:
        s.execute(update(User).where(User.username == username).values(active=False))


def test_a_deactivated_users_token_is_refused_at_once(client, login, ctx):
    headers = login("staf1", "staf")
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert "staf1" in ctx.users  # the next check would answer from the cache...
    usecases.update_user(ctx, ADMIN, "staf1", active=False)
    # ...but the command forgot the user in this process as it committed.
    assert_problem(client.get("/api/v1/me", headers=headers), 401)
    assert_problem(sign_in(client, "staf1"), 401)


def test_a_removed_role_is_effective_at_once(client, login, ctx):
    headers = login("boss", "admin", "staf")
    assert client.get("/api/v1/users", headers=headers).status_code == 200
    assert "boss" in ctx.users
    usecases.update_user(ctx, ADMIN, "boss", roles=["staf"])
    assert_problem(client.get("/api/v1/users", headers=headers), 403)
    assert client.get("/api/v1/me", headers=headers).get_json()["roles"] == ["staf"]


def test_a_change_made_elsewhere_is_seen_within_the_ttl(client_with, login):
    headers = login("staf1", "staf")
    client, ctx = client_with(user_cache_ttl_s=0.3)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    deactivate_behind_the_engines_back(ctx, "staf1")
    # the cache reads the process's monotonic clock, not the engine's: wait for the entry
    # read by the request above to expire (the bound is generous, the wait itself is the TTL)
    wait_until(lambda: "staf1" not in ctx.users, timeout=10, interval=0.02,
               what="the cached user expiring")
    assert_problem(client.get("/api/v1/me", headers=headers), 401)
    assert "staf1" not in ctx.users  # inactive users are not kept


def test_until_the_ttl_a_change_made_elsewhere_is_not_seen(client_with, login):
    headers = login("staf1", "staf")
    client, ctx = client_with(user_cache_ttl_s=60)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    deactivate_behind_the_engines_back(ctx, "staf1")
    # The staleness the cache accepts: another process's change waits for the TTL.
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    ctx.users.forget("staf1")
    assert_problem(client.get("/api/v1/me", headers=headers), 401)


def test_with_a_ttl_of_0_nothing_is_cached(client_with, login):
    headers = login("staf1", "staf")
    client, ctx = client_with(user_cache_ttl_s=0)
    for _ in range(3):
        assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert len(ctx.users) == 0
    deactivate_behind_the_engines_back(ctx, "staf1")
    assert_problem(client.get("/api/v1/me", headers=headers), 401)


def test_a_hash_of_another_cost_verifies_and_is_replaced_at_sign_in(client_with, login, ctx):
    login("staf1", "staf")  # hashed at the cost of these tests' settings
    def stored_parameters():
        with ctx.db.read() as s:
            return extract_parameters(
                s.scalar(select(User.password_hash).where(User.username == "staf1")))
    before = stored_parameters()
    assert (before.memory_cost, before.time_cost, before.parallelism) == (1024, 1, 1)
    client, _ = client_with(argon2_memory_kib=2048, argon2_time_cost=2, argon2_parallelism=2)
    assert_problem(sign_in(client, "staf1", "wrong-password"), 401)
    assert stored_parameters() == before  # a failed sign-in rehashes nothing
    assert sign_in(client, "staf1").status_code == 200
    after = stored_parameters()
    assert (after.memory_cost, after.time_cost, after.parallelism) == (2048, 2, 2)
    assert sign_in(client, "staf1").status_code == 200  # the new hash verifies
    assert stored_parameters() == after


def test_missing_credentials_are_422(client):
    assert_problem(client.post("/api/v1/auth/token", json={"username": "x"}), 422,
                   field="password")


def test_unknown_user_is_401(client):
    assert_problem(sign_in(client, "nobody"), 401)
