"""What an operator sees: a request id on every answer, one structured log line per
request, slow requests with their command's phases, and the Prometheus metrics."""
from __future__ import annotations

import dataclasses
import json
import logging

import pytest

from api.app import create_app
from engine import usecases
from engine.usecases.context import EngineContext
from tests.conftest import ADMIN, FIXTURES, read_folder


@pytest.fixture
def records(caplog):
    caplog.set_level(logging.INFO, logger="lkj.request")
    return lambda: [r.lkj for r in caplog.records if r.name == "lkj.request"]


def test_every_answer_carries_a_request_id_and_one_log_line(client, login, records):
    staf = login("staf1", "staf")
    given = client.get("/api/v1/tasks", headers={**staf, "X-Request-ID": "trace-42"})
    assert given.headers["X-Request-ID"] == "trace-42"
    made = client.get("/api/v1/tasks", headers={**staf, "X-Request-ID": "no spaces!"})
    assert made.headers["X-Request-ID"] not in ("", "no spaces!")
    lines = [line for line in records() if line["route"] == "/api/v1/tasks"]
    assert [(line["request_id"], line["user"], line["status"], line["method"])
            for line in lines] == [("trace-42", "staf1", 200, "GET"),
                                   (made.headers["X-Request-ID"], "staf1", 200, "GET")]
    assert all(line["duration_ms"] >= 0 and not line.get("slow") for line in lines)


def test_a_slow_request_is_logged_with_its_commands_phases(settings, records):
    ctx = EngineContext(dataclasses.replace(settings, slow_request_ms=0))
    try:
        client = create_app(ctx).test_client()
        usecases.deploy(ctx, ADMIN, *read_folder(FIXTURES / "mini"))
        instance = usecases.start_instance(ctx, ADMIN, "mini_review", {})
        task = instance.open_tasks[0]
        usecases.create_user(ctx, ADMIN, "staf1", "password-123", ["staf"])
        token = client.post("/api/v1/auth/token", json={
            "username": "staf1", "password": "password-123"}).get_json()["access_token"]
        response = client.post(f"/api/v1/tasks/{task.id}/complete", json={
            "data": {"title": "Konsep"}, "claim": True},
            headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.get_json()
        [line] = [r for r in records() if r["route"] == "/api/v1/tasks/<task_id>/complete"]
        assert line["slow"] is True
        [command] = line["commands"]
        assert command["command"] == "complete_task" and command["restarts"] == 0
        assert {"read_ms", "run_ms", "write_ms", "all_ms"} <= set(command)
    finally:
        ctx.close()


def test_metrics_count_requests_and_completions_and_read_the_queues(client, login,
                                                                    mini_instance):
    staf = login("staf1", "staf")
    [task] = client.get("/api/v1/tasks", headers=staf).get_json()["items"]
    done = client.post(f"/api/v1/tasks/{task['id']}/complete",
                       json={"data": {"title": "Konsep"}, "claim": True}, headers=staf)
    assert done.status_code == 200
    page = client.get("/metrics")  # the test client calls from 127.0.0.1
    assert page.status_code == 200 and page.mimetype == "text/plain"
    text = page.get_data(as_text=True)
    assert 'lkj_task_completions_total{definition="mini_review"}' in text
    assert 'lkj_open_tasks{role="kepala_bagian",state="ready"} 1.0' in text
    assert 'lkj_instances{status="running"} 1.0' in text
    assert 'lkj_http_request_duration_seconds_count{method="POST",route=' \
           '"/api/v1/tasks/<task_id>/complete",status="200"}' in text
    assert 'lkj_command_duration_seconds_count{command="complete_task",phase="run"}' in text


def test_metrics_need_the_token_when_one_is_set_and_a_local_caller_otherwise(settings):
    ctx = EngineContext(dataclasses.replace(settings, metrics_token="scrape-secret"))
    try:
        client = create_app(ctx).test_client()
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={
            "Authorization": "Bearer scrape-secret"}).status_code == 200
    finally:
        ctx.close()
    ctx = EngineContext(settings)
    try:
        client = create_app(ctx).test_client()
        far = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
        assert far.status_code == 403 and far.mimetype == "application/problem+json"
        assert json.loads(far.data)["detail"].startswith("Without LKJ_METRICS_TOKEN")
    finally:
        ctx.close()


def test_a_real_server_adds_up_its_workers_metrics_and_logs_json(database_url, tmp_path):
    """Two gunicorn workers (their counts shared through PROMETHEUS_MULTIPROC_DIR): the
    metrics count every request whichever worker served it; each log line is JSON."""
    import requests

    from tests.conftest import LiveServer

    (tmp_path / "srv").mkdir()
    server = LiveServer(database_url, tmp_path / "srv", admin_password="admin-password-123",
                        extra_args=["--no-deploy", "--workers", "2", "--threads", "2"])
    try:
        server.wait_ready()
        for number in range(20):  # a new connection each: the kernel spreads them
            answer = requests.get(f"{server.url}/healthz",
                                  headers={"X-Request-ID": f"probe-{number}"}, timeout=10)
            assert answer.headers["X-Request-ID"] == f"probe-{number}"
        text = requests.get(f"{server.url}/metrics", timeout=10).text
        count = [line for line in text.splitlines() if line.startswith(
            'lkj_http_request_duration_seconds_count{method="GET",route="/healthz"')]
        assert count == ['lkj_http_request_duration_seconds_count{method="GET",route='
                         '"/healthz",status="200"} 20.0']
        logged = [json.loads(line) for line in server.output().splitlines()
                  if line.startswith("{") and '"probe-' in line]
        # (the output kept is its tail: the last requests)
        assert {entry["request_id"] for entry in logged} >= {f"probe-{n}" for n in range(15, 20)}
        assert all(entry["route"] == "/healthz" and entry["status"] == 200 for entry in logged)
    finally:
        server.stop()
