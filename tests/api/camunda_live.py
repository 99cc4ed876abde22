"""A real `lkj serve` that deployed nothing, for Camunda clients that deploy through
`/engine-rest` themselves, and the few /api/v1 calls that set it up (users, units)."""
from __future__ import annotations

import pytest
import requests

from tests.conftest import LiveServer

PASSWORD = "kata-sandi-rahasia"
# The tests create many users and sign in with Basic on every call: Argon2id still, at the
# lowest cost the engine accepts, as the API tests' app does (tests/api/conftest.py).
CHEAP_ARGON2 = {"LKJ_ARGON2_MEMORY_KIB": "1024", "LKJ_ARGON2_TIME_COST": "1",
                "LKJ_ARGON2_PARALLELISM": "1"}


@pytest.fixture
def bare_server(database_url, tmp_path):
    """`lkj serve --no-deploy`: no process is deployed until a client deploys one."""
    data_dir = tmp_path / "server-data"
    data_dir.mkdir()
    server = LiveServer(database_url, data_dir, admin_password="admin-password-123",
                        extra_args=["--no-deploy"], env=CHEAP_ARGON2)
    try:
        yield server.wait_ready()
    finally:
        server.stop()


class Admin:
    """The admin's /api/v1 session: the setup Camunda's REST API has no call for."""

    def __init__(self, server):
        self.url = server.url
        self.http = requests.Session()
        token = self.http.post(f"{server.url}/api/v1/auth/token", timeout=30, json={
            "username": "admin", "password": server.admin_password})
        assert token.status_code == 200, token.text
        self.http.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

    def user(self, username: str, *roles: str) -> tuple[str, str]:
        answer = self.http.post(f"{self.url}/api/v1/users", timeout=30, json={
            "username": username, "password": PASSWORD, "roles": list(roles)})
        assert answer.status_code == 201, answer.text
        return username, PASSWORD

    def unit(self, code: str) -> None:
        answer = self.http.post(f"{self.url}/api/v1/units", timeout=30,
                                json={"code": code, "name": f"Satuan Kerja {code}"})
        assert answer.status_code == 201, answer.text


def bearer_session(server, credentials: tuple[str, str]) -> requests.Session:
    """A session signed in once: `Authorization: Bearer` with a token of
    /api/v1/auth/token, which `/engine-rest` accepts as well as Basic."""
    token = requests.post(f"{server.url}/api/v1/auth/token", timeout=30, json={
        "username": credentials[0], "password": credentials[1]})
    assert token.status_code == 200, token.text
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
    return session


def on(request, session: requests.Session):
    """A pycamunda request sent on `session` (pycamunda's own `session` attribute)."""
    request.session = session
    return request


def basic(request, credentials: tuple[str, str]):
    """A pycamunda request sent with HTTP Basic, as its documentation shows."""
    request.auth = requests.auth.HTTPBasicAuth(*credentials)
    return request
