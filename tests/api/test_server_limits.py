"""Through a real `lkj serve`: the requests gunicorn refuses before the application sees
them (a request line or headers past its limits, malformed HTTP) are answered as
application/problem+json like every other error, and the server goes on serving."""
from __future__ import annotations

import json
import socket

import pytest

from api.errors import REQUEST_HEADER_LIMITS, REQUEST_LINE_LIMIT


def raw_request(server, head: str) -> tuple[int, dict, dict]:
    """Send `head` as is; (status, headers, JSON body) of the answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(head.encode("latin-1"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    header_part, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = header_part.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, json.loads(body)


def assert_problem_answer(answer, status: int) -> dict:
    code, headers, body = answer
    assert code == status, body
    assert headers["content-type"] == "application/problem+json"
    assert int(headers["content-length"]) == len(json.dumps(body).encode())
    assert body["status"] == status and body["title"] and body["detail"]
    assert body["type"] == "about:blank"
    return body


@pytest.mark.parametrize("build, status, limit", [
    (lambda: f"GET /api/v1/tasks?role={'x' * REQUEST_LINE_LIMIT} HTTP/1.1\r\n"
             f"Host: localhost\r\n\r\n", 414, str(REQUEST_LINE_LIMIT)),
    (lambda: "GET /api/v1/me HTTP/1.1\r\nHost: localhost\r\n"
             f"X-Big: {'y' * (REQUEST_HEADER_LIMITS['field_size'] + 1)}\r\n\r\n", 431,
     str(REQUEST_HEADER_LIMITS["field_size"])),
    (lambda: "GET /api/v1/me HTTP/1.1\r\nHost: localhost\r\n"
             + "".join(f"X-H{i}: v\r\n" for i in range(REQUEST_HEADER_LIMITS["fields"] + 1))
             + "\r\n", 431, str(REQUEST_HEADER_LIMITS["fields"])),
    (lambda: "GET /healthz HTTP/1.1\r\nHost: localhost\r\nBad Header: x\r\n\r\n", 400, None),
])
def test_requests_the_http_server_refuses_are_problem_json(live_server, build, status, limit):
    body = assert_problem_answer(raw_request(live_server, build()), status)
    if limit:
        assert limit in body["detail"]
    # The worker is unharmed: the next request is served.
    code, headers, health = raw_request(
        live_server, "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    assert (code, health) == (200, {"status": "ok"})


def test_a_request_line_just_within_the_limit_reaches_the_application(live_server):
    prefix, suffix = "GET /api/v1/tasks?role=", " HTTP/1.1"
    line = prefix + "x" * (REQUEST_LINE_LIMIT - len(prefix) - len(suffix)) + suffix
    assert len(line) == REQUEST_LINE_LIMIT
    code, headers, body = raw_request(live_server, f"{line}\r\nHost: localhost\r\n"
                                                   f"Connection: close\r\n\r\n")
    assert code == 401 and headers["content-type"] == "application/problem+json"
