"""Schemathesis against a real `lkj serve`: every operation of /api/v1/openapi.json, with
data generated from the document (valid and invalid), every check Schemathesis has (no
5xx, statuses, content types, headers and bodies as documented, valid requests accepted,
invalid ones refused, authentication enforced, ...). Once as an admin, once as a `staf`
user of a unit, each on its own server and database seeded so that ids exist: units, users,
a started LKj instance, a complaint with a task the runner claimed, a document.

Run alone: `python -m pytest -m schemathesis -s` (the report of each run is printed).
LKJ_SCHEMATHESIS_EXAMPLES (default 25) bounds the cases per operation and phase;
LKJ_SCHEMATHESIS_SEED (default 1) makes a run repeatable.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
import requests

from tests.conftest import ROOT, LiveServer

pytestmark = pytest.mark.schemathesis

EXAMPLES = int(os.environ.get("LKJ_SCHEMATHESIS_EXAMPLES", "25"))
SEED = os.environ.get("LKJ_SCHEMATHESIS_SEED", "1")
RUN_TIMEOUT_S = 900
PASSWORD = "schemathesis-password"
UNITS = ("BIRO-A", "BIRO-B")
# Who each run is, with the roles it signs in with.
RUNNERS = {
    "admin": ("st-admin", ["admin"]),
    "staf": ("st-staf", ["staf", f"satuan_kerja:{UNITS[0]}"]),
}
# A user the admin run may change (PATCH /users/{username} with a real name).
TARGET_USER = "st-target"
# Operations where a request the document calls valid is refused with 422 for a reason it
# names but JSON Schema cannot express, because it depends on stored data or on another
# field: the process's start form and active units, the task's form, a role naming a
# registered unit, the content of deployed files (400 for a diagram, 422 for a form), the
# report period's order.
DATA_DEPENDENT = {
    ("POST", "/api/v1/process-definitions/{key}/instances"): ["422"],
    ("POST", "/api/v1/tasks/{task_id}/complete"): ["422"],
    ("POST", "/api/v1/users"): ["422"],
    ("PATCH", "/api/v1/users/{username}"): ["422"],
    ("POST", "/api/v1/deployments"): ["400", "422"],
    ("GET", "/api/v1/reports/sla"): ["422"],
}
POSITIVE_EXPECTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]


@pytest.fixture(params=sorted(RUNNERS))
def runner(request):
    return request.param


@pytest.fixture
def server(database_url, tmp_path):
    """`lkj serve` with bpmn/ and forms/ deployed. Argon2 at its cheapest: the run signs in
    with generated names and passwords many times; hashing strength is not under test."""
    data_dir = tmp_path / "server-data"
    data_dir.mkdir()
    live = LiveServer(database_url, data_dir, admin_password="admin-password-123", env={
        "LKJ_ARGON2_MEMORY_KIB": "1024", "LKJ_ARGON2_TIME_COST": "1",
        "LKJ_ARGON2_PARALLELISM": "1"})
    try:
        yield live.wait_ready()
    finally:
        live.stop()


class Api:
    def __init__(self, server: LiveServer, username: str, password: str):
        self.base = f"{server.url}/api/v1"
        self.http = requests.Session()
        self.token = self.sign_in(username, password)
        self.http.headers["Authorization"] = f"Bearer {self.token}"

    def sign_in(self, username: str, password: str) -> str:
        response = self.http.post(f"{self.base}/auth/token", timeout=30,
                                  json={"username": username, "password": password})
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def call(self, method: str, path: str, expected: int = 200, **kwargs):
        response = self.http.request(method, self.base + path, timeout=60, **kwargs)
        assert response.status_code == expected, (path, response.text)
        return response.json()


def seed(server: LiveServer, runner: str) -> tuple[Api, dict]:
    """What makes the run reach past 404: units, users, a running LKj instance, a complaint
    the runner started and whose first task it claimed where its roles allow (so completing
    it reaches the form), a document. Returns the runner's session and the ids the run draws
    from."""
    admin = Api(server, "admin", server.admin_password)
    for code in UNITS:
        admin.call("POST", "/units", 201, json={"code": code, "name": f"Biro {code}"})
    for username, roles in [*RUNNERS.values(), (TARGET_USER, ["staf"])]:
        admin.call("POST", "/users", 201, json={"username": username, "password": PASSWORD,
                                                "roles": roles})
    own = Api(server, RUNNERS[runner][0], PASSWORD)
    lkj = admin.call("POST", "/process-definitions/lkj_preparation/instances", 201,
                     json={"variables": {"year": 2026}})
    complaint = own.call("POST", "/process-definitions/lkj_complaint/instances", 201,
                         json={"variables": {"unit": UNITS[0]}})
    [submission] = complaint["open_tasks"]
    if submission["role"] in RUNNERS[runner][1]:  # a task is claimed in its role's queue
        own.call("POST", f"/tasks/{submission['id']}/claim")
    tasks = [task["id"] for instance in (lkj, complaint) for task in admin.call(
        "GET", f"/tasks?process_instance_id={instance['id']}")["items"]]
    document = own.call("POST", f"/process-instances/{complaint['id']}/documents", 201,
                        files={"file": ("kak.txt", b"Kerangka acuan kerja", "text/plain")})
    definitions = admin.call("GET", "/process-definitions")["items"]
    return own, {
        "instances": [lkj["id"], complaint["id"]],
        "tasks": tasks,
        "documents": [document["id"]],
        "keys": [d["key"] for d in definitions],
        "units": list(UNITS),
        "users": [TARGET_USER],
    }


def config(token: str, ids: dict) -> str:
    """schemathesis.toml for one run: all checks, bounded examples, the seeded ids offered
    for half the path parameters of their name, and the data-dependent 422s."""
    q = json.dumps
    lines = [
        f"seed = {int(SEED)}",
        "[generation]",
        f"max-examples = {EXAMPLES}",
        'database = "none"',
        "[checks]",
        "enabled = true",
        "[auth.openapi.bearer]",
        f"bearer = {q(token)}",
    ]
    bindings = {"instance_id": "instances", "task_id": "tasks", "document_id": "documents",
                "key": "keys", "code": "units", "username": "users"}
    for name in sorted(set(bindings.values())):
        lines += [f"[dictionaries.{name}]", f"values = {q(ids[name])}"]
    lines.append("[parameters]")
    for parameter, dictionary in bindings.items():
        lines.append(f'"path.{parameter}" = {{ dictionary = {q(dictionary)}, '
                     f"probability = 0.5 }}")
    for (method, path), statuses in DATA_DEPENDENT.items():
        lines += ["[[operations]]", f"include-method = {q(method)}",
                  f"include-path = {q(path)}",
                  "[operations.checks.positive_data_acceptance]",
                  f"expected-statuses = {q(POSITIVE_EXPECTED + statuses)}"]
    return "\n".join(lines) + "\n"


def test_schemathesis_finds_no_failure(server, runner, tmp_path):
    own, ids = seed(server, runner)
    username, roles = RUNNERS[runner]
    config_file = tmp_path / "schemathesis.toml"
    config_file.write_text(config(own.token, ids))
    env = dict(os.environ, SCHEMATHESIS_HOOKS="tests.api.schemathesis_hooks",
               LKJ_SCHEMATHESIS_USER=username, PYTHONPATH=str(ROOT), NO_COLOR="1")
    command = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config_file),
               "run", f"{server.url}/api/v1/openapi.json", "--no-color",
               "--request-timeout", "60"]
    run = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=RUN_TIMEOUT_S)
    report = run.stdout + run.stderr
    cases = re.search(r"(\d+) generated", report)
    print(f"\n== Schemathesis as {runner} ({username}): "
          f"{cases.group(1) if cases else '?'} cases, exit {run.returncode}\n{_tail(report)}")
    assert run.returncode == 0, f"Schemathesis as {runner} failed:\n{_failures(report)}"
    # The run kept its own account: it tested as that user to the end.
    me = own.call("GET", "/me")
    assert (me["username"], sorted(me["roles"])) == (username, sorted(roles))


def _tail(report: str) -> str:
    """The warnings (operations the run could not get far with) and the summary."""
    for section in ("=== WARNINGS", "=== SUMMARY"):
        start = report.find(section)
        if start >= 0:
            return report[start:]
    return report[-3000:]


def _failures(report: str, limit: int = 25_000) -> str:
    start = report.find("=== FAILURES")
    text = report[start:] if start >= 0 else report
    return text if len(text) <= limit else text[:limit] + "\n... (cut)"
