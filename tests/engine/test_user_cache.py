"""The per-process cache of active users behind token checks (engine/security/user_cache.py)."""
from __future__ import annotations

from engine import usecases
from engine.security import user_cache
from engine.usecases.views import UserView
from tests.conftest import ADMIN
from tests.worker.helpers import wait_until


def view(name: str, *roles: str, active: bool = True) -> UserView:
    return UserView(username=name, full_name=None, roles=list(roles), active=active)


class Loads:
    """A loader that counts its database reads (here: a dict of rows)."""

    def __init__(self, rows: dict):
        self.rows, self.count = rows, 0

    def __call__(self, name):
        self.count += 1
        return self.rows.get(name)


def test_an_active_user_is_read_once_per_ttl():
    cache, load = user_cache.UserCache(ttl_s=0.2), Loads({"sari": view("sari", "staf")})
    assert cache.get("sari", load) == view("sari", "staf")
    assert cache.get("sari", load) == view("sari", "staf")
    assert load.count == 1
    # the cache reads the process's monotonic clock, not the engine's: wait for the entry
    # to expire (the bound is generous, the wait itself is the TTL)
    wait_until(lambda: "sari" not in cache, timeout=10, interval=0.02, what="the entry expiring")
    assert load.count == 1
    cache.get("sari", load)
    assert load.count == 2


def test_unknown_and_inactive_users_are_read_every_time():
    cache = user_cache.UserCache(ttl_s=60)
    load = Loads({"gone": view("gone", "staf", active=False)})
    for _ in range(2):
        assert cache.get("nobody", load) is None
        assert cache.get("gone", load).active is False
    assert load.count == 4 and len(cache) == 0


def test_a_ttl_of_0_keeps_nothing():
    cache, load = user_cache.UserCache(ttl_s=0), Loads({"sari": view("sari", "staf")})
    for _ in range(3):
        cache.get("sari", load)
    assert load.count == 3 and len(cache) == 0 and "sari" not in cache


def test_a_read_racing_a_change_does_not_keep_what_it_read():
    cache = user_cache.UserCache(ttl_s=60)
    rows = {"sari": view("sari", "admin", "staf")}

    def read_then_the_change_commits(name):
        old = rows[name]  # the row as the read saw it...
        rows[name] = view("sari", "staf")  # ...then an update commits and forgets the user
        cache.forget(name)
        return old
    assert cache.get("sari", read_then_the_change_commits).roles == ["admin", "staf"]
    assert "sari" not in cache
    assert cache.get("sari", Loads(rows)).roles == ["staf"]


def test_the_cache_is_bounded():
    cache = user_cache.UserCache(ttl_s=60, max_entries=3)
    rows = {f"u{i}": view(f"u{i}") for i in range(5)}
    for name in rows:
        cache.get(name, Loads(rows))
    assert len(cache) == 3 and "u0" not in cache and "u4" in cache


def test_each_engine_context_has_its_own_cache_and_update_user_clears_it(ctx):
    usecases.create_user(ctx, ADMIN, "sari", "a-password-123", ["staf"])
    assert usecases.get_user(ctx, "sari", cached=True).roles == ["staf"]
    assert "sari" in ctx.users
    usecases.update_user(ctx, ADMIN, "sari", full_name="Sari")
    assert "sari" not in ctx.users
    assert usecases.get_user(ctx, "sari", cached=True).full_name == "Sari"
