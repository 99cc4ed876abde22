"""The OpenAPI 3 document, generated with apispec from the routes and marshmallow schemas.

Each view carries an `Operation` (attached by `@operation(...)`); `build_spec` walks the
app's URL map, so a route without one fails loudly instead of going undocumented.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from http import HTTPStatus

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from marshmallow import Schema

from api.errors import PROBLEM_JSON
from api.schemas import ProblemSchema

TITLE = "LKj process engine"
API_VERSION = "1.0.0"
IGNORED_METHODS = {"HEAD", "OPTIONS"}


@dataclass(frozen=True)
class Operation:
    summary: str
    response: type[Schema] | dict | None = None  # a schema class, or a raw JSON Schema
    status: int = 200
    body: type[Schema] | None = None
    body_required: bool = True
    query: type[Schema] | None = None
    errors: tuple[int, ...] = ()
    upload: str | None = None  # the multipart field of an uploaded file
    download: bool = False  # the response is the file itself
    location: bool = False  # a 201 with a Location header
    description: str | None = None


def operation(summary: str, **details):
    """Document a view; the OpenAPI operation is built from this at spec time."""
    op = Operation(summary=summary, **details)

    def attach(view):
        view.lkj_operation = op
        return view
    return attach


def build_spec(app: Flask) -> dict:
    spec = APISpec(title=TITLE, version=API_VERSION, openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()],
                   info={"description": "Role queues of the LKj (Laporan Kinerja) procedure: "
                                        "start processes, claim and complete tasks, upload "
                                        "documents. Errors are application/problem+json."})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer",
                                               "bearerFormat": "JWT"})
    spec.components.schema("Problem", schema=ProblemSchema)
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions[rule.endpoint]
        if getattr(view, "lkj_not_api", False):  # the web console's pages and files
            continue
        op = getattr(view, "lkj_operation", None)
        if op is None:
            raise RuntimeError(f"route {rule.rule} ({rule.endpoint}) has no @operation")
        secured = getattr(view, "lkj_secured", False)
        entry = paths.setdefault(openapi_path(rule.rule),
                                 {"operations": {}, "args": rule.arguments})
        for method in sorted(rule.methods - IGNORED_METHODS):
            entry["operations"][method.lower()] = _operation(op, rule.endpoint, secured)
    for path, entry in paths.items():
        parameters = [{"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
                      for name in sorted(entry["args"])]
        spec.path(path=path, operations=entry["operations"], parameters=parameters)
    return spec.to_dict()


def openapi_path(rule: str) -> str:
    """`/tasks/<task_id>` or `/x/<int:n>` -> `/tasks/{task_id}`, `/x/{n}`."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _operation(op: Operation, endpoint: str, secured: bool) -> dict:
    result: dict = {"summary": op.summary, "operationId": endpoint.replace(".", "_"),
                    "tags": [endpoint.split(".", 1)[0]], "responses": {}}
    if op.description:
        result["description"] = op.description
    if op.query is not None:
        result["parameters"] = [{"in": "query", "schema": op.query}]
    if op.body is not None:
        result["requestBody"] = {"required": op.body_required,
                                 "content": {"application/json": {"schema": op.body}}}
    if op.upload:
        result["requestBody"] = {"required": True, "content": {"multipart/form-data": {
            "schema": {"type": "object", "required": [op.upload],
                       "properties": {op.upload: {"type": "string", "format": "binary"}}}}}}
    result["responses"][str(op.status)] = _success(op)
    errors = set(op.errors) | {500}
    if secured:
        result["security"] = [{"bearer": []}]
        errors.add(401)
    else:
        result["security"] = []
    if op.body is not None or op.upload:
        errors |= {400, 422}
    if op.query is not None:
        errors.add(422)
    for status in sorted(errors):
        result["responses"][str(status)] = _problem_response(status)
    return result


def _success(op: Operation) -> dict:
    response: dict = {"description": HTTPStatus(op.status).phrase}
    if op.download:
        response["content"] = {"application/octet-stream": {
            "schema": {"type": "string", "format": "binary"}}}
        response["headers"] = {
            "Content-Disposition": {"schema": {"type": "string"},
                                    "description": "attachment; filename=..."},
            "ETag": {"schema": {"type": "string"}, "description": "the sha256 of the content"}}
    elif op.response is not None:
        response["content"] = {"application/json": {"schema": op.response}}
    if op.location:
        response["headers"] = {"Location": {"schema": {"type": "string"},
                                            "description": "the URL of the new resource"}}
    return response


def _problem_response(status: int) -> dict:
    response = {"description": HTTPStatus(status).phrase,
                "content": {PROBLEM_JSON: {"schema": "Problem"}}}
    if status == 401:
        response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"},
                                                    "description": "Bearer"}}
    return response
