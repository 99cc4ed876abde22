"""Swagger UI at /api/v1/docs: served from the installed package's own files, reading
/api/v1/openapi.json, loading nothing from another host (and a real browser that can reach
no other host still shows every operation)."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

from api.docs import CONTENT_SECURITY_POLICY
from tests.browser.conftest import browser  # noqa: F401  (the shared Chromium fixture)

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


def test_a_browser_without_any_other_host_shows_every_operation(live_server, browser):
    """Headless Chromium (the browser tests' fixture) with every request to another host
    refused: a CDN would leave the page empty, and the refusal is recorded."""
    from playwright.sync_api import expect  # installed with the browser fixture's package

    page = browser.new_page()
    elsewhere = []

    def only_this_server(route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_server)
    try:
        page.goto(f"{live_server.url}{DOCS}")
        expect(page.get_by_text("LKj process engine").first).to_be_visible(timeout=60_000)
        for summary in ("Exchange a user name and password for a bearer token",
                        "Claim an open task of one of the caller", "Upload a document to an"):
            expect(page.get_by_text(summary).first).to_be_attached(timeout=60_000)
        assert elsewhere == []
    finally:
        page.close()
