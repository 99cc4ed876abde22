"""`POST /message` (correlate, or start a process that begins with it) and `POST /signal`.
For worker accounts and admins, like `/api/v1` events."""
from __future__ import annotations

from flask import Blueprint, jsonify

from api.camunda import paging, wire
from api.camunda.auth import authenticated
from api.camunda.bodies import json_object
from api.camunda.lookups import definition_id_of
from api.extension import engine_context
from engine import usecases


def add_routes(bp: Blueprint) -> None:
    bp.add_url_rule("/message", "message", message, methods=["POST"])
    bp.add_url_rule("/signal", "signal", signal, methods=["POST"])


@authenticated
def message(actor):
    body = json_object()
    correlation = wire.variables_in(body.get("correlationKeys"), "correlationKeys")
    reached = usecases.correlate_message(
        engine_context(), actor, body.get("messageName"),
        variables=wire.variables_in(body.get("processVariables"), "processVariables"),
        correlation=correlation or None, process_instance_id=body.get("processInstanceId"),
        business_key=body.get("businessKey"))
    if not paging.flag(body, "resultEnabled"):
        return "", 204
    results = [_result(r, body.get("businessKey")) for r in reached]
    if paging.flag(body, "variablesInResultEnabled"):
        # Camunda's result with variables; the engine does not answer them (null)
        results = [{**result, "variables": None} for result in results]
    return jsonify(results)


def _result(r, business_key) -> dict:
    """Camunda's MessageCorrelationResultDto: without `variables` (clients such as
    pycamunda read the key only when it is there)."""
    instance = {"links": [], "id": r.process_instance_id, "businessKey": business_key,
                "caseInstanceId": None, "ended": False, "suspended": False, "tenantId": None}
    if r.started:
        versions = usecases.definition_versions(engine_context(), r.definition_key)
        instance["definitionId"] = definition_id_of(r.definition_key, versions[-1].version)
        return {"resultType": "ProcessDefinition", "execution": None,
                "processInstance": instance}
    return {"resultType": "Execution", "processInstance": None,
            "execution": {"id": r.process_instance_id, "processInstanceId":
                          r.process_instance_id, "ended": False, "tenantId": None}}


@authenticated
def signal(actor):
    body = json_object()
    usecases.broadcast_signal(engine_context(), actor, body.get("name"),
                              variables=wire.variables_in(body.get("variables")))
    return "", 204
