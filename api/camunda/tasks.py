"""User tasks: Camunda's task query (GET with parameters or POST with a body), one task,
claim, unclaim, assignee, complete and submit-form, its variables, form and candidates.
Its local variables are none: a task's data is its instance's.
Claiming is always for the caller: the engine's claim is the caller's own."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from api.camunda import forms, paging, wire
from api.camunda.bodies import json_object
from api.camunda.auth import authenticated
from api.camunda.lookups import definition_id_of_instance
from api.extension import engine_context
from engine import usecases
from engine.errors import InvalidInput, NotFound

SORTS = {"created": lambda t: t.created_at, "dueDate": lambda t: (t.due_at is None, t.due_at),
         "name": lambda t: t.name, "nameCaseInsensitive": lambda t: t.name.lower(),
         "assignee": lambda t: t.assignee or "", "id": lambda t: t.id,
         "processInstanceId": lambda t: t.process_instance_id}


def add_routes(bp: Blueprint) -> None:
    bp.add_url_rule("/task", "tasks", list_tasks, methods=["GET", "POST"])
    bp.add_url_rule("/task/count", "task_count", count_tasks, methods=["GET", "POST"])
    bp.add_url_rule("/task/<task_id>", "task", get_task)
    bp.add_url_rule("/task/<task_id>/claim", "claim", claim, methods=["POST"])
    bp.add_url_rule("/task/<task_id>/unclaim", "unclaim", unclaim, methods=["POST"])
    bp.add_url_rule("/task/<task_id>/assignee", "assignee", set_assignee, methods=["POST"])
    bp.add_url_rule("/task/<task_id>/complete", "complete", complete, methods=["POST"])
    bp.add_url_rule("/task/<task_id>/submit-form", "submit_form", complete, methods=["POST"])
    bp.add_url_rule("/task/<task_id>/variables", "task_variables", variables)
    bp.add_url_rule("/task/<task_id>/form-variables", "task_form_variables", form_variables)
    bp.add_url_rule("/task/<task_id>/localVariables", "task_local_variables", local_variables)
    bp.add_url_rule("/task/<task_id>/localVariables/<name>", "task_local_variable",
                    local_variable)
    bp.add_url_rule("/task/<task_id>/form", "task_form", form)
    bp.add_url_rule("/task/<task_id>/deployed-form", "deployed_form", deployed_form)
    bp.add_url_rule("/task/<task_id>/identity-links", "identity_links", identity_links)


def task_dto(actor, t) -> dict:
    return {"id": t.id, "name": t.name, "assignee": t.assignee, "owner": None,
            "created": wire.date(t.created_at), "lastUpdated": None, "due": wire.date(t.due_at),
            "followUp": None, "delegationState": None, "description": None,
            "executionId": t.process_instance_id, "parentTaskId": None, "priority": 50,
            "processDefinitionId": definition_id_of_instance(actor, t.process_instance_id),
            "processInstanceId": t.process_instance_id, "caseExecutionId": None,
            "caseDefinitionId": None, "caseInstanceId": None,
            "taskDefinitionKey": t.element_id, "suspended": False,
            "formKey": t.form_key or None, "camundaFormRef": None, "tenantId": None}


def _query() -> dict:
    """The query's filters: the URL's parameters (GET) or the body (POST)."""
    return json_object() if request.method == "POST" else request.args.to_dict()


def _matching(actor, query: dict) -> list:
    ctx = engine_context()
    server_side = {"process_instance_id": paging.text(query, "processInstanceId"),
                   "definition_key": paging.text(query, "processDefinitionKey"),
                   "assignee": paging.text(query, "assignee"),
                   "role": paging.text(query, "candidateGroup")}
    found = paging.every(lambda limit, offset: usecases.list_tasks(
        ctx, actor, limit=limit, offset=offset,
        **{k: v for k, v in server_side.items() if v}))
    filters = _filters(query)
    found = [t for t in found if _fits(t, query, filters, actor)]
    sorting = query.get("sorting") or ([{"sortBy": query["sortBy"],
                                         "sortOrder": query.get("sortOrder", "asc")}]
                                       if query.get("sortBy") else [])
    if not isinstance(sorting, list):
        sorting = [sorting]  # refused by sorted_by unless it is one {sortBy, sortOrder}
    for rule in reversed(sorting):
        found = paging.sorted_by(found, SORTS, rule)
    return found


def _filters(query: dict) -> dict:
    """The filters applied here, checked (whether or not any task is there to filter)."""
    values = {f: paging.text(query, f) for f in ("taskDefinitionKey", "name", "nameLike",
                                                  "candidateUser")}
    values.update({f: paging.listed(query[f], f) for f in ("candidateGroups",
                                                           "taskDefinitionKeyIn")
                   if query.get(f) not in (None, "")})
    values.update({f: wire.parse_date(paging.text(query, f), f)
                   for f in ("dueBefore", "dueAfter") if paging.text(query, f)})
    for field in ("includeAssignedTasks", "unassigned", "assigned"):
        values[field] = paging.flag(query, field)
    return values


def _fits(t, query: dict, values: dict, actor) -> bool:
    tests = [
        ("taskDefinitionKey", lambda v: t.element_id == v),
        ("taskDefinitionKeyIn", lambda v: t.element_id in v),
        ("name", lambda v: t.name == v),
        ("nameLike", lambda v: wire.like(v, t.name)),
        ("candidateGroups", lambda v: bool(set(t.candidate_groups) & set(v))),
        ("candidateUser", lambda v: v in t.candidate_users
         or bool(set(t.candidate_groups) & _roles_of(v))),
        ("dueBefore", lambda v: t.due_at is not None and t.due_at < v),
        ("dueAfter", lambda v: t.due_at is not None and t.due_at > v),
    ]
    candidates = query.get("candidateGroup") or values.get("candidateGroups") \
        or values.get("candidateUser")
    if candidates and not values["includeAssignedTasks"] and t.assignee:
        return False  # Camunda: a candidate query leaves assigned tasks out
    if values["unassigned"] and t.assignee is not None:
        return False
    if values["assigned"] and t.assignee is None:
        return False
    return all(test(values[field]) for field, test in tests
               if values.get(field) not in (None, "", []))


def _roles_of(username: str) -> set[str]:
    user = usecases.get_user(engine_context(), username)
    return set(user.roles) if user else set()


@authenticated
def list_tasks(actor):
    query = _query()
    paging_source = request.args if request.method == "POST" else query
    return jsonify([task_dto(actor, t) for t in paging.page_of(_matching(actor, query),
                                                               paging_source)])


@authenticated
def count_tasks(actor):
    return jsonify({"count": len(_matching(actor, _query()))})


@authenticated
def get_task(actor, task_id):
    return jsonify(task_dto(actor, usecases.get_task(engine_context(), actor, task_id)))


def _give(actor, task_id, user_id) -> None:
    """`userId`: the caller claims the task for itself; someone else's name is an admin
    giving the task to that user (engine/usecases/task_assignment.py)."""
    if not isinstance(user_id, str) or not user_id:
        raise InvalidInput("userId must be a user's name", {"userId": ["must be a user's name"]})
    if user_id == actor.username:
        usecases.claim_task(engine_context(), actor, task_id)
    else:
        usecases.reassign_task(engine_context(), actor, task_id, user_id)


@authenticated
def claim(actor, task_id):
    _give(actor, task_id, json_object().get("userId", actor.username))
    return "", 204


@authenticated
def unclaim(actor, task_id):
    usecases.unclaim_task(engine_context(), actor, task_id)
    return "", 204


@authenticated
def set_assignee(actor, task_id):
    user_id = json_object().get("userId")
    if user_id is None:
        usecases.unclaim_task(engine_context(), actor, task_id)
    else:
        _give(actor, task_id, user_id)
    return "", 204


@authenticated
def complete(actor, task_id):
    """Completes a ready task too (claimed and completed at once), as Camunda lets a
    candidate complete a task nobody claimed."""
    body = json_object()
    data = wire.variables_in(body.get("variables"))
    ctx = engine_context()
    usecases.complete_task(ctx, actor, task_id, data, claim=True)
    if paging.flag(body, "withVariablesInReturn"):
        return jsonify(wire.variables_out(usecases.get_task_variables(ctx, actor, task_id)))
    return "", 204


@authenticated
def variables(actor, task_id):
    values = usecases.get_task_variables(engine_context(), actor, task_id)
    names = request.args.get("variableNames")
    if names:
        values = {k: v for k, v in values.items() if k in names.split(",")}
    return jsonify(wire.variables_out(values))


@authenticated
def form_variables(actor, task_id):
    ctx = engine_context()
    _, schema, _ = usecases.get_task_form(ctx, actor, task_id)
    return jsonify(forms.form_variables(schema, usecases.get_task_variables(ctx, actor,
                                                                            task_id)))


@authenticated
def local_variables(actor, task_id):
    """A task has no variables of its own here: its data is the instance's (what
    `/variables` answers), and a completion writes into the instance. Empty, once the
    task is known to the caller."""
    usecases.get_task(engine_context(), actor, task_id)
    return jsonify({})


@authenticated
def local_variable(actor, task_id, name):
    usecases.get_task(engine_context(), actor, task_id)
    raise NotFound(f"task '{task_id}' has no local variable '{name}': a task's data is "
                   "its instance's (GET /task/{id}/variables)")


@authenticated
def form(actor, task_id):
    key, _, kind = usecases.get_task_form(engine_context(), actor, task_id)
    return jsonify(forms.form_dto(key, kind))


@authenticated
def deployed_form(actor, task_id):
    """The task's form as it was deployed: a Camunda form's own JSON (what a form-js viewer
    draws), or our JSON Schema; a task without a form has none to serve."""
    key, schema, kind = usecases.get_task_form(engine_context(), actor, task_id)
    if kind == "none":
        raise NotFound(f"task '{task_id}' has no deployed form")
    return jsonify(forms.deployed(schema, kind))


@authenticated
def identity_links(actor, task_id):
    t = usecases.get_task(engine_context(), actor, task_id)
    links = [{"userId": None, "groupId": group, "type": "candidate"}
             for group in t.candidate_groups]
    links += [{"userId": user, "groupId": None, "type": "candidate"}
              for user in t.candidate_users]
    if t.assignee:
        links.append({"userId": t.assignee, "groupId": None, "type": "assignee"})
    return jsonify(links)
