"""The web console: its built files (api/console_dist, made by `npm run build:console` from
console/) served at `/`, on the same origin as the API it calls.

The console's own pages (`/tasks/...`, `/instances/...`) are routes of the browser; each one
loaded directly answers with `index.html`, which then draws the page. Their first path
segments come from the build (`sections.json`, written from console/src/paths.js), so no
other path answers with the console: `/api/...` keeps its problem+json 404s and 405s.

Caching: the files under /assets/ carry their content hash in their names and are cached
for a year; `index.html` is revalidated on every load, so a new build shows at once.
These routes are not part of the REST API and stay out of its OpenAPI document.
"""
from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint, Response, send_from_directory

from api.errors import ApiProblem

bp = Blueprint("console", __name__)
DIST = Path(__file__).resolve().parent.parent / "console_dist"
ASSETS = DIST / "assets"
INDEX = "index.html"
IMMUTABLE = "public, max-age=31536000, immutable"
# The console loads nothing from another origin, and frames nobody. Ajv compiles each form's
# JSON Schema into a function ('unsafe-eval'); bpmn-js and the form library set inline styles.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-eval'; "
                           "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
                           "font-src 'self'; connect-src 'self'; object-src 'none'; "
                           "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".svg": "image/svg+xml", ".woff2": "font/woff2", ".woff": "font/woff",
         ".ttf": "font/ttf", ".eot": "application/vnd.ms-fontobject", ".png": "image/png",
         ".txt": "text/plain; charset=utf-8", ".json": "application/json"}


def _sections() -> list[str]:
    try:
        return json.loads((DIST / "sections.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []


def _index() -> Response:
    if not (DIST / INDEX).is_file():
        raise ApiProblem(503, "Console not built",
                         "The web console's files are missing: run `npm ci && npm run "
                         "build:console` in the repository", kind="console-not-built")
    response = send_from_directory(DIST, INDEX, mimetype="text/html", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@bp.get("/")
def console_home():
    return _index()


SECTIONS = _sections()
if SECTIONS:
    _any = "any(" + ", ".join(f"'{section}'" for section in SECTIONS) + ")"

    @bp.get(f"/<{_any}:section>")
    @bp.get(f"/<{_any}:section>/<path:rest>")
    def console_page(section, rest=None):
        return _index()


@bp.get("/assets/<path:name>")
def console_asset(name):
    response = send_from_directory(ASSETS, name, max_age=0)
    response.headers["Content-Type"] = TYPES.get(Path(name).suffix, response.mimetype)
    response.headers["Cache-Control"] = IMMUTABLE
    return response
