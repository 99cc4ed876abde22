"""docker-compose.yml is a valid Compose file (checked with the docker-compose tool; no
Docker engine runs here, and `config` needs none)."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml

from tests.conftest import ROOT

COMPOSE = ROOT / "docker-compose.yml"


def compose_config(env: dict) -> subprocess.CompletedProcess:
    """`docker-compose config` with exactly this environment (plus PATH)."""
    tool = shutil.which("docker-compose")
    if tool is None:
        pytest.skip("docker-compose is not installed (scripts/test installs it with apt)")
    return subprocess.run([tool, "-f", str(COMPOSE), "config"], capture_output=True, text=True,
                          env={"PATH": os.environ.get("PATH", ""), **env}, cwd=ROOT, timeout=60)


def test_compose_file_validates_and_runs_migration_before_the_api():
    result = compose_config({"LKJ_SECRET_KEY": "a-long-random-string"})
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    assert set(services) == {"db", "migrate", "api", "worker"}
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["api"]["depends_on"]["migrate"]["condition"] == \
        "service_completed_successfully"
    assert "gunicorn" in services["api"]["command"]
    assert services["api"]["environment"]["LKJ_DATABASE_URL"].startswith("postgresql://")


def test_compose_runs_the_worker_after_the_migration_with_the_api_settings():
    result = compose_config({"LKJ_SECRET_KEY": "a-long-random-string",
                             "LKJ_WEBHOOK_URL": "https://hooks.example/lkj",
                             "LKJ_SMTP_HOST": "mail.example", "LKJ_SMTP_PORT": "587"})
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    worker, api = services["worker"], services["api"]
    assert worker["command"] == ["lkj", "worker"]
    assert worker["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert worker["image"] == api["image"]
    # the API queues notifications for the webhook it is told of; the worker delivers them
    assert worker["environment"] == api["environment"]
    assert worker["environment"]["LKJ_WEBHOOK_URL"] == "https://hooks.example/lkj"
    assert worker["environment"]["LKJ_SMTP_HOST"] == "mail.example"
    assert str(worker["environment"]["LKJ_SMTP_PORT"]) == "587"
    assert "ports" not in worker


def test_compose_refuses_to_start_without_a_secret_key():
    result = compose_config({})
    assert result.returncode != 0
    assert "LKJ_SECRET_KEY" in result.stderr
