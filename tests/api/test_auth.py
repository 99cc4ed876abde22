"""Signing in and the bearer token: what it carries, that the database decides (through
the per-process cache of active users, engine/security/user_cache.py), which changes end it,
a user changing its own password, and that a failed sign-in says nothing of which user
names exist."""
from __future__ import annotations

import dataclasses
import statistics
import time

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
    assert set(claims) == {"sub", "gen", "iat", "exp", "jti"}
    assert claims["sub"] == "kabag"
    assert claims["gen"] == 0  # the user's token generation: nothing changed yet
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


def test_a_role_change_ends_the_users_tokens_at_once(client, login, ctx):
    login("root", "admin")  # another admin: the last one could not lose the role
    headers = login("boss", "admin", "staf")
    assert client.get("/api/v1/users", headers=headers).status_code == 200
    assert "boss" in ctx.users
    usecases.update_user(ctx, ADMIN, "boss", roles=["staf"])
    body = assert_problem(client.get("/api/v1/users", headers=headers), 401)
    assert "sign in again" in body["detail"]
    again = {"Authorization": f"Bearer {sign_in(client, 'boss').get_json()['access_token']}"}
    assert_problem(client.get("/api/v1/users", headers=again), 403)
    assert client.get("/api/v1/me", headers=again).get_json()["roles"] == ["staf"]


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


# ---------------------------------------------------------------- tokens that end

def bearer(response) -> dict:
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def test_a_token_issued_before_a_password_change_is_401(client, login, admin):
    old = login("sari", "staf")
    assert client.patch("/api/v1/users/sari", json={"password": "another-password"},
                        headers=admin).status_code == 200
    body = assert_problem(client.get("/api/v1/me", headers=old), 401)
    assert "sign in again" in body["detail"]
    fresh = sign_in(client, "sari", "another-password")
    assert client.get("/api/v1/me", headers=bearer(fresh)).status_code == 200


def test_a_token_without_a_generation_is_401(client, login, settings):
    """As issued before token generations existed: it names the user, but says nothing of
    which password it was issued for."""
    login("sari", "staf")
    token = sign_in(client, "sari").get_json()["access_token"]
    claims = jwt.decode(token, settings.secret_key, algorithms=["HS256"])
    del claims["gen"]
    legacy = {"Authorization": "Bearer " + jwt.encode(claims, settings.secret_key, "HS256")}
    assert "not valid" in assert_problem(client.get("/api/v1/me", headers=legacy), 401)["detail"]


# ---------------------------------------------------------------- one's own password

def change_password(client, headers, current=PASSWORD, new="another-password"):
    return client.post("/api/v1/me/password", headers=headers,
                       json={"current_password": current, "new_password": new})


def test_a_user_changes_its_own_password_and_gets_a_fresh_token(client, login, settings):
    old = login("sari", "staf")
    other_old = login("sari", "staf")  # a second session of the same user
    response = change_password(client, old)
    assert response.status_code == 200
    token = response.get_json()
    assert token["token_type"] == "Bearer" and token["expires_in"] == settings.token_ttl_s
    assert client.get("/api/v1/me", headers=bearer(response)).get_json()["username"] == "sari"
    for headers in (old, other_old):  # every older token ended
        assert_problem(client.get("/api/v1/me", headers=headers), 401)
    assert_problem(sign_in(client, "sari"), 401)
    assert sign_in(client, "sari", "another-password").status_code == 200


@pytest.mark.parametrize("body, field", [
    ({"current_password": "not-the-password", "new_password": "another-password"},
     "current_password"),
    ({"current_password": PASSWORD, "new_password": "short"}, "new_password"),
    ({"current_password": PASSWORD}, "new_password"),
    ({"new_password": "another-password"}, "current_password"),
    ({"current_password": PASSWORD, "new_password": "another-password", "user": "x"}, "user"),
])
def test_a_bad_password_change_is_422_naming_the_field(client, login, body, field):
    headers = login("sari", "staf")
    response = client.post("/api/v1/me/password", headers=headers, json=body)
    assert_problem(response, 422, field=field)
    assert client.get("/api/v1/me", headers=headers).status_code == 200  # nothing changed
    assert sign_in(client, "sari").status_code == 200


def test_changing_a_password_needs_a_token(client):
    assert_problem(change_password(client, {}), 401)


def test_the_password_change_is_documented(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/me/password"]["post"]
    assert operation["security"] == [{"bearer": []}]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PasswordChange"}
    assert {"200", "401", "422", "429"} <= set(operation["responses"])
    assert "429" in spec["paths"]["/api/v1/auth/token"]["post"]["responses"]


# ---------------------------------------------------------------- nothing to enumerate

def test_unknown_known_and_inactive_names_cost_the_same(client_with):
    """The one timing assertion of the suite, and a generous one: the median time of a failed
    sign-in of a name of nobody, or of an inactive user, is within half and twice that of an
    active user's wrong password (before, a name of nobody answered about 100 times faster:
    it skipped Argon2). Argon2 runs at a real cost here (16 MiB, 2 passes), so it, not the
    rest of the request, is what the times are made of (the users' hashes too)."""
    client, ctx = client_with(argon2_memory_kib=16 * 1024, argon2_time_cost=2,
                              argon2_parallelism=1, signin_max_failures=1000,
                              signin_max_failures_per_address=1000)
    for name in ("sari", "gone"):
        usecases.create_user(ctx, ADMIN, name, PASSWORD, ["staf"])
    usecases.update_user(ctx, ADMIN, "gone", active=False)
    names = ("sari", "nobody", "gone")
    times = {name: [] for name in names}
    for attempt in range(10):
        for name in names:  # interleaved: a slow moment of the machine hits them all
            started = time.perf_counter()
            assert_problem(sign_in(client, name, "wrong-password"), 401)
            if attempt:  # the first round warms up (the dummy hash is made on first use)
                times[name].append(time.perf_counter() - started)
    median = {name: statistics.median(values) for name, values in times.items()}
    for name in ("nobody", "gone"):
        assert 0.5 < median[name] / median["sari"] < 2, median
