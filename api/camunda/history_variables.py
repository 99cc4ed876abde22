"""History of variables: per process instance, the variables it holds now (running) or
ended with (completed, terminated), one variable instance each. The engine keeps no
history of each variable's earlier values (the event log has the changes, for auditors in
`/api/v1`). Auditors' business (and admins'), as the other history."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from api.camunda import paging, wire
from api.camunda.auth import authenticated
from api.camunda.bodies import json_object
from api.camunda.lookups import definition_id_of
from api.extension import engine_context
from engine import usecases
from engine.errors import NotFound
from engine.usecases import policy

SORTS = {"instanceId": lambda v: v["processInstanceId"], "variableName": lambda v: v["name"],
         "variableType": lambda v: v["type"]}


def add_routes(bp: Blueprint) -> None:
    path = "/history/variable-instance"
    bp.add_url_rule(path, "history_variables", history_variables, methods=["GET", "POST"])
    bp.add_url_rule(path + "/count", "history_variable_count", count_history_variables,
                    methods=["GET", "POST"])


def _query() -> dict:
    """The filters: URL parameters (GET) or the JSON body (POST)."""
    return json_object() if request.method == "POST" else request.args


def _instances(actor, query) -> list:
    ctx = engine_context()
    wanted = [i for i in (paging.text(query, "processInstanceId"),) if i]
    if query.get("processInstanceIdIn"):
        wanted += paging.listed(query.get("processInstanceIdIn"), "processInstanceIdIn")
    key = paging.text(query, "processDefinitionKey")
    if not wanted:
        return paging.every(lambda limit, offset: usecases.list_instances(
            ctx, actor, limit=limit, offset=offset, definition_key=key))
    found = []
    for instance_id in dict.fromkeys(wanted):
        try:
            instance = usecases.get_instance(ctx, actor, instance_id)
        except NotFound:
            continue  # an unknown instance has no variables
        if key in (None, instance.definition_key):
            found.append(instance)
    return found


def _variable(instance, definition_id, name: str, value) -> dict:
    return {"id": f"{instance.id}:{name}", "name": name, **wire.typed(value),
            "processDefinitionKey": instance.definition_key,
            "processDefinitionId": definition_id, "processInstanceId": instance.id,
            "executionId": instance.id, "activityInstanceId": instance.id,
            "caseDefinitionKey": None, "caseDefinitionId": None, "caseInstanceId": None,
            "caseExecutionId": None, "taskId": None, "errorMessage": None, "tenantId": None,
            "state": "CREATED", "createTime": None, "removalTime": None,
            "rootProcessInstanceId": instance.id}


def _matching(actor) -> list[dict]:
    policy.require_auditor(actor)
    query = _query()
    paging.flag(request.args, "deserializeValues")  # values are JSON: nothing to deserialize
    name = paging.text(query, "variableName")
    like = paging.text(query, "variableNameLike")
    any_case = paging.flag(query, "variableNamesIgnoreCase")
    types = query.get("variableTypeIn")
    types = {t.lower() for t in paging.listed(types, "variableTypeIn")} if types else None
    definition = paging.text(query, "processDefinitionId")
    found = []
    for instance in _instances(actor, query):
        definition_id = definition_id_of(instance.definition_key, instance.definition_version)
        if definition not in (None, definition_id):
            continue
        values = usecases.get_instance_variables(engine_context(), actor, instance.id)
        for variable_name, value in sorted(values.items()):
            if name is not None and not (variable_name == name or any_case and
                                         variable_name.lower() == name.lower()):
                continue
            if like is not None and not wire.like(like, variable_name):
                continue
            variable = _variable(instance, definition_id, variable_name, value)
            if types is None or variable["type"].lower() in types:
                found.append(variable)
    sorting = query.get("sorting") or ([{"sortBy": query["sortBy"],
                                         "sortOrder": query.get("sortOrder", "asc")}]
                                       if query.get("sortBy") else [])
    for rule in reversed(sorting if isinstance(sorting, list) else [sorting]):
        found = paging.sorted_by(found, SORTS, rule)
    return found


@authenticated
def history_variables(actor):
    return jsonify(paging.page_of(_matching(actor)))


@authenticated
def count_history_variables(actor):
    return jsonify({"count": len(_matching(actor))})
