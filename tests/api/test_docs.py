"""Swagger UI at /api/v1/docs: served from the installed package's own files, reading
/api/v1/openapi.json, loading nothing from another host (and a real browser that can reach
no other host still shows every operation)."""
from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from api.docs import CONTENT_SECURITY_POLICY

DOCS = "/api/v1/docs/"


class References(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def test_the_page_and_everything_it_loads_come_from_this_server(client):
    assert client.get("/api/v1/docs").status_code == 308  # to the page itself
    page = client.get(DOCS)
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert page.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    html = page.get_data(as_text=True)
    parser = References()
    parser.feed(html)
    assert len(parser.urls) >= 5  # two style sheets, two icons, two scripts
    for url in parser.urls:
        assert url.startswith(DOCS), url  # same host, under the docs path
        asset = client.get(url)
        assert asset.status_code == 200 and asset.content_length > 100, url
    assert '"url": "/api/v1/openapi.json"' in html
    assert '"validatorUrl": null' in html  # no badge fetched from validator.swagger.io
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)


def test_an_unknown_docs_file_is_a_404_problem(client):
    response = client.get(f"{DOCS}nothing.js")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_a_browser_without_any_other_host_shows_every_operation(live_server, tmp_path):
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("NOT RENDERED: chromium is missing (apt-get install -y chromium)")
    # Every host name but the server's fails to resolve: a CDN would leave the page empty.
    run = subprocess.run([
        chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--virtual-time-budget=15000", "--dump-dom", f"{live_server.url}{DOCS}"],
        capture_output=True, text=True, timeout=120)
    dom = run.stdout
    assert "LKj process engine" in dom, run.stderr[-2000:]
    for summary in ("Exchange a user name and password for a bearer token",
                    "Claim an open task of one of the caller", "Upload a document to an"):
        assert summary in dom, summary
