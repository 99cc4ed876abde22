"""The OpenAPI 3 document, generated with apispec from the routes and marshmallow schemas.

Each view carries an `Operation` (attached by `@operation(...)`); `build_spec` walks the
app's URL map, so a route without one fails loudly instead of going undocumented (only the
blueprints in `UNDOCUMENTED` are left out, each for the reason given there).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from http import HTTPStatus

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin, resolver
from flask import Flask
from marshmallow import Schema

from api.errors import PROBLEM_JSON, REQUEST_HEADER_LIMITS, REQUEST_LINE_LIMIT
from api.schemas import NUL_FREE, ProblemSchema, RequestSchema

TITLE = "LKj process engine"
API_VERSION = "1.0.0"
IGNORED_METHODS = {"HEAD", "OPTIONS"}
# Blueprint -> why its routes are not operations of the API.
UNDOCUMENTED = {
    "docs": "Swagger UI: a page and its script and style files for people reading this "
            "document, not part of the API it describes",
    "console": "the web console's pages and files (HTML, scripts, styles) for people; it is "
               "a client of this API, not part of it",
    "camunda": "/engine-rest: Camunda 7's REST API, whose own documentation describes it "
               "(docs/camunda-compatibility.md lists what is covered and how it differs)",
    "camunda_default": "/engine-rest/engine/default: the same Camunda 7 API under the "
                       "default engine's name",
    "observability": "/metrics: Prometheus text for a scraper (README, 'Watching the "
                     "service'), not a JSON resource of the API",
}
# Answered by the HTTP server before the application sees the request, so any operation
# may get them.
SERVER_LIMITS = {
    414: ("RequestLineTooLong", f"The request line (method, path and query) is longer than "
                                f"{REQUEST_LINE_LIMIT} bytes"),
    431: ("RequestHeadersTooLarge", f"More than {REQUEST_HEADER_LIMITS['fields']} header "
                                    f"fields, or one longer than "
                                    f"{REQUEST_HEADER_LIMITS['field_size']} bytes"),
}


@dataclass(frozen=True)
class Operation:
    summary: str
    response: type[Schema] | dict | None = None  # a schema class, or a raw JSON Schema
    status: int = 200
    body: type[Schema] | None = None
    body_required: bool = True
    query: type[Schema] | None = None
    path: type[Schema] | None = None  # the path parameters' schema (default: NUL-free text)
    errors: tuple[int, ...] = ()
    upload: str | None = None  # the multipart field of an uploaded file
    upload_many: bool = False  # the field may be repeated
    download: str | None = None  # the response is the file itself, of this media type
    also: dict[str, dict] | None = None  # other media types of the success response
    location: bool = False  # a 201 with a Location header
    description: str | None = None


def operation(summary: str, **details):
    """Document a view; the OpenAPI operation is built from this at spec time."""
    op = Operation(summary=summary, **details)

    def attach(view):
        view.lkj_operation = op
        return view
    return attach


def operation_of(app: Flask, endpoint: str | None) -> Operation | None:
    view = app.view_functions.get(endpoint) if endpoint else None
    return getattr(view, "lkj_operation", None)


def documented(rule) -> bool:
    return rule.endpoint.split(".", 1)[0] not in UNDOCUMENTED


def build_spec(app: Flask) -> dict:
    spec = APISpec(title=TITLE, version=API_VERSION, openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()],
                   info={"description": "Role queues of the LKj (Laporan Kinerja) procedure: "
                                        "start processes, claim and complete tasks, upload "
                                        "documents. Errors are application/problem+json."})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer",
                                               "bearerFormat": "JWT"})
    spec.components.schema("Problem", schema=ProblemSchema)
    for status, (name, description) in SERVER_LIMITS.items():
        spec.components.response(name, {"description": description,
                                         "content": {PROBLEM_JSON: {"schema": "Problem"}}})
    _register_cross_field_rules(spec)
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not documented(rule):
            continue
        view = app.view_functions[rule.endpoint]
        op = getattr(view, "lkj_operation", None)
        if op is None:
            raise RuntimeError(f"route {rule.rule} ({rule.endpoint}) has no @operation")
        secured = getattr(view, "lkj_secured", False)
        operations = paths.setdefault(openapi_path(rule.rule), {})
        for method in sorted(rule.methods - IGNORED_METHODS):
            operations[method.lower()] = _operation(op, rule, secured)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def openapi_path(rule: str) -> str:
    """`/tasks/<task_id>` or `/x/<int:n>` -> `/tasks/{task_id}`, `/x/{n}`."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _register_cross_field_rules(spec: APISpec) -> None:
    """Request schemas whose fields depend on each other say so in `openapi_one_of`; their
    components carry it as `oneOf`."""
    pending = list(RequestSchema.__subclasses__())
    while pending:
        schema = pending.pop()
        pending.extend(schema.__subclasses__())
        variants = schema.__dict__.get("openapi_one_of")
        if variants:
            name = resolver(schema)
            spec.components.schema(name, schema=schema)
            spec.components.schemas[name]["oneOf"] = [dict(v) for v in variants]


def _operation(op: Operation, rule, secured: bool) -> dict:
    endpoint = rule.endpoint
    result: dict = {"summary": op.summary, "operationId": endpoint.replace(".", "_"),
                    "tags": [endpoint.split(".", 1)[0]], "responses": {}}
    if op.description:
        result["description"] = op.description
    parameters = _path_parameters(op, rule)
    if op.query is not None:
        parameters.append({"in": "query", "schema": op.query})
    if parameters:
        result["parameters"] = parameters
    if op.body is not None:
        result["requestBody"] = {"required": op.body_required,
                                 "content": {"application/json": {"schema": op.body}}}
    if op.upload:
        file = {"type": "string", "format": "binary"}
        result["requestBody"] = {"required": True, "content": {"multipart/form-data": {
            "schema": {"type": "object", "required": [op.upload], "properties": {
                op.upload: {"type": "array", "items": file, "minItems": 1}
                if op.upload_many else file}}}}}
    result["responses"][str(op.status)] = _success(op)
    errors = set(op.errors) | {500}
    if secured:
        result["security"] = [{"bearer": []}]
        errors.add(401)
    else:
        result["security"] = []
    if op.body is not None or op.upload:
        errors |= {400, 422}
    if op.query is not None or rule.arguments:
        errors.add(422)
    for status in sorted(errors):
        result["responses"][str(status)] = _problem_response(status)
    for status, (name, _) in SERVER_LIMITS.items():
        result["responses"][str(status)] = name
    return result


def _path_parameters(op: Operation, rule) -> list[dict]:
    if op.path is not None:
        declared = set(op.path._declared_fields)
        if declared != set(rule.arguments):
            raise RuntimeError(f"route {rule.rule}: path schema {op.path.__name__} has "
                               f"{sorted(declared)}, the route {sorted(rule.arguments)}")
        return [{"in": "path", "schema": op.path}]
    return [{"in": "path", "name": name, "required": True,
             "schema": {"type": "string", "pattern": NUL_FREE}}
            for name in sorted(rule.arguments)]


def _success(op: Operation) -> dict:
    response: dict = {"description": HTTPStatus(op.status).phrase}
    if op.download:
        response["content"] = {op.download: {"schema": {"type": "string", "format": "binary"}}}
        response["headers"] = {
            "Content-Disposition": {"schema": {"type": "string"},
                                    "description": "attachment; filename=..."},
            "ETag": {"schema": {"type": "string"}, "description": "the sha256 of the content"}}
    elif op.response is not None:
        response["content"] = {"application/json": {"schema": op.response}}
    if op.also:
        response.setdefault("content", {}).update(op.also)
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
