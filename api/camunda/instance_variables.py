"""A process instance's variables: read (whole, one, one's raw content), set one, modify
several (set and delete), delete one. The engine's instance variables: the data of the
open tasks, or what an ended instance ended with (engine/workflow/instance_data.py);
changes are admins' and reach every open task."""
from __future__ import annotations

import json

from flask import Blueprint, Response, jsonify, request

from api.camunda import paging, wire
from api.camunda.auth import authenticated
from api.camunda.bodies import json_object
from api.extension import engine_context
from engine import usecases
from engine.errors import InvalidInput, NotFound


def add_routes(bp: Blueprint) -> None:
    base = "/process-instance/<instance_id>/variables"
    bp.add_url_rule(base, "instance_variables", list_variables)
    bp.add_url_rule(base, "modify_instance_variables", modify_variables, methods=["POST"])
    bp.add_url_rule(base + "/<name>", "instance_variable", get_variable)
    bp.add_url_rule(base + "/<name>", "put_instance_variable", put_variable,
                    methods=["PUT"])
    bp.add_url_rule(base + "/<name>", "delete_instance_variable", delete_variable,
                    methods=["DELETE"])
    bp.add_url_rule(base + "/<name>/data", "instance_variable_data", variable_data)


def _values(actor, instance_id: str) -> dict:
    # Values are JSON: there is nothing to deserialize, but the flags must be well-formed.
    for flag in ("deserializeValues", "deserializeValue"):
        paging.flag(request.args, flag)
    return usecases.get_instance_variables(engine_context(), actor, instance_id)


def _value(actor, instance_id: str, name: str):
    values = _values(actor, instance_id)
    if name not in values:
        raise NotFound(f"process instance '{instance_id}' has no variable '{name}'")
    return values[name]


@authenticated
def list_variables(actor, instance_id):
    return jsonify(wire.variables_out(_values(actor, instance_id)))


@authenticated
def get_variable(actor, instance_id, name):
    return jsonify(wire.typed(_value(actor, instance_id, name)))


@authenticated
def variable_data(actor, instance_id, name):
    """The value's content as bytes (Camunda answers this for Bytes and File variables,
    which the engine does not hold): a String's text, the JSON text of any other value,
    nothing for null; UTF-8."""
    value = _value(actor, instance_id, name)
    content = b"" if value is None else value.encode() if isinstance(value, str) \
        else json.dumps(value, ensure_ascii=False).encode()
    return Response(content, mimetype="application/octet-stream")


def _change(actor, instance_id: str, modifications: dict, deletions: list) -> None:
    usecases.set_instance_variables(engine_context(), actor, instance_id, modifications,
                                    deletions)


@authenticated
def put_variable(actor, instance_id, name):
    body = json_object()
    if "value" not in body and str(body.get("type")).lower() != "null":
        raise InvalidInput("value is required (type Null sets null)",
                           {"value": ["is required"]})
    _change(actor, instance_id, wire.variables_in({name: body}), [])
    return "", 204


@authenticated
def modify_variables(actor, instance_id):
    body = json_object()  # the use case checks the deletions' names
    _change(actor, instance_id, wire.variables_in(body.get("modifications"), "modifications"),
            body.get("deletions"))
    return "", 204


@authenticated
def delete_variable(actor, instance_id, name):
    _change(actor, instance_id, {}, [name])
    return "", 204
