"""The OpenAPI document: valid OpenAPI 3 (checked by openapi-spec-validator), every route of
the app in it (but the Swagger UI pages, left out on purpose), and the server's own limits
stated in it: what the document calls valid, the server accepts."""
from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from api.openapi import IGNORED_METHODS, UNDOCUMENTED, documented, openapi_path
from engine import usecases


@pytest.fixture
def spec(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def _operations(spec):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            yield path, method, op


def _parameter(spec, path, method, name):
    return next(p for p in spec["paths"][path][method]["parameters"] if p["name"] == name)


def _schema(spec, name):
    return spec["components"]["schemas"][name]


def test_the_document_is_valid_openapi_3(spec):
    validate(spec)  # raises on any violation of the OpenAPI 3.0 schema
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] and spec["info"]["version"]
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


def test_every_route_is_documented(app, spec):
    routes = {(openapi_path(rule.rule), method.lower())
              for rule in app.url_map.iter_rules() if documented(rule)
              for method in rule.methods - IGNORED_METHODS}
    documented_ops = {(path, method) for path, method, _ in _operations(spec)}
    assert documented_ops == routes
    assert ("/api/v1/tasks/{task_id}/complete", "post") in routes
    # Only Swagger UI, /metrics, the web console and Camunda's API are left out, and each left-out
    # blueprint says why.
    left_out = {rule.endpoint.split(".")[0] for rule in app.url_map.iter_rules()
                if not documented(rule)}
    assert left_out == {"docs", "observability", "console", "camunda", "camunda_default"} and all(UNDOCUMENTED.values())


def test_operations_describe_bodies_responses_errors_and_security(spec):
    paths = spec["paths"]
    complete = paths["/api/v1/tasks/{task_id}/complete"]["post"]
    body = complete["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/TaskComplete"}
    assert complete["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Completion"}
    for status in ("400", "401", "404", "409", "422", "500"):
        problem = complete["responses"][status]["content"]["application/problem+json"]
        assert problem["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert complete["security"] == [{"bearer": []}]
    assert paths["/api/v1/auth/token"]["post"]["security"] == []
    assert paths["/healthz"]["get"]["security"] == []
    upload = paths["/api/v1/process-instances/{instance_id}/documents"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert "413" in upload["responses"]
    task_params = {p["name"] for p in paths["/api/v1/tasks"]["get"]["parameters"]}
    assert task_params == {"state", "role", "assignee", "process_instance_id", "due_before",
                           "sort", "limit", "offset", "count", "definition_key", "search"}
    task = _schema(spec, "Task")["properties"]
    assert {"id", "role", "assignee", "state", "due_at", "form_key"} <= set(task)


def test_every_operation_may_answer_414_and_431_as_problem_json(spec):
    responses = spec["components"]["responses"]
    for name in ("RequestLineTooLong", "RequestHeadersTooLarge"):
        assert "application/problem+json" in responses[name]["content"]
    for path, method, op in _operations(spec):
        assert op["responses"]["414"] == {"$ref": "#/components/responses/RequestLineTooLong"}
        assert op["responses"]["431"] == {
            "$ref": "#/components/responses/RequestHeadersTooLarge"}


def test_every_integer_the_api_reads_is_bounded_to_32_bits(spec):
    def integers(schema):
        if schema.get("type") == "integer":
            yield schema
        for sub in schema.get("properties", {}).values():
            yield from integers(sub)
    found = []
    for path, method, op in _operations(spec):
        for parameter in op.get("parameters", []):
            found += [(path, parameter["name"], s) for s in integers(parameter["schema"])]
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if body:
            name = body["schema"]["$ref"].rsplit("/", 1)[-1]
            found += [(name, "", s) for s in integers(_schema(spec, name))]
    assert len(found) >= 12  # limit and offset of four queries, versions, year
    for where, name, schema in found:
        assert schema["format"] == "int32", (where, name)
        assert 0 <= schema["minimum"] <= schema["maximum"] <= usecases.INT32_MAX, (where, name)


def test_path_parameters_carry_their_types(spec):
    xml = "/api/v1/process-definitions/{key}/versions/{version}/xml"
    assert _parameter(spec, xml, "get", "version")["schema"] == {
        "type": "integer", "format": "int32", "minimum": 1, "maximum": usecases.MAX_VERSION}
    year = _parameter(spec, "/api/v1/calendar/{year}", "get", "year")["schema"]
    assert (year["minimum"], year["maximum"]) == (usecases.FIRST_CALENDAR_YEAR,
                                                 usecases.LAST_CALENDAR_YEAR)
    day = _parameter(spec, "/api/v1/calendar/days/{date}", "put", "date")["schema"]
    assert day["format"] == "date"
    pattern = re.compile(day["pattern"])
    assert pattern.search("1900-01-01") and pattern.search("2200-12-31")
    assert not pattern.search("1899-12-31") and not pattern.search("2201-01-01")
    task = _parameter(spec, "/api/v1/tasks/{task_id}", "get", "task_id")["schema"]
    assert task["format"] == "uuid"
    # A path parameter without a schema of its own is still NUL-free text.
    user = _parameter(spec, "/api/v1/users/{username}", "patch", "username")["schema"]
    assert user == {"type": "string", "pattern": r"^[^\x00]*$"}


def test_the_engine_limits_are_stated_where_requests_carry_them(spec):
    user = _schema(spec, "UserCreate")["properties"]
    assert user["password"]["minLength"] == usecases.PASSWORD_MIN_LENGTH
    assert (user["username"]["minLength"], user["username"]["maxLength"]) == (
        1, usecases.USERNAME_MAX_LENGTH)
    assert user["full_name"]["maxLength"] == usecases.FULL_NAME_MAX_LENGTH
    assert user["email"]["maxLength"] == usecases.EMAIL_MAX_LENGTH
    role = re.compile(user["roles"]["items"]["pattern"])
    assert all(role.search(name) for name in usecases.ROLE_NAMES)
    assert role.search("satuan_kerja:BIRO-1") and not role.search("wi zard")
    unit = _schema(spec, "UnitCreate")["properties"]
    code = re.compile(unit["code"]["pattern"])
    assert code.search("BIRO-1") and not code.search("a b") and not code.search("..")
    assert unit["name"]["maxLength"] == usecases.UNIT_NAME_MAX_LENGTH
    day = _schema(spec, "CalendarDayChange")
    assert day["properties"]["kind"]["enum"] == list(usecases.CALENDAR_KINDS)
    closed = next(v for v in day["oneOf"] if v["properties"]["closed"]["enum"] == [True])
    assert closed["required"] == ["name"]
    blank = re.compile(closed["properties"]["name"]["pattern"])
    assert blank.search("Cuti bersama") and not blank.search(" \t\u3000")


def test_downloads_name_the_type_they_are_served_with(spec):
    def content(path):
        return set(spec["paths"][path]["get"]["responses"]["200"]["content"])
    assert content("/api/v1/process-instances/{instance_id}/audit-bundle") == {
        "application/zip"}
    assert content("/api/v1/process-definitions/{key}/versions/{version}/xml") == {
        "application/xml"}
    assert content("/api/v1/documents/{document_id}/content") == {"*/*"}
    assert content("/api/v1/reports/sla") == {"application/json", "text/csv"}
