"""Admins: the last active admin stays one, and `restore_admin` (LKJ_ADMIN_PASSWORD at
`lkj serve`) brings the user `admin` back."""
from __future__ import annotations

import dataclasses
import threading

import pytest

from engine import usecases
from engine.errors import AuthenticationFailed, Conflict
from tests.conftest import ADMIN, actor

CHEAP_ARGON2 = {"argon2_memory_kib": 1024, "argon2_time_cost": 1, "argon2_parallelism": 1}
PASSWORD = "password-123"


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, **CHEAP_ARGON2)


def active_admins(ctx):
    return sorted(u.username for u in usecases.list_users(ctx, ADMIN)
                  if u.active and "admin" in u.roles)


@pytest.mark.parametrize("change", [{"active": False}, {"roles": ["staf"]}],
                         ids=["deactivate", "remove the role"])
def test_the_last_active_admin_stays_an_admin(ctx, change):
    usecases.create_user(ctx, ADMIN, "root", PASSWORD, ["admin"])
    with pytest.raises(Conflict, match="'root' is the last active admin"):
        usecases.update_user(ctx, actor("root", "admin"), "root", **change)
    assert active_admins(ctx) == ["root"]
    usecases.authenticate(ctx, "root", PASSWORD)  # still signs in

    usecases.create_user(ctx, ADMIN, "dewi", PASSWORD, ["admin", "staf"])
    usecases.update_user(ctx, actor("dewi", "admin"), "root", **change)
    assert active_admins(ctx) == ["dewi"]
    with pytest.raises(Conflict):
        usecases.update_user(ctx, actor("dewi", "admin"), "dewi", **change)


def test_an_inactive_admin_does_not_count(ctx):
    usecases.create_user(ctx, ADMIN, "root", PASSWORD, ["admin"])
    usecases.create_user(ctx, ADMIN, "old", PASSWORD, ["admin"])
    usecases.update_user(ctx, ADMIN, "old", active=False)
    with pytest.raises(Conflict):
        usecases.update_user(ctx, ADMIN, "root", roles=["staf"])
    # An inactive admin may lose the role: it is no active admin anyway.
    assert usecases.update_user(ctx, ADMIN, "old", roles=["staf"]).roles == ["staf"]


def test_two_admins_removing_each_other_at_once_leave_one(ctx):
    """Each transaction locks every active admin before it counts: one change waits for
    the other and then sees it (on PostgreSQL the row locks, on SQLite one writer)."""
    usecases.create_user(ctx, ADMIN, "root", PASSWORD, ["admin"])
    usecases.create_user(ctx, ADMIN, "dewi", PASSWORD, ["admin"])
    for _ in range(5):
        barrier = threading.Barrier(2)
        outcomes = []

        def deactivate(by, whom):
            barrier.wait()
            try:
                usecases.update_user(ctx, actor(by, "admin"), whom, active=False)
                outcomes.append("done")
            except Conflict:
                outcomes.append("refused")
        threads = [threading.Thread(target=deactivate, args=("root", "dewi")),
                   threading.Thread(target=deactivate, args=("dewi", "root"))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["done", "refused"]
        assert len(active_admins(ctx)) == 1
        for name in ("root", "dewi"):
            usecases.update_user(ctx, ADMIN, name, active=True)


def test_restore_admin_creates_the_admin_once(ctx):
    assert usecases.restore_admin(ctx, "first-password") == ["created"]
    assert usecases.restore_admin(ctx, "first-password") == []  # nothing to do
    assert usecases.authenticate(ctx, "admin", "first-password").roles == ["admin"]


def test_restore_admin_brings_back_a_deactivated_admin_without_its_role(ctx):
    usecases.restore_admin(ctx, "first-password")
    usecases.create_user(ctx, ADMIN, "root", PASSWORD, ["admin"])
    usecases.update_user(ctx, ADMIN, "admin", roles=["staf"], password="changed-password")
    usecases.update_user(ctx, ADMIN, "admin", active=False)
    with pytest.raises(AuthenticationFailed):
        usecases.authenticate(ctx, "admin", "first-password")
    old_token = usecases.sign_in(ctx, "root", PASSWORD, "10.0.0.1")["access_token"]

    assert usecases.restore_admin(ctx, "first-password") == [
        "password set", "reactivated", "role 'admin' given back"]
    user = usecases.authenticate(ctx, "admin", "first-password")
    assert user.active and user.roles == ["admin", "staf"]
    assert usecases.user_of_token(ctx, old_token).username == "root"  # others unaffected


def test_restoring_the_password_ends_the_admins_older_tokens(ctx):
    usecases.restore_admin(ctx, "first-password")
    token = usecases.sign_in(ctx, "admin", "first-password", "10.0.0.1")["access_token"]
    assert usecases.restore_admin(ctx, "first-password") == []
    assert usecases.user_of_token(ctx, token).username == "admin"  # unchanged: still valid
    assert usecases.restore_admin(ctx, "second-password") == ["password set"]
    with pytest.raises(AuthenticationFailed, match="sign in again"):
        usecases.user_of_token(ctx, token)
