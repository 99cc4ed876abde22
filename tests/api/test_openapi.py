"""The OpenAPI document: valid OpenAPI 3, and every route of the app is in it."""
from __future__ import annotations

import pytest

from api.openapi import IGNORED_METHODS, openapi_path


@pytest.fixture
def spec(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_the_document_is_valid_openapi_3(spec):
    try:
        from openapi_spec_validator import validate
    except ImportError:  # not a dependency of the project; fall back to the structure
        validate = None
    if validate is not None:
        validate(spec)
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] and spec["info"]["version"]
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


def test_every_route_is_documented(app, spec):
    routes = {(openapi_path(rule.rule), method.lower())
              for rule in app.url_map.iter_rules()
              if not getattr(app.view_functions[rule.endpoint], "lkj_not_api", False)
              for method in rule.methods - IGNORED_METHODS}
    documented = {(path, method) for path, item in spec["paths"].items()
                  for method in item if method != "parameters"}
    assert documented == routes
    assert ("/api/v1/tasks/{task_id}/complete", "post") in routes


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
    task = spec["components"]["schemas"]["Task"]["properties"]
    assert {"id", "role", "assignee", "state", "due_at", "form_key"} <= set(task)
