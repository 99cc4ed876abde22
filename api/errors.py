"""Every failure as `application/problem+json` (RFC 9457), never an HTML page.

The engine's errors are mapped to HTTP statuses in one table, `STATUS_OF`; the API's own
failures (malformed bodies, bad tokens) are `ApiProblem`s; anything unexpected is logged
here and answered with a generic 500.
"""
from __future__ import annotations

import json
import re

from flask import Flask, Response, current_app, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge

from engine.errors import (
    AlreadyExists,
    ArchiveNotFound,
    AuthenticationFailed,
    ConcurrentUpdate,
    Conflict,
    DefinitionInUse,
    DefinitionNotFound,
    DefinitionSuspended,
    DeploymentNotFound,
    DiagramInvalid,
    DocumentNotFound,
    EventNotReceived,
    ExternalTaskNotFound,
    ExternalTaskNotLocked,
    DocumentQuotaExceeded,
    DocumentTooLarge,
    EngineError,
    Forbidden,
    FormInvalid,
    GroupNotFound,
    InstanceNotFound,
    InstanceNotRunning,
    InvalidInput,
    NotFound,
    PendingStepNotFound,
    PublicationNotFound,
    TaskAlreadyClaimed,
    TaskNotClaimedByCaller,
    TaskNotFound,
    TaskNotOpen,
    TooManyAttempts,
    UnitNotFound,
    UserNotFound,
    WorkflowError,
)

PROBLEM_JSON = "application/problem+json"
BEARER_CHALLENGE = 'Bearer realm="lkj"'
# What the HTTP server reads of a request before the application sees it (`lkj serve` sets
# gunicorn to these); past them it answers 414 or 431, also as problem+json.
REQUEST_LINE_LIMIT = 4094  # bytes of method, path, query and HTTP version
REQUEST_HEADER_LIMITS = {"fields": 100, "field_size": 8190}  # count, bytes of one field

# Engine error class -> HTTP status: the only place this decision is made.
STATUS_OF: dict[type[EngineError], int] = {
    NotFound: 404,
    TaskNotFound: 404,
    InstanceNotFound: 404,
    DefinitionNotFound: 404,
    DocumentNotFound: 404,
    UnitNotFound: 404,
    UserNotFound: 404,
    GroupNotFound: 404,
    DeploymentNotFound: 404,
    EventNotReceived: 404,
    ExternalTaskNotFound: 404,
    PendingStepNotFound: 404,
    ExternalTaskNotLocked: 409,
    ArchiveNotFound: 404,
    PublicationNotFound: 404,
    Conflict: 409,
    TaskAlreadyClaimed: 409,
    TaskNotOpen: 409,
    TaskNotClaimedByCaller: 409,
    InstanceNotRunning: 409,
    ConcurrentUpdate: 409,
    AlreadyExists: 409,
    DefinitionSuspended: 409,
    DefinitionInUse: 409,
    DocumentQuotaExceeded: 409,
    Forbidden: 403,
    AuthenticationFailed: 401,
    TooManyAttempts: 429,
    InvalidInput: 422,
    FormInvalid: 422,
    DocumentTooLarge: 413,
    DiagramInvalid: 400,
    # The request was understood but the process cannot run with it (a script or
    # condition failed on the given data).
    WorkflowError: 422,
    EngineError: 500,
}


class ApiProblem(Exception):
    """A failure the API itself detects (before or instead of an engine command)."""

    def __init__(self, status: int, title: str, detail: str, *, errors=None,
                 headers: dict | None = None, kind: str | None = None):
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail
        self.errors, self.headers = errors, headers or {}
        self.kind = kind or _slug(title)


def bad_request(detail: str) -> ApiProblem:
    return ApiProblem(400, "Bad request", detail, kind="bad-request")


def unauthenticated(detail: str, error: str | None = "invalid_token") -> ApiProblem:
    challenge = BEARER_CHALLENGE
    if error:
        challenge += f', error="{error}", error_description="{detail}"'
    return ApiProblem(401, "Authentication required", detail,
                      headers={"WWW-Authenticate": challenge}, kind="unauthenticated")


def status_of(error: EngineError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return 500


def problem(status: int, title: str, detail: str | None = None, *,
            kind: str | None = None, errors=None, headers: dict | None = None) -> Response:
    """The problem+json response. `kind` names the problem type; without one the type is
    `about:blank` and the title is the HTTP status phrase (RFC 9457 section 4.2.1)."""
    body = problem_body(status, title, detail, kind=kind, instance=request.path, errors=errors)
    response = Response(json.dumps(body, ensure_ascii=False), status=status,
                        mimetype=PROBLEM_JSON)
    response.headers.update(headers or {})
    if status == 401 and "WWW-Authenticate" not in response.headers:
        response.headers["WWW-Authenticate"] = BEARER_CHALLENGE
    return response


def problem_body(status: int, title: str, detail: str | None = None, *,
                 kind: str | None = None, instance: str | None = None, errors=None) -> dict:
    """The RFC 9457 object: the same fields for the app's answers and the HTTP server's."""
    body = {"type": f"urn:lkj:problem:{kind}" if kind else "about:blank",
            "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if instance is not None:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = errors
    return body


def field_errors(messages, prefix: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested messages as `{dotted.field: [messages]}`."""
    if isinstance(messages, list):
        return {prefix or "_body": [str(m) for m in messages]}
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        flat.update(field_errors(value, path))
    return flat


def register(app: Flask) -> None:
    app.register_error_handler(ApiProblem, _api_problem)
    app.register_error_handler(EngineError, _engine_error)
    app.register_error_handler(ValidationError, _validation_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def _api_problem(error: ApiProblem) -> Response:
    return problem(error.status, error.title, error.detail, kind=error.kind,
                   errors=error.errors, headers=error.headers)


def _engine_error(error: EngineError) -> Response:
    status = status_of(error)
    if status >= 500:
        return _unexpected(error)
    errors = getattr(error, "errors", None)
    retry_after = getattr(error, "retry_after_s", None)
    return problem(status, error.title, error.detail, kind=_slug(type(error).__name__),
                   errors=errors if errors else None,
                   headers={"Retry-After": str(retry_after)} if retry_after else None)


def _validation_error(error: ValidationError) -> Response:
    return problem(422, "Invalid input", "The request does not fit the expected fields",
                   kind="invalid-input", errors=field_errors(error.messages))


def _http_error(error: HTTPException) -> Response:
    headers = {}
    detail = error.description
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers["Allow"] = ", ".join(sorted(error.valid_methods))
        detail = f"{request.method} is not allowed here; use {headers['Allow']}"
    if isinstance(error, RequestEntityTooLarge):
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        detail = f"The request is larger than the limit of {limit} bytes"
    return problem(error.code or 500, error.name, detail, headers=headers)


def _unexpected(error: Exception) -> Response:
    current_app.logger.exception("unhandled error in %s %s", request.method, request.path)
    return problem(500, "Internal Server Error",
                   "The server failed to handle the request; the error was logged")


def _slug(name: str) -> str:
    """`TaskAlreadyClaimed` or `Task already claimed` -> `task-already-claimed`."""
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name)
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
