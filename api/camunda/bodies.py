"""A request's JSON object body (empty when none was sent)."""
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
