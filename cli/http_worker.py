"""The gunicorn worker `lkj serve` runs: gunicorn's threaded worker, except that a request
gunicorn itself refuses (a request line or header past its limits, a malformed request)
is answered as application/problem+json like every other error, not as an HTML page."""
from __future__ import annotations

import json
from datetime import datetime
from http import HTTPStatus

from gunicorn.http import errors as http_errors
from gunicorn.http.wsgi import Response, default_environ
from gunicorn.util import write_nonblock
from gunicorn.workers.gthread import ThreadWorker

from api.errors import PROBLEM_JSON, problem_body

# gunicorn's request errors -> the status we answer; any other of its ParseExceptions is a
# 400, and anything else (not the client's doing) a 500.
STATUS_OF_PARSE_ERROR: dict[type[Exception], int] = {
    http_errors.LimitRequestLine: 414,
    http_errors.LimitRequestHeaders: 431,
    http_errors.ExpectationFailed: 417,
    http_errors.UnsupportedTransferCoding: 501,
    http_errors.ForbiddenProxyRequest: 403,
    http_errors.ConfigurationProblem: 500,
}
DETAIL_OF_STATUS = {
    414: "The request line (method, path and query) is longer than {line} bytes",
    431: "The request has more than {fields} header fields, or one longer than {size} bytes",
}
# Raised by the application's response, not the client's request: gunicorn's own 500.
NOT_THE_CLIENTS = (http_errors.InvalidResponseHeader, http_errors.InvalidResponseHeaderName)


class ProblemJsonWorker(ThreadWorker):
    """gunicorn's gthread worker; only its error answer differs."""

    def handle_error(self, req, client, addr, exc):
        started = datetime.now()
        addr = addr or ("", -1)  # a unix socket has no address
        status = status_of(exc)
        if status is None:  # a failure of ours, not of the request
            self.log.exception("Error handling request %s", getattr(req, "uri", "(no URI read)"))
            status, detail = 500, "The server failed to handle the request; the error was logged"
        else:
            self.log.warning("Invalid request from ip=%s: %s", addr[0], exc)
            detail = self._detail(status, exc)
        body = self._answer(client, status, detail)
        if req is not None:  # the access log line gunicorn writes for these too
            environ = default_environ(req, client, self.cfg)
            environ["REMOTE_ADDR"], environ["REMOTE_PORT"] = addr[0], str(addr[1])
            response = Response(req, client, self.cfg)
            response.status = f"{status} {HTTPStatus(status).phrase}"
            response.response_length = len(body)
            self.log.access(response, req, environ, datetime.now() - started)

    def _detail(self, status: int, exc: Exception) -> str:
        template = DETAIL_OF_STATUS.get(status)
        if template:
            return template.format(line=self.cfg.limit_request_line,
                                   fields=self.cfg.limit_request_fields,
                                   size=self.cfg.limit_request_field_size)
        return f"The request is not valid HTTP: {exc}"

    def _answer(self, client, status: int, detail: str) -> bytes:
        phrase = HTTPStatus(status).phrase
        body = json.dumps(problem_body(status, phrase, detail)).encode()
        head = (f"HTTP/1.1 {status} {phrase}\r\nConnection: close\r\n"
                f"Content-Type: {PROBLEM_JSON}\r\nContent-Length: {len(body)}\r\n\r\n")
        try:
            write_nonblock(client, head.encode("latin-1") + body)
        except OSError:  # the client is gone: nothing to tell it
            self.log.debug("Failed to send error message.")
        return body


def status_of(exc: Exception) -> int | None:
    """The status for a request gunicorn could not read; None when the fault is ours."""
    if isinstance(exc, NOT_THE_CLIENTS) or not isinstance(exc, http_errors.ParseException):
        return None
    for cls, status in STATUS_OF_PARSE_ERROR.items():
        if isinstance(exc, cls):
            return status
    return 400
