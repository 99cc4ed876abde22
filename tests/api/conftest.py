"""Fixtures of the API tests: the app on the engine context of the test database, and
users with bearer tokens."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import pytest

from api.app import create_app
from engine import usecases
from tests.api.helpers import PASSWORD
from tests.conftest import ADMIN, FIXTURES, read_folder

# Argon2 at the engine's default cost takes about 0.35 s and 64 MiB a hash here; these tests
# create many users and check HTTP behaviour, not hashing strength. Every hash and sign-in
# is still real Argon2id, through the engine's own settings.
CHEAP_ARGON2 = {"argon2_memory_kib": 1024, "argon2_time_cost": 1, "argon2_parallelism": 1}


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, **CHEAP_ARGON2)


# From Monday 10:00 in Jakarta on: inside working hours, so a P1D task is due the same hour of the
# next working day (due dates count working time).
WORKING_MONDAY = datetime(2026, 3, 2, 3, 0, tzinfo=timezone.utc)


@pytest.fixture
def app(ctx):
    ctx.clock.set(WORKING_MONDAY, ticking=True)
    return create_app(ctx)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def login(ctx):
    """login(username, *roles) -> Authorization headers; creates the user on first use."""
    def headers_for(username: str, *roles: str) -> dict:
        if usecases.get_user(ctx, username) is None:
            usecases.create_user(ctx, ADMIN, username, PASSWORD, list(roles),
                                 full_name=f"Pegawai {username}")
        token = usecases.sign_in(ctx, username, PASSWORD, "127.0.0.1")["access_token"]
        return {"Authorization": f"Bearer {token}"}
    return headers_for


@pytest.fixture
def admin(login):
    return login("root", "admin")


@pytest.fixture
def parallel_deployed(ctx):
    """The two-branch diagram of tests/fixtures/parallel deployed."""
    return usecases.deploy(ctx, ADMIN, *read_folder(FIXTURES / "parallel"))


@pytest.fixture
def mini_instance(client, login, mini_deployed):
    """A mini_review instance started over HTTP by a kepala_biro; its draft task is open."""
    response = client.post("/api/v1/process-definitions/mini_review/instances",
                           json={"variables": {}}, headers=login("biro", "kepala_biro"))
    assert response.status_code == 201, response.get_json()
    return response.get_json()
