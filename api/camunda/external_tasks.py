"""External tasks as Camunda's workers call them: fetch and lock (long polling bounded by
the engine's longest wait), complete, failure, BPMN error and extend lock; the list, one
task and its last failure's details. For worker accounts and admins, like
`/api/v1/external-tasks`. Setting a task's retries is an admin's: a task out of retries
(an incident) comes back with the admin's retry of its instance."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from api.camunda import paging, wire
from api.camunda.auth import authenticated
from api.camunda.bodies import json_object, required
from api.extension import engine_context
from engine import usecases
from engine.errors import InvalidInput
from engine.usecases.constraints import EXTERNAL_WAIT_MAX_MS


def add_routes(bp: Blueprint) -> None:
    bp.add_url_rule("/external-task/fetchAndLock", "fetch_and_lock", fetch_and_lock,
                    methods=["POST"])
    bp.add_url_rule("/external-task", "external_tasks", list_external_tasks)
    bp.add_url_rule("/external-task/count", "external_task_count", count_external_tasks)
    bp.add_url_rule("/external-task/<task_id>", "external_task", get_external_task)
    bp.add_url_rule("/external-task/<task_id>/errorDetails", "external_error_details",
                    error_details)
    bp.add_url_rule("/external-task/<task_id>/retries", "external_retries", set_retries,
                    methods=["PUT"])
    for action, view in (("complete", complete), ("failure", failure),
                         ("bpmnError", bpmn_error), ("extendLock", extend_lock),
                         ("unlock", unlock)):
        bp.add_url_rule(f"/external-task/<task_id>/{action}", f"external_{action}", view,
                        methods=["POST"])


def _whole(body: dict, field: str, default=None):
    value = body.get(field, default)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise InvalidInput(f"{field} must be a whole number", {field: ["must be a whole number"]})
    return value


@authenticated
def fetch_and_lock(actor):
    body = json_object()
    topics = body.get("topics")
    if not isinstance(topics, list):
        raise InvalidInput("topics must be a list", {"topics": ["must be a list"]})
    wanted = [{"name": t.get("topicName"), "lock_duration_ms": t.get("lockDuration"),
               "variables": t.get("variables")} if isinstance(t, dict) else t
              for t in topics]
    # Camunda lets a client wait up to 30 min; a waiting request holds a server thread here
    wait_ms = min(_whole(body, "asyncResponseTimeout", 0) or 0, EXTERNAL_WAIT_MAX_MS)
    locked = usecases.fetch_and_lock(engine_context(), actor, body.get("workerId"), wanted,
                                     max_tasks=_whole(body, "maxTasks", 1), wait_ms=max(wait_ms, 0))
    return jsonify([_locked_dto(t) for t in locked])


def _locked_dto(t) -> dict:
    key = t.definition[0] if t.definition else None
    return {"activityId": t.element_id, "activityInstanceId": f"{t.element_id}:{t.id}",
            "errorMessage": t.error_message, "errorDetails": t.error_details,
            "executionId": t.process_instance_id, "id": t.id,
            "lockExpirationTime": wire.date(t.lock_expires_at),
            "processDefinitionId": wire.definition_id(*t.definition) if t.definition else None,
            "processDefinitionKey": key,
            "processDefinitionVersionTag": None, "processInstanceId": t.process_instance_id,
            "retries": t.retries, "suspended": False, "workerId": t.worker_id,
            "topicName": t.topic, "tenantId": None, "priority": 0,
            "businessKey": t.business_key, "extensionProperties": {},
            "variables": wire.variables_out(t.variables)}


def _variables(body: dict) -> dict:
    return {**wire.variables_in(body.get("variables")),
            **wire.variables_in(body.get("localVariables"), "localVariables")}


@authenticated
def complete(actor, task_id):
    body = json_object()
    usecases.complete_external_task(engine_context(), actor, task_id, body.get("workerId"),
                                    _variables(body))
    return "", 204


@authenticated
def failure(actor, task_id):
    body = json_object()
    usecases.external_task_failure(
        engine_context(), actor, task_id, body.get("workerId"),
        message=body.get("errorMessage"), details=body.get("errorDetails"),
        retries=max(_whole(body, "retries", 0) or 0, 0),
        retry_timeout_ms=max(_whole(body, "retryTimeout", 0) or 0, 0))
    return "", 204


@authenticated
def bpmn_error(actor, task_id):
    body = json_object()
    usecases.external_task_bpmn_error(engine_context(), actor, task_id, body.get("workerId"),
                                      body.get("errorCode"), message=body.get("errorMessage"),
                                      variables=_variables(body))
    return "", 204


@authenticated
def extend_lock(actor, task_id):
    body = json_object()
    usecases.extend_external_task_lock(engine_context(), actor, task_id, body.get("workerId"),
                                       _whole(body, "newDuration"))
    return "", 204


@authenticated
def unlock(actor, task_id):
    usecases.unlock_external_task(engine_context(), actor, task_id)
    return "", 204


def _task_dto(t) -> dict:
    """A task as Camunda lists it: without variables, and without the error details
    (`/errorDetails` answers them)."""
    return {k: v for k, v in _locked_dto(t).items() if k not in ("variables", "errorDetails")}


@authenticated
def list_external_tasks(actor):
    return jsonify([_task_dto(t) for t in paging.page_of(_matching(actor))])


@authenticated
def count_external_tasks(actor):
    return jsonify({"count": len(_matching(actor))})


def _matching(actor) -> list:
    return usecases.list_external_tasks(
        engine_context(), actor, topic=paging.text(request.args, "topicName"),
        process_instance_id=paging.text(request.args, "processInstanceId"))


@authenticated
def get_external_task(actor, task_id):
    return jsonify(_task_dto(usecases.get_external_task(engine_context(), actor, task_id)))


@authenticated
def error_details(actor, task_id):
    """The details the worker sent with its last failure, as text (204: none)."""
    task = usecases.get_external_task(engine_context(), actor, task_id)
    if task.error_details is None:
        return "", 204
    return Response(task.error_details, mimetype="text/plain")


@authenticated
def set_retries(actor, task_id):
    usecases.set_external_task_retries(engine_context(), actor, task_id, required("retries"))
    return "", 204
