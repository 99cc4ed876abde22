"""Reading a request: its JSON body and its query string, through a request schema.

A body that is not JSON, not an object, or sent without a JSON content type is a 400;
fields that do not fit the schema are a 422 (marshmallow's ValidationError, see errors.py).
"""
from __future__ import annotations

import json

from flask import request
from marshmallow import Schema

from api.errors import bad_request


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def json_body(schema: Schema, *, required: bool = True) -> dict:
    """The body loaded through `schema`. With required=False an empty body counts as `{}`."""
    raw = request.get_data(cache=True)
    if not raw and not required:
        return schema.load({})
    if not request.is_json:
        raise bad_request("The request body must be JSON, sent as Content-Type: "
                          "application/json")
    if not raw:
        raise bad_request("The request body is empty; a JSON object is expected")
    try:
        body = json.loads(raw, parse_constant=_refuse_constant)
    except ValueError as exc:  # includes UnicodeDecodeError
        raise bad_request(f"The request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object")
    return schema.load(body)


def query_args(schema: Schema) -> dict:
    return schema.load(request.args.to_dict(flat=True))
