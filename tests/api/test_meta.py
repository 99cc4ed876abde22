"""The probes a process supervisor uses, and the API's place in the layering."""
from __future__ import annotations

import dataclasses

from api.app import create_app
from engine.usecases.context import EngineContext
from tests.api.helpers import assert_problem


def test_health_and_readiness_on_a_migrated_database(client):
    for probe in ("/healthz", "/readyz"):
        response = client.get(probe)
        assert response.status_code == 200
        assert response.get_json() == {"status": "ok"}


def _app_on(settings, database_url):
    ctx = EngineContext(dataclasses.replace(settings, database_url=database_url))
    return ctx, create_app(ctx).test_client()


def test_not_ready_before_migrating(settings, tmp_path):
    ctx, client = _app_on(settings, f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    try:
        assert client.get("/healthz").status_code == 200
        body = assert_problem(client.get("/readyz"), 503)
        assert "migration" in body["detail"]
    finally:
        ctx.close()


def test_not_ready_without_a_database(settings):
    # Nothing listens on port 9 (discard); the connection is refused at once.
    ctx, client = _app_on(settings, "postgresql://postgres@127.0.0.1:9/none?connect_timeout=2")
    try:
        assert client.get("/healthz").status_code == 200
        assert_problem(client.get("/readyz"), 503)
    finally:
        ctx.close()


