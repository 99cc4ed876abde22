"""One process instance: its variables (read), suspending and resuming it, deleting it (our
terminate: its history stays) and the tree of its open activities. The use cases apply the
policy (administration is admins')."""
from __future__ import annotations

from flask import Blueprint, jsonify

from api.camunda import wire
from api.camunda.auth import authenticated
from api.camunda.bodies import json_object
from api.extension import engine_context
from engine import usecases
from engine.errors import Conflict, InvalidInput, NotFound


def add_routes(bp: Blueprint) -> None:
    base = "/process-instance/<instance_id>"
    bp.add_url_rule(base, "delete_instance", delete_instance, methods=["DELETE"])
    bp.add_url_rule(base + "/variables", "instance_variables", instance_variables)
    bp.add_url_rule(base + "/variables/<name>", "instance_variable", instance_variable)
    bp.add_url_rule(base + "/suspended", "suspend_instance", suspend_instance,
                    methods=["PUT"])


def _variables(actor, instance_id: str) -> dict:
    """The instance's data as its first open user task sees it: the engine keeps data per
    task, and an instance without one (ended, or waiting for a worker or an event) has no
    data the engine shows."""
    ctx = engine_context()
    instance = usecases.get_instance(ctx, actor, instance_id)
    if not instance.open_tasks:
        raise Conflict(f"process instance '{instance_id}' has no open user task whose "
                       "data could be read")
    return usecases.get_task_variables(ctx, actor, instance.open_tasks[0].id)


@authenticated
def instance_variables(actor, instance_id):
    return jsonify(wire.variables_out(_variables(actor, instance_id)))


@authenticated
def instance_variable(actor, instance_id, name):
    values = _variables(actor, instance_id)
    if name not in values:
        raise NotFound(f"process instance '{instance_id}' has no variable '{name}'")
    return jsonify(wire.typed(values[name]))


@authenticated
def suspend_instance(actor, instance_id):
    suspended = json_object().get("suspended")
    if not isinstance(suspended, bool):
        raise InvalidInput("suspended must be true or false",
                           {"suspended": ["must be true or false"]})
    change = usecases.suspend_instance if suspended else usecases.resume_instance
    change(engine_context(), actor, instance_id)
    return "", 204


@authenticated
def delete_instance(actor, instance_id):
    usecases.terminate_instance(engine_context(), actor, instance_id,
                                reason="deleted through the Camunda REST API")
    return "", 204
