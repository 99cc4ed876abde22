"""Reading a request: its path parameters, JSON body and query string, through request
schemas.

A body that is not JSON, not an object, or sent without a JSON content type is a 400;
fields that do not fit the schema are a 422 (marshmallow's ValidationError, see errors.py),
path parameters included: they are read before the view runs.
"""
from __future__ import annotations

import json

from flask import current_app, request
from marshmallow import Schema, ValidationError

from api.errors import bad_request
from api.openapi import operation_of
from api.schemas import shared


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
    except RecursionError:
        raise bad_request("The request body nests too deeply") from None
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object")
    return schema.load(body)


def query_args(schema: Schema) -> dict:
    return schema.load(request.args.to_dict(flat=True))


def path_args(endpoint: str | None, values: dict | None) -> None:
    """Flask's url_value_preprocessor: the route's path parameters through the schema its
    operation names (`path=`), replaced by their loaded values; without one, each must at
    least be NUL-free text."""
    if not values:
        return
    op = operation_of(current_app, endpoint)
    if op is not None and op.path is not None:
        values.update(shared(op.path).load(values))
        return
    bad = {name: ["must not contain the NUL character"] for name, value in values.items()
           if isinstance(value, str) and "\x00" in value}
    if bad:
        raise ValidationError(bad)
