"""One process instance: suspending and resuming it, deleting it (our terminate: its
history stays). Its variables are in api/camunda/instance_variables.py, the tree of its
open activities in api/camunda/activity_tree.py. The use cases apply the policy
(administration is admins')."""
from __future__ import annotations

from flask import Blueprint

from api.camunda.auth import authenticated
from api.camunda.bodies import json_object
from api.extension import engine_context
from engine import usecases
from engine.errors import InvalidInput


def add_routes(bp: Blueprint) -> None:
    base = "/process-instance/<instance_id>"
    bp.add_url_rule(base, "delete_instance", delete_instance, methods=["DELETE"])
    bp.add_url_rule(base + "/suspended", "suspend_instance", suspend_instance,
                    methods=["PUT"])


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
