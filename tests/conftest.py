"""Test fixtures shared by every suite.

The database under test is chosen by `LKJ_TEST_DB`: `sqlite` (default) or `postgresql`
(`LKJ_TEST_PG_URL`, default postgresql://postgres@127.0.0.1:5432/test). Each test gets an
empty, migrated database: SQLite copies a migrated template file; PostgreSQL migrates a
fresh database once per session and truncates it between tests.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import bindparam, create_engine, text
from sqlalchemy.engine import make_url

from engine.persistence.schema import upgrade
from engine.settings import Settings
from engine.usecases.groups import STANDARD_GROUPS
from engine.usecases.context import EngineContext
from engine.usecases.views import Actor

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
PG_URL = os.environ.get("LKJ_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TEST_DB = os.environ.get("LKJ_TEST_DB", "sqlite")
# Every state the engine writes under test is compared with a full serialization of its
# workflow (engine/persistence/state_store.py); servers the tests start inherit this.
os.environ.setdefault("LKJ_CHECK_STATE_WRITES", "1")
TABLES = ("external_task", "event_subscription", "start_timer", "lkj_publication", "lkj_archive", "report_draft", "report_job", "calendar_day", "outbox", "event", "document", "task", "instance_task_state", "process_instance", "definition_resource", "deleted_definition", "process_suspension", "process_definition", "deployment_file",
          "deployment", "user_role", "app_user", "unit", "sign_in_failure")


def postgres_reason() -> str | None:
    """Why PostgreSQL cannot be used here, or None when it answers."""
    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure to connect means: skip, and say why
        return f"PostgreSQL does not answer at {PG_URL}: {type(exc).__name__}"


@pytest.fixture(scope="session")
def pg_admin_url():
    reason = postgres_reason()
    if reason:
        pytest.skip(reason)
    return PG_URL


def _fresh_pg_database(admin_url: str) -> str:
    name = f"lkj_test_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _drop_pg_database(admin_url: str, url: str):
    name = make_url(url).database
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory):
    """(kind, url) of a migrated, empty database for this session."""
    if TEST_DB == "postgresql":
        reason = postgres_reason()
        if reason:
            pytest.skip(reason)
        url = _fresh_pg_database(PG_URL)
        upgrade(url)
        yield "postgresql", url
        _drop_pg_database(PG_URL, url)
    else:
        path = tmp_path_factory.mktemp("template") / "template.sqlite3"
        url = f"sqlite:///{path}"
        upgrade(url)
        yield "sqlite", url


@pytest.fixture
def database_url(migrated_database, tmp_path):
    kind, url = migrated_database
    if kind == "sqlite":
        path = tmp_path / "lkj.sqlite3"
        shutil.copy(make_url(url).database, path)
        return f"sqlite:///{path}"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
        # The groups the schema seeds stay; the ones a test added go.
        connection.execute(text("DELETE FROM role_group WHERE name NOT IN :standard")
                           .bindparams(bindparam("standard", expanding=True)),
                           {"standard": sorted(STANDARD_GROUPS)})
    engine.dispose()
    return url


@pytest.fixture
def settings(database_url, tmp_path):
    return Settings.from_env(database_url=database_url, data_dir=tmp_path / "data",
                             secret_key="test-secret-key-that-is-long-enough-for-hs256")


@pytest.fixture
def ctx(settings):
    context = EngineContext(settings)
    yield context
    context.close()


ADMIN = Actor("admin", frozenset({"admin"}))


def actor(username: str, *roles: str) -> Actor:
    return Actor(username, frozenset(roles))


def read_folder(folder: Path) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """(diagrams, form files) of a folder holding *.bpmn, *.json and *.form."""
    diagrams = {p.name: p.read_bytes() for p in sorted(folder.glob("*.bpmn"))}
    form_files = {p.name: p.read_bytes()
                  for p in sorted([*folder.glob("*.json"), *folder.glob("*.form")])}
    return diagrams, form_files


@pytest.fixture
def mini_deployed(ctx):
    """The small review diagram of tests/fixtures/mini deployed."""
    from engine import usecases
    diagrams, form_files = read_folder(FIXTURES / "mini")
    return usecases.deploy(ctx, ADMIN, diagrams, form_files)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """`lkj serve` in its own process, as a user starts it."""

    def __init__(self, database_url: str, data_dir: Path, admin_password: str,
                 extra_args: list[str] | None = None, env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.admin_password = admin_password
        environment = dict(os.environ)
        environment.update({
            "LKJ_DATABASE_URL": database_url,
            "LKJ_DATA_DIR": str(data_dir),
            "LKJ_ADMIN_PASSWORD": admin_password,
            "LKJ_SECRET_KEY": "live-server-secret-key-long-enough-for-hs256",
        })
        environment.update(env or {})
        self.log = open(data_dir.parent / f"server-{self.port}.log", "w+")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "serve", "--host", "127.0.0.1",
             "--port", str(self.port), *(extra_args or [])],
            cwd=ROOT, env=environment, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 60):
        import requests
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.output()}")
            try:
                if requests.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return self
            except (requests.ConnectionError, requests.Timeout):
                pass  # not listening yet, or slower than a second on a loaded machine
            time.sleep(0.2)
        raise RuntimeError(f"server not ready in {timeout}s: {self.output()}")

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()[-5000:]

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


@pytest.fixture
def live_server(database_url, tmp_path):
    """A real server process on the test database, with user `admin` (password in
    `server.admin_password`) and the project's bpmn/ and forms/ deployed."""
    data_dir = tmp_path / "server-data"
    data_dir.mkdir()
    server = LiveServer(database_url, data_dir, admin_password="admin-password-123")
    try:
        yield server.wait_ready()
    finally:
        server.stop()
