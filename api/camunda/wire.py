"""Camunda's wire format: dates `yyyy-MM-dd'T'HH:mm:ss.SSSZ`, variables as
`{name: {value, type, valueInfo}}`, definition ids `key:version:id`."""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone

from engine.errors import InvalidInput

DATE_FORMATS = ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z")
INT32 = 2 ** 31
JSON_FORMAT = "application/json"


def date(value: datetime | None) -> str | None:
    """`2026-03-02T10:00:00.000+0700`: milliseconds and a numeric offset, as Camunda writes."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}" \
        + value.strftime("%z")


def parse_date(text: str, field: str) -> datetime:
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except (TypeError, ValueError):
            continue
    raise InvalidInput(f"{field}: not a date", {field: [
        "a date is written yyyy-MM-dd'T'HH:mm:ss.SSSZ, e.g. 2026-03-02T10:00:00.000+0700"]})


# ---------------------------------------------------------------- variables

def variables_in(payload, field: str = "variables") -> dict:
    """The engine's variables (JSON values) of Camunda's `{name: {value, type, valueInfo}}`.
    Dates become their text; Json and Object (JSON serialization only) their parsed value."""
    if payload is None:
        return {}
    if not isinstance(payload, dict):
        raise InvalidInput(f"{field} must be an object", {field: ["must be an object"]})
    values, errors = {}, {}
    for name, typed in payload.items():
        where = f"{field}.{name}"
        if not isinstance(typed, dict):
            errors[where] = ["must be an object {value, type, valueInfo}"]
            continue
        try:
            values[name] = _value_in(typed, where)
        except ValueError as problem:
            errors[where] = [str(problem)]
    if errors:
        raise InvalidInput("Some variables cannot be read", errors)
    return values


def _value_in(typed: dict, where: str):
    if not isinstance(typed.get("type") or "", str):
        raise ValueError("type must be the name of a type, e.g. String")
    if not isinstance(typed.get("valueInfo") or {}, dict):
        raise ValueError("valueInfo must be an object")
    value, kind = typed.get("value"), (typed.get("type") or "").lower()
    if kind in ("", "string", "boolean", "integer", "long", "short", "double", "null"):
        expected = {"string": str, "boolean": bool, "integer": int, "long": int, "short": int,
                    "double": (int, float)}.get(kind)
        if kind == "null":
            return None
        if expected and value is not None and (
                not isinstance(value, expected) or (expected is not bool and value is True)
                or (expected is not bool and value is False)):
            raise ValueError(f"a {typed['type']} variable needs a {kind} value")
        return value
    if kind == "date":
        if value is None:
            return None
        if not isinstance(value, str):
            raise ValueError("a Date variable's value is text yyyy-MM-dd'T'HH:mm:ss.SSSZ")
        parse_date(value, where)
        return value
    if kind in ("json", "object"):
        info = typed.get("valueInfo") or {}
        data_format = info.get("serializationDataFormat", JSON_FORMAT)
        if kind == "object" and data_format != JSON_FORMAT:
            raise ValueError("only Object variables serialized as application/json are "
                             "accepted (never Java serialization)")
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise ValueError(f"a {typed['type']} variable's value must be JSON text") from None
    raise ValueError(f"the type {typed.get('type')!r} is not supported: String, Integer, "
                     "Long, Double, Boolean, Date, Json, Null or Object (JSON)")


def variables_out(values: dict) -> dict:
    return {name: typed(value) for name, value in (values or {}).items()}


def typed(value) -> dict:
    if value is None:
        return {"value": None, "type": "Null", "valueInfo": {}}
    if isinstance(value, bool):
        return {"value": value, "type": "Boolean", "valueInfo": {}}
    if isinstance(value, int):
        kind = "Integer" if -INT32 <= value < INT32 else "Long"
        return {"value": value, "type": kind, "valueInfo": {}}
    if isinstance(value, float):
        return {"value": value, "type": "Double", "valueInfo": {}}
    if isinstance(value, str):
        return {"value": value, "type": "String", "valueInfo": {}}
    return {"value": json.dumps(value, ensure_ascii=False), "type": "Json", "valueInfo": {}}


# ---------------------------------------------------------------- ids

def definition_id(key: str, version: int, row_id: int | None) -> str:
    """Like Camunda's `key:version:uuid`; a BPMN process id (an NCName) has no colon."""
    return f"{key}:{version}:{row_id}"


def parse_definition_id(text: str) -> tuple[str, int, int | None]:
    """(key, version, row id) of a definition id; ValueError when it is not one."""
    key, version, row_id = text.rsplit(":", 2)
    return key, int(version), int(row_id)


def like(pattern: str, text: str) -> bool:
    """SQL LIKE as Camunda's `...Like` filters use it: `%` is any text, any case."""
    regex = ".*".join(re.escape(part) for part in pattern.split("%"))
    return re.fullmatch(regex, text, re.IGNORECASE | re.DOTALL) is not None
