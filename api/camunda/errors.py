"""Failures in Camunda's error body `{type, message, code}` (Camunda Modeler shows
`message`). The status is the one `/api/v1` answers (`api.errors.status_of`, the only
mapping of engine errors), except that Camunda knows no 422: invalid input is its 400
InvalidRequestException. An invalid diagram also carries Camunda's parse `details` per
file, so the modeler can point at the elements."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from api.errors import ApiProblem, field_errors, status_of
from engine.errors import DiagramInvalid, EngineError, InvalidInput

# Camunda's exception names, by the status we answer.
TYPE_OF_STATUS = {400: "InvalidRequestException", 401: "AuthenticationException",
                  403: "AuthorizationException", 404: "InvalidRequestException",
                  409: "OptimisticLockingException", 413: "InvalidRequestException",
                  429: "TooManyRequestsException"}
BASIC_CHALLENGE = 'Basic realm="default"'


def register(bp: Blueprint) -> None:
    bp.register_error_handler(EngineError, _engine_error)
    bp.register_error_handler(ApiProblem, _api_problem)
    bp.register_error_handler(ValidationError, _validation_error)
    bp.register_error_handler(HTTPException, _http_error)
    bp.register_error_handler(Exception, _unexpected)


def error_response(status: int, message: str, *, kind: str | None = None,
                   headers: dict | None = None, **extra):
    body = {"type": kind or TYPE_OF_STATUS.get(status, "RestException"),
            "message": message, "code": None, **extra}
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers or {})
    if status == 401:
        response.headers["WWW-Authenticate"] = BASIC_CHALLENGE
    return response


def _engine_error(error: EngineError):
    status = status_of(error)
    if status >= 500:
        return _unexpected(error)
    if isinstance(error, DiagramInvalid):
        return error_response(400, _with_problems(error.detail, error.errors),
                              kind="ParseException", details=_parse_details(error))
    if isinstance(error, InvalidInput) or status == 422:
        return error_response(400, _with_fields(error.detail, getattr(error, "errors", None)))
    retry_after = getattr(error, "retry_after_s", None)
    return error_response(status, error.detail,
                          headers={"Retry-After": str(retry_after)} if retry_after else None)


def _api_problem(error: ApiProblem):
    status = 400 if error.status == 422 else error.status
    return error_response(status, _with_fields(error.detail, error.errors))


def _validation_error(error: ValidationError):
    return error_response(400, _with_fields("The request does not fit the expected fields",
                                            field_errors(error.messages)))


def _http_error(error: HTTPException):
    return error_response(error.code or 500, error.description or error.name)


def _unexpected(error: Exception):
    current_app.logger.exception("unhandled error in %s %s", request.method, request.path)
    return error_response(500, "The server failed to handle the request; the error was "
                               "logged", kind="RestException")


def _with_fields(message: str, errors) -> str:
    """One line a client shows: the message and each field's problems."""
    if isinstance(errors, dict) and errors:
        return message + ": " + "; ".join(f"{field}: {', '.join(map(str, problems))}"
                                          for field, problems in errors.items())
    return message


def _with_problems(message: str, problems: list[dict]) -> str:
    lines = [f"{p.get('file')}:{p.get('line')} {p.get('element_id') or ''} {p.get('message')}"
             .replace("  ", " ") for p in problems]
    return message + (": " + "; ".join(lines) if lines else "")


def _parse_details(error: DiagramInvalid) -> dict:
    details: dict[str, dict] = {}
    for severity, problems in (("errors", error.errors), ("warnings", error.warnings)):
        for p in problems:
            entry = details.setdefault(p.get("file") or "", {"errors": [], "warnings": []})
            element = p.get("element_id")
            entry[severity].append({"message": p.get("message"), "line": p.get("line"),
                                    "column": p.get("column"), "mainElementId": element,
                                    "elementIds": [element] if element else []})
    return details
