"""Through a real `lkj serve` process over HTTP: one full mini_review cycle (both
databases), and concurrent clients racing for the same tasks (PostgreSQL, where the server
runs several worker processes and row locks decide)."""
from __future__ import annotations

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from engine import usecases
from tests.api.helpers import PASSWORD, assert_aware, assert_problem
from tests.conftest import ADMIN, FIXTURES, TEST_DB, LiveServer, read_folder

RACERS = 24
needs_postgresql = pytest.mark.skipif(
    TEST_DB != "postgresql",
    reason="concurrency over HTTP is checked on PostgreSQL (LKJ_TEST_DB=postgresql); "
           "on SQLite `lkj serve` runs one worker process")


@pytest.fixture
def server(database_url, tmp_path):
    """`lkj serve` on the test database. `--no-deploy`: these tests deploy their own
    fixture diagrams, so work in progress in bpmn/ cannot break them."""
    data_dir = tmp_path / "server-data"
    data_dir.mkdir()
    live = LiveServer(database_url, data_dir, admin_password="admin-password-123",
                      extra_args=["--no-deploy"])
    try:
        yield live.wait_ready()
    finally:
        live.stop()


class Client:
    """One user's HTTP session against the server."""

    def __init__(self, server: LiveServer, username: str, password: str = PASSWORD):
        self.base = f"{server.url}/api/v1"
        self.http = requests.Session()
        response = self.http.post(f"{self.base}/auth/token",
                                  json={"username": username, "password": password}, timeout=30)
        assert response.status_code == 200, response.text
        self.http.headers["Authorization"] = f"Bearer {response.json()['access_token']}"

    def clone(self) -> "Client":
        """The same user on a session of its own (a Session is not shared across threads)."""
        twin = object.__new__(Client)
        twin.base, twin.http = self.base, requests.Session()
        twin.http.headers["Authorization"] = self.http.headers["Authorization"]
        return twin

    def get(self, path, **kwargs):
        return self.http.get(self.base + path, timeout=60, **kwargs)

    def post(self, path, **kwargs):
        return self.http.post(self.base + path, timeout=60, **kwargs)


def create_users(admin: Client, role: str, *names: str):
    def create(name):
        response = admin.clone().post("/users", json={
            "username": name, "password": PASSWORD, "roles": [role], "full_name": name.title()})
        assert response.status_code == 201, response.text
    # A few at a time: each one is an Argon2 hash on the server.
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(create, names))


def sign_in_all(server: LiveServer, names) -> list[Client]:
    """Each user signed in, holding no open connection: the sign-ins take seconds (an
    Argon2 hash each), longer than the server keeps an idle connection alive (2 s), and a
    request sent just as the server closes one is lost. A racer's request opens its own."""
    with ThreadPoolExecutor(4) as pool:
        clients = list(pool.map(lambda name: Client(server, name), names))
    for client in clients:
        client.http.close()
    return clients


def race(calls):
    """Run every call at the same moment; return their responses."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def deploy(ctx, folder: str):
    # There is no deploy endpoint: the server reads definitions from the shared database.
    usecases.deploy(ctx, ADMIN, *read_folder(FIXTURES / folder))


def test_a_full_review_cycle_over_http(server, ctx):
    assert requests.get(f"{server.url}/healthz", timeout=10).json() == {"status": "ok"}
    assert requests.get(f"{server.url}/api/v1/openapi.json", timeout=10).status_code == 200
    assert_problem(requests.get(f"{server.url}/api/v1/tasks", timeout=10), 401)
    assert_problem(requests.get(f"{server.url}/nowhere", timeout=10), 404)

    admin = Client(server, "admin", server.admin_password)
    create_users(admin, "kepala_biro", "biro")
    create_users(admin, "staf", "staf1")
    create_users(admin, "kepala_bagian", "kabag")
    deploy(ctx, "mini")
    biro, staf, kabag = Client(server, "biro"), Client(server, "staf1"), Client(server, "kabag")
    assert biro.get("/me").json() == {"username": "biro", "full_name": "Biro",
                                      "roles": ["kepala_biro"]}
    assert [d["key"] for d in biro.get("/process-definitions").json()["items"]] == ["mini_review"]

    assert_problem(staf.post("/process-definitions/mini_review/instances", json={}), 403)
    started = biro.post("/process-definitions/mini_review/instances",
                        json={"variables": {"year": 2025}})
    assert started.status_code == 201, started.text
    instance = started.json()
    assert started.headers["Location"].endswith(f"/process-instances/{instance['id']}")

    [draft] = staf.get("/tasks").json()["items"]
    assert kabag.get("/tasks").json()["total"] == 0
    assert staf.post(f"/tasks/{draft['id']}/claim").json()["assignee"] == "staf1"

    content = b"%PDF-1.4 lampiran\n" * 4096
    uploaded = staf.post(f"/process-instances/{instance['id']}/documents",
                         files={"file": ("iku.pdf", content, "application/pdf")})
    assert uploaded.status_code == 201, uploaded.text
    document = uploaded.json()
    assert document["sha256"] == hashlib.sha256(content).hexdigest()

    assert_problem(staf.post(f"/tasks/{draft['id']}/complete", json={"data": {}}), 422,
                   field="title")
    done = staf.post(f"/tasks/{draft['id']}/complete",
                     json={"data": {"title": "Konsep", "attachment": document["id"]}})
    assert done.status_code == 200, done.text
    [check] = done.json()["next_tasks"]
    assert check["role"] == "kepala_bagian"

    kabag.post(f"/tasks/{check['id']}/claim")
    revised = kabag.post(f"/tasks/{check['id']}/complete",
                         json={"data": {"decision": "revise", "notes": "Lengkapi IKU"}})
    [redraft] = revised.json()["next_tasks"]
    assert redraft["element_id"] == "draft"
    staf.post(f"/tasks/{redraft['id']}/claim")
    [check2] = staf.post(f"/tasks/{redraft['id']}/complete",
                         json={"data": {"title": "Konsep 2"}}).json()["next_tasks"]
    kabag.post(f"/tasks/{check2['id']}/claim")
    approved = kabag.post(f"/tasks/{check2['id']}/complete", json={"data": {"decision": "approve"}})
    assert approved.json()["next_tasks"] == []

    final = kabag.get(f"/process-instances/{instance['id']}").json()
    assert final["status"] == "completed" and final["open_tasks"] == []
    assert_aware(final["started_at"], final["ended_at"])

    download = kabag.get(f"/documents/{document['id']}/content")
    assert download.status_code == 200
    assert download.content == content
    assert hashlib.sha256(download.content).hexdigest() == document["sha256"]
    assert download.headers["ETag"].strip('"') == document["sha256"]
    assert download.headers["Content-Disposition"].startswith("attachment")


@needs_postgresql
def test_many_users_claim_one_task_exactly_one_wins(server, ctx):
    admin = Client(server, "admin", server.admin_password)
    names = [f"staf{i:02d}" for i in range(RACERS)]
    create_users(admin, "staf", *names)
    deploy(ctx, "mini")
    [task] = admin.post("/process-definitions/mini_review/instances").json()["open_tasks"]
    racers = sign_in_all(server, names)

    responses = race([lambda c=c: c.post(f"/tasks/{task['id']}/claim") for c in racers])

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * (RACERS - 1)
    [winner] = [r.json() for r in responses if r.status_code == 200]
    for loser in (r for r in responses if r.status_code == 409):
        assert_problem(loser, 409)
    assert admin.get(f"/tasks/{task['id']}").json()["assignee"] == winner["assignee"]


@needs_postgresql
def test_two_completions_of_one_claimed_task_one_wins(server, ctx):
    admin = Client(server, "admin", server.admin_password)
    create_users(admin, "staf", "staf1")
    deploy(ctx, "mini")
    [task] = admin.post("/process-definitions/mini_review/instances").json()["open_tasks"]
    first = Client(server, "staf1")
    second = first.clone()
    assert first.post(f"/tasks/{task['id']}/claim").status_code == 200

    responses = race([lambda c=c, n=n: c.post(f"/tasks/{task['id']}/complete",
                                              json={"data": {"title": f"Konsep {n}"}})
                      for n, c in enumerate((first, second))])

    assert sorted(r.status_code for r in responses) == [200, 409]
    assert_problem(next(r for r in responses if r.status_code == 409), 409)
    [check] = next(r for r in responses if r.status_code == 200).json()["next_tasks"]
    queue = admin.get(f"/tasks?process_instance_id={task['process_instance_id']}").json()
    assert [t["id"] for t in queue["items"]] == [check["id"]]


@needs_postgresql
def test_parallel_tasks_completed_at_once_both_count(server, ctx):
    admin = Client(server, "admin", server.admin_password)
    create_users(admin, "staf", "staf1")
    create_users(admin, "kepala_subbagian", "kasub")
    deploy(ctx, "parallel")
    staf, kasub = Client(server, "staf1"), Client(server, "kasub")
    instances = [admin.post("/process-definitions/api_parallel/instances").json()
                 for _ in range(5)]
    calls = []
    for instance in instances:
        tasks = {t["element_id"]: t for t in instance["open_tasks"]}
        assert staf.post(f"/tasks/{tasks['collect_a']['id']}/claim").status_code == 200
        assert kasub.post(f"/tasks/{tasks['collect_b']['id']}/claim").status_code == 200
        calls += [
            lambda t=tasks["collect_a"], c=staf.clone(): c.post(f"/tasks/{t['id']}/complete",
                                                   json={"data": {"a_note": "dari A"}}),
            lambda t=tasks["collect_b"], c=kasub.clone(): c.post(f"/tasks/{t['id']}/complete",
                                                    json={"data": {"b_note": "dari B"}}),
        ]

    responses = race(calls)

    assert [r.status_code for r in responses] == [200] * len(calls), [r.text for r in responses]
    for pair, instance in zip(zip(responses[::2], responses[1::2]), instances):
        # The join fires once, after both: exactly one of the two answers brings the review.
        following = [t for r in pair for t in r.json()["next_tasks"]]
        assert [t["element_id"] for t in following] == ["review"]
        # The script after the join read both branches' data, so the instance runs on.
        state = admin.get(f"/process-instances/{instance['id']}").json()
        assert state["status"] == "running", state["error"]
        assert [t["element_id"] for t in state["open_tasks"]] == ["review"]
