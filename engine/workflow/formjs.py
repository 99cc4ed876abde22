"""Camunda Forms (form-js `.form` files, as Camunda Modeler's form editor saves them)
translated once at deployment into JSON Schema, so a submission is checked with the same
rules as a JSON Schema form: required fields, types, minimum/maximum, lengths, patterns and
the options of selects, radios, checklists and tag lists.

The translated schema keeps the original under `x-form-js` (a console can draw it) and says
`x-form-kind: form-js`; JSON Schema ignores both keywords when validating.
"""
from __future__ import annotations

import re

KIND_KEY = "x-form-kind"
SOURCE_KEY = "x-form-js"
FILE_KEY = "x-form-file"
KIND = "form-js"

_STRING_FIELDS = {"textfield", "textarea"}
_OPTION_FIELDS = {"radio", "select"}
_MULTI_OPTION_FIELDS = {"checklist", "taglist"}
# Components that show something and hold no value.
_DISPLAY = {"text", "html", "image", "button", "spacer", "separator", "iframe", "table",
            "documentPreview", "default"}
_DATE_PATTERNS = {
    "date": r"^\d{4}-\d{2}-\d{2}$",
    "time": r"^\d{2}:\d{2}(:\d{2})?([+-]\d{2}:?\d{2}|Z)?$",
    "datetime": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?$",
}
_PHONE = r"^\+?[0-9 ()\-]{6,20}$"


class FormJsInvalid(ValueError):
    """The `.form` file cannot be used; `problems` lists (component id, message)."""

    def __init__(self, problems: list[tuple[str | None, str]]):
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems


def is_form_js(document) -> bool:
    return isinstance(document, dict) and isinstance(document.get("components"), list)


def to_json_schema(document: dict, filename: str) -> dict:
    """The JSON Schema a submission to this form must satisfy (raises FormJsInvalid)."""
    problems: list[tuple[str | None, str]] = []
    if not isinstance(document.get("id"), str) or not document["id"]:
        problems.append((None, "the form has no 'id' (camunda:formRef names it)"))
    root = _object()
    _add_components(document.get("components") or [], root, problems, set())
    if problems:
        raise FormJsInvalid(problems)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **root,
            KIND_KEY: KIND, FILE_KEY: filename, SOURCE_KEY: document}


def _object() -> dict:
    return {"type": "object", "properties": {}, "required": [], "additionalProperties": False}


def _add_components(components, target: dict, problems, seen: set[str]) -> None:
    for component in components:
        if not isinstance(component, dict):
            problems.append((None, "a component must be an object"))
            continue
        kind, cid = component.get("type"), component.get("id")
        where = f"component '{cid or component.get('key') or kind}'"
        if kind in _DISPLAY:
            continue
        if kind == "group":
            inner = _at_path(target, component.get("path"))
            _add_components(component.get("components") or [], inner, problems, seen)
            continue
        key = component.get("key") if kind != "dynamiclist" else component.get("path")
        if not isinstance(key, str) or not key:
            problems.append((cid, f"{where} ({kind}) has no key: its value has nowhere to go"))
            continue
        if key in seen:
            problems.append((cid, f"{where}: the key '{key}' is used twice"))
            continue
        seen.add(key)
        try:
            field = _field_schema(component, problems, where)
        except _Unsupported as exc:
            problems.append((cid, f"{where}: {exc}"))
            continue
        *parents, name = key.split(".")
        holder = _at_path(target, ".".join(parents)) if parents else target
        holder["properties"][name] = field
        if (component.get("validate") or {}).get("required"):
            holder["required"].append(name)


class _Unsupported(ValueError):
    pass


def _at_path(target: dict, path) -> dict:
    """The nested object schema at a dotted path (created on first use)."""
    for part in (path or "").split("."):
        if part:
            target = target["properties"].setdefault(part, _object())
    return target


def _field_schema(component: dict, problems, where: str) -> dict:
    kind = component.get("type")
    rules = component.get("validate") or {}
    if kind in _STRING_FIELDS:
        schema = {"type": "string"}
        _copy(rules, schema, {"minLength": "minLength", "maxLength": "maxLength"}, problems,
              component, where)
        if rules.get("pattern"):
            try:
                re.compile(rules["pattern"])
            except re.error as exc:
                problems.append((component.get("id"),
                                 f"{where}: pattern '{rules['pattern']}' is not a valid "
                                 f"regular expression ({exc})"))
            schema["pattern"] = rules["pattern"]
        if rules.get("validationType") == "email":
            schema["pattern"] = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
        elif rules.get("validationType") == "phone":
            schema["pattern"] = _PHONE
        return schema
    if kind == "number":
        schema = {"type": "number"}
        _copy(rules, schema, {"min": "minimum", "max": "maximum"}, problems, component, where)
        if component.get("decimalDigits") == 0:
            schema["type"] = "integer"
        return schema
    if kind == "checkbox":
        return {"type": "boolean"}
    if kind in _OPTION_FIELDS:
        return {"enum": _options(component, where)} if _options(component, where) else {}
    if kind in _MULTI_OPTION_FIELDS:
        items = {"enum": _options(component, where)} if _options(component, where) else {}
        return {"type": "array", "items": items, "uniqueItems": True}
    if kind == "datetime":
        subtype = component.get("subtype") or "date"
        if subtype not in _DATE_PATTERNS:
            raise _Unsupported(f"unknown datetime subtype '{subtype}'")
        return {"type": "string", "pattern": _DATE_PATTERNS[subtype]}
    if kind == "dynamiclist":
        item = _object()
        _add_components(component.get("components") or [], item, problems, set())
        return {"type": "array", "items": item}
    if kind in ("filepicker", "expression"):
        return {}
    raise _Unsupported(f"component type '{kind}' is not known to form-js")


def _copy(rules: dict, schema: dict, names: dict, problems, component, where: str) -> None:
    for form_name, schema_name in names.items():
        value = rules.get(form_name)
        if value is None or value == "":
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append((component.get("id"), f"{where}: {form_name} must be a number"))
            continue
        schema[schema_name] = value
    low = schema.get("minimum", schema.get("minLength"))
    high = schema.get("maximum", schema.get("maxLength"))
    if low is not None and high is not None and low > high:
        problems.append((component.get("id"), f"{where}: the minimum is above the maximum"))


def _options(component: dict, where: str) -> list:
    """The static options' values; none when the options come from data at run time."""
    values = component.get("values")
    if values is None:
        return []
    if not isinstance(values, list) or not all(isinstance(v, dict) and "value" in v
                                                for v in values):
        raise _Unsupported("'values' must be a list of {label, value}")
    return [v["value"] for v in values]
