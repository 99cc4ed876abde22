"""Fixtures of the browser tests: headless Chromium (Debian's /usr/bin/chromium, driven by
Playwright; no browser is downloaded) and a real `lkj serve` on a fresh SQLite database.

The server migrates and deploys its own database file: these tests use none of the test
database fixtures, so they run in the SQLite pass only (the console reads the REST API, and
nothing it shows depends on the database kind; the API's tests run on both)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.flow import CHROMIUM, LAUNCH_ARGS
from tests.conftest import LiveServer


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "false", "0")


@pytest.fixture(scope="module")
def browser():
    problem = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        problem = "the Python package playwright is missing (pip install -e '.[test]')"
    if problem is None and not Path(CHROMIUM).exists():
        problem = f"{CHROMIUM} is missing (apt-get install -y chromium)"
    if problem:
        if _in_ci():
            pytest.fail(problem)
        pytest.skip(problem)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def console_server(tmp_path):
    """`lkj serve` as a newcomer starts it, on its own SQLite file."""
    data_dir = tmp_path / "server-data"
    data_dir.mkdir()
    server = LiveServer(f"sqlite:///{tmp_path / 'console.sqlite3'}", data_dir,
                        admin_password="admin-password-123")
    try:
        yield server.wait_ready()
    finally:
        server.stop()
