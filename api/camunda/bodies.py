"""A request's JSON object body (empty when none was sent), and a field it must carry."""
from __future__ import annotations

from flask import request

from engine.errors import InvalidInput


def json_object() -> dict:
    body = request.get_json(silent=True)
    if body is None and request.get_data():
        raise InvalidInput("The body must be JSON", {"_body": ["must be JSON"]})
    body = body if body is not None else {}
    if not isinstance(body, dict):
        raise InvalidInput("The body must be an object", {"_body": ["must be an object"]})
    return body


def required(field: str):
    """The body's `field`, which the call cannot do without (its type is the engine's to
    check)."""
    body = json_object()
    if field not in body:
        raise InvalidInput(f"{field} is missing", {field: ["is required"]})
    return body[field]
