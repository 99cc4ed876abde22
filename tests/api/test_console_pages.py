"""The web console's files as the app serves them: index.html for the console's own pages,
hashed assets cached for good, and the API's problem+json answers untouched."""
from __future__ import annotations

import json
import re

from api.routes import console
from tests.api.helpers import assert_problem

INDEX = (console.DIST / "index.html").read_text(encoding="utf-8")


def _assets():
    return re.findall(r'(?:src|href)="(/assets/[^"]+)"', INDEX)


def test_the_console_answers_at_the_root_and_at_each_of_its_pages(client):
    for path in ("/", "/tasks/0b0c", "/instances/x/y", "/start", "/signin", "/account"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.mimetype == "text/html"
        assert response.get_data(as_text=True) == INDEX
        assert response.headers["Cache-Control"] == "no-cache"  # a new build shows at once
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "connect-src 'self'" in policy


def test_assets_have_their_types_and_are_cached_for_good(client):
    types = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
    assets = _assets()
    assert {a.rsplit(".", 1)[-1] for a in assets} == {"js", "css", "svg"}
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert response.mimetype == types["." + asset.rsplit(".", 1)[-1]]
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert_problem(client.get("/assets/app-nothing.js"), 404)


def test_other_paths_keep_the_apis_answers(client):
    assert_problem(client.get("/api/v1/nothing-here"), 404)
    assert_problem(client.get("/nothing-here"), 404)  # not a console page either
    assert_problem(client.post("/api/v1/nothing-here"), 404)
    assert_problem(client.post("/tasks"), 405)
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_the_openapi_document_leaves_the_console_out(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/" not in paths and not any(p.startswith(("/assets", "/{section}")) for p in paths)
    assert "/api/v1/process-instances/{instance_id}/diagram" in paths


def test_the_pages_the_server_knows_are_those_the_console_has():
    paths = (console.DIST.parent.parent / "console" / "src" / "paths.js").read_text()
    firsts = {p.split("/")[1] for p in re.findall(r"'(/[^']*)'", paths)} - {""}
    assert set(json.loads((console.DIST / "sections.json").read_text())) == firsts
    assert console.SECTIONS == sorted(firsts)


def test_without_a_build_the_root_says_how_to_make_one(client, monkeypatch, tmp_path):
    monkeypatch.setattr(console, "DIST", tmp_path)
    body = assert_problem(client.get("/"), 503)
    assert "npm run build:console" in body["detail"]
