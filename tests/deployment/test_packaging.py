"""The engine installed like any Python package: the wheel built from this tree, installed
into a fresh virtual environment, serves the LKj procedure from an empty folder.

Marked `packaging`: it builds a wheel and starts a server (about half a minute). It runs
offline: the build takes setuptools and wheel from the machine's local package indexes, and
the fresh environment sees the already installed dependencies (`--system-site-packages`)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import tomllib

import pytest
import requests
from setuptools import find_namespace_packages

from tests.conftest import ROOT, free_port

PROCEDURE_KEYS = {p.stem for p in (ROOT / "bpmn").glob("*.bpmn")}
# What the build does not need: the copy stays small and holds no earlier build's leftovers.
NOT_BUILT = shutil.ignore_patterns(".git", "node_modules", "build", "dist", "var", "*.egg-info",
                                   "__pycache__", "tests", "docs", "console", "bench")
LOCAL_INDEXES = ("file:///opt/pypi/simple", "file:///opt/pypi-more/simple")


def test_the_package_list_names_every_package_of_the_source_tree():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    found = {p for p in find_namespace_packages(str(ROOT), include=["engine*", "api*", "cli*",
                                                                     "migrations*"])
             if (ROOT / p.replace(".", "/") / "__init__.py").exists()
             or p == "migrations.versions"}
    assert found <= listed, f"add to pyproject.toml: {sorted(found - listed)}"


def _run(*args, cwd, timeout=180, env=None):
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                            env=env)
    assert result.returncode == 0, f"{args}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.mark.packaging
def test_an_installed_wheel_serves_the_procedure_from_an_empty_folder(tmp_path):
    if not all(os.path.isdir(i.removeprefix("file://")) for i in LOCAL_INDEXES):
        pytest.skip("no local package index to build offline from")
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=NOT_BUILT)
    wheels = tmp_path / "wheels"
    index = ["--index-url", LOCAL_INDEXES[0], "--extra-index-url", LOCAL_INDEXES[1]]
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", *index, "-q", "-w", str(wheels),
         str(source), cwd=tmp_path)
    [wheel] = wheels.glob("lkj_engine-*.whl")

    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--system-site-packages", str(venv), cwd=tmp_path)
    python, lkj = venv / "bin" / "python", venv / "bin" / "lkj"
    _run(str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel),
         cwd=tmp_path)

    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LKJ_", "PYTHON"))}
    env.update({"LKJ_ADMIN_PASSWORD": "admin-password-123", "LKJ_LOG_LEVEL": "INFO"})
    # The engine imported is the installed one, not this checkout.
    where = _run(str(python), "-c", "import engine; print(engine.__file__)", cwd=empty,
                 env=env).stdout
    assert where.startswith(str(venv)), where

    port = free_port()
    log = open(tmp_path / "server.log", "w+")
    server = subprocess.Popen([str(lkj), "serve", "--port", str(port)], cwd=empty, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_ready(server, url, log)
        token = requests.post(f"{url}/api/v1/auth/token", timeout=10, json={
            "username": "admin", "password": "admin-password-123"}).json()["access_token"]
        definitions = requests.get(f"{url}/api/v1/process-definitions", timeout=10, headers={
            "Authorization": f"Bearer {token}"}).json()["items"]
        assert {d["key"] for d in definitions} == PROCEDURE_KEYS
        console = requests.get(f"{url}/", timeout=10)
        assert console.status_code == 200 and "text/html" in console.headers["Content-Type"]
        assert (empty / "var").is_dir()  # the data went where it was started
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
    assert "Traceback" not in (tmp_path / "server.log").read_text()


def _wait_ready(server, url, log, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log.seek(0)
            raise AssertionError(f"server exited: {log.read()[-4000:]}")
        try:
            if requests.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    log.seek(0)
    raise AssertionError(f"server not ready: {log.read()[-4000:]}")
