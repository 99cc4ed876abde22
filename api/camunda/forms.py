"""Forms as Camunda answers them, for a task's form and a definition's start form: the form
key (`/form`, `/startForm`) and the form variables (`/form-variables`): the values given,
and each field of the form not among them with its default (null without one), typed as
the field (a JSON Schema form's `default`, a Camunda form's `defaultValue`)."""
from __future__ import annotations

from flask import request

from api.camunda import wire
from engine import usecases

# the Camunda type of a JSON Schema field
TYPES = {"string": "String", "integer": "Integer", "number": "Double", "boolean": "Boolean",
         "array": "Json", "object": "Json"}
FORM_JS_KIND = "form-js"


def form_dto(key: str | None, kind: str) -> dict:
    answer = {"key": key or None, "contextPath": None, "generated": False}
    if kind == FORM_JS_KIND:
        answer["camundaFormRef"] = {"key": key, "binding": "latest", "version": None}
    return answer


def deployed(schema: dict, kind: str) -> dict:
    """The form file as deployed, for a form viewer to draw: a Camunda form's own JSON
    (which its translated schema carries), or the JSON Schema."""
    return schema.get(usecases.FORM_JS_SOURCE_KEY, schema) if kind == FORM_JS_KIND else schema


def form_variables(schema: dict | None, values: dict) -> dict:
    """The typed variables, filtered by the request's `variableNames`."""
    answer = wire.variables_out(values)
    defaults = _form_js_defaults((schema or {}).get(usecases.FORM_JS_SOURCE_KEY))
    for name, field in ((schema or {}).get("properties") or {}).items():
        if name in answer or not isinstance(field, dict):
            continue
        value = field.get("default", defaults.get(name))
        typed = wire.variables_out({name: value})[name]
        if value is None:
            typed["type"] = _type_of(field)
        answer[name] = typed
    names = request.args.get("variableNames")
    if names:
        answer = {k: v for k, v in answer.items() if k in names.split(",")}
    return answer


def _type_of(field: dict) -> str:
    kind = field.get("type")
    if kind is None and field.get("enum"):
        kind = {bool: "boolean", int: "integer", float: "number"}.get(
            type(field["enum"][0]), "string")
    return TYPES.get(kind, "Null")


def _form_js_defaults(document) -> dict:
    """key -> defaultValue of a Camunda form's fields (those in groups too)."""
    found = {}
    stack = list((document or {}).get("components") or [])
    while stack:
        component = stack.pop()
        if not isinstance(component, dict):
            continue
        stack += component.get("components") or []
        if isinstance(component.get("key"), str) and "defaultValue" in component:
            found[component["key"]] = component["defaultValue"]
    return found
