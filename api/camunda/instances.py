"""Process instances: the list (Camunda's filters), count and one instance."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from api.camunda import paging
from api.camunda.auth import authenticated
from api.camunda.bodies import json_object
from api.camunda.lookups import definition_id_of
from api.extension import engine_context
from engine import usecases

ENDED = ("completed", "terminated")


def add_routes(bp: Blueprint) -> None:
    bp.add_url_rule("/process-instance", "instances", list_instances, methods=["GET", "POST"])
    bp.add_url_rule("/process-instance/count", "instance_count", count_instances,
                    methods=["GET", "POST"])
    bp.add_url_rule("/process-instance/<instance_id>", "instance", get_instance)


def instance_dto(i) -> dict:
    return {"links": [], "id": i.id,
            "definitionId": definition_id_of(i.definition_key, i.definition_version),
            "businessKey": i.business_key, "caseInstanceId": None,
            "ended": i.status in ENDED, "suspended": i.status == "suspended",
            "tenantId": None}


def _matching(actor) -> list:
    query = json_object() if request.method == "POST" else request.args.to_dict()
    key = paging.text(query, "processDefinitionKey")
    found = [i for i in paging.every(lambda limit, offset: usecases.list_instances(
        engine_context(), actor, limit=limit, offset=offset, definition_key=key))
        if i.status not in ENDED]  # Camunda: running ones
    ids = None if query.get("processInstanceIds") is None else \
        paging.listed(query["processInstanceIds"], "processInstanceIds")
    tests = {"businessKey": lambda i, v: i.business_key == v,
             "processInstanceIds": lambda i, v: i.id in ids,
             "processDefinitionId": lambda i, v: definition_id_of(
                 i.definition_key, i.definition_version) == v,
             "active": lambda i, v: not paging.flag(query, "active") or i.status == "running",
             "suspended": lambda i, v: not paging.flag(query, "suspended")
             or i.status == "suspended"}
    for field, test in tests.items():
        if query.get(field) not in (None, ""):
            found = [i for i in found if test(i, query[field])]
    return found


@authenticated
def list_instances(actor):
    return jsonify([instance_dto(i) for i in paging.page_of(_matching(actor))])


@authenticated
def count_instances(actor):
    return jsonify({"count": len(_matching(actor))})


@authenticated
def get_instance(actor, instance_id):
    return jsonify(instance_dto(usecases.get_instance(engine_context(), actor, instance_id)))
