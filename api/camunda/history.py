"""History from the event log and the engine's records: process instances, tasks, one
instance's activities and user operations. Auditors' business (and admins'), as
`/api/v1`'s history."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from api.camunda import paging, wire
from api.camunda.auth import authenticated
from api.camunda.lookups import definition_id_of, definition_id_of_instance
from api.extension import engine_context
from engine import usecases
from engine.errors import InvalidInput
from engine.usecases import policy

STATES = {"running": "ACTIVE", "error": "ACTIVE", "suspended": "SUSPENDED",
          "completed": "COMPLETED", "terminated": "EXTERNALLY_TERMINATED"}
OPERATIONS = {"task_claimed": "Claim", "task_completed": "Complete"}


def add_routes(bp: Blueprint) -> None:
    bp.add_url_rule("/history/process-instance", "history_instances", history_instances)
    bp.add_url_rule("/history/process-instance/count", "history_instance_count",
                    count_history_instances)
    bp.add_url_rule("/history/task", "history_tasks", history_tasks)
    bp.add_url_rule("/history/task/count", "history_task_count", count_history_tasks)
    bp.add_url_rule("/history/activity-instance", "history_activities", history_activities)
    bp.add_url_rule("/history/user-operation", "history_operations", history_operations)


def _millis(start, end) -> int | None:
    return None if end is None else int((end - start).total_seconds() * 1000)


def instance_dto(i) -> dict:
    return {"id": i.id, "businessKey": i.business_key,
            "processDefinitionId": definition_id_of(i.definition_key, i.definition_version),
            "processDefinitionKey": i.definition_key, "processDefinitionName": None,
            "processDefinitionVersion": i.definition_version,
            "startTime": wire.date(i.started_at), "endTime": wire.date(i.ended_at),
            "removalTime": None, "durationInMillis": _millis(i.started_at, i.ended_at),
            "startUserId": i.started_by, "startActivityId": None, "deleteReason": None,
            "rootProcessInstanceId": i.id, "superProcessInstanceId": None,
            "superCaseInstanceId": None, "caseInstanceId": None, "tenantId": None,
            "state": STATES.get(i.status, i.status.upper())}


def _finished_filter(items: list, ended) -> list:
    finished, unfinished = paging.flag(request.args, "finished"), \
        paging.flag(request.args, "unfinished")
    return [i for i in items if (not finished or ended(i) is not None)
            and (not unfinished or ended(i) is None)]


def _instances(actor) -> list:
    policy.require_auditor(actor)
    query = request.args
    key = paging.text(query, "processDefinitionKey")
    found = paging.every(lambda limit, offset: usecases.list_instances(
        engine_context(), actor, limit=limit, offset=offset, definition_key=key))
    tests = {"processInstanceId": lambda i, v: i.id == v,
             "businessKey": lambda i, v: i.business_key == v,
             "processDefinitionId": lambda i, v: definition_id_of(
                 i.definition_key, i.definition_version) == v}
    for field, test in tests.items():
        value = paging.text(query, field)
        if value is not None:
            found = [i for i in found if test(i, value)]
    return _finished_filter(found, lambda i: i.ended_at)


@authenticated
def history_instances(actor):
    return jsonify([instance_dto(i) for i in paging.page_of(_instances(actor))])


@authenticated
def count_history_instances(actor):
    return jsonify({"count": len(_instances(actor))})


def task_dto(actor, t) -> dict:
    ended = t.completed_at if t.state in ("completed", "cancelled") else None
    return {"id": t.id, "processDefinitionKey": t.definition_key,
            "processDefinitionId": definition_id_of_instance(actor, t.process_instance_id),
            "processInstanceId": t.process_instance_id, "executionId": t.process_instance_id,
            "activityInstanceId": t.id, "name": t.name, "description": None,
            "deleteReason": {"completed": "completed", "cancelled": "deleted"}.get(t.state),
            "owner": None, "assignee": t.completed_by or t.assignee,
            "startTime": wire.date(t.created_at), "endTime": wire.date(ended),
            "duration": _millis(t.created_at, ended), "taskDefinitionKey": t.element_id,
            "priority": 50, "due": wire.date(t.due_at), "followUp": None,
            "parentTaskId": None, "caseDefinitionKey": None, "caseDefinitionId": None,
            "caseInstanceId": None, "caseExecutionId": None, "tenantId": None,
            "removalTime": None, "rootProcessInstanceId": t.process_instance_id}


def _tasks(actor) -> list:
    policy.require_auditor(actor)
    query = request.args
    server_side = {"process_instance_id": paging.text(query, "processInstanceId"),
                   "definition_key": paging.text(query, "processDefinitionKey"),
                   "assignee": paging.text(query, "taskAssignee")}
    found = paging.every(lambda limit, offset: usecases.list_tasks(
        engine_context(), actor, state="all", limit=limit, offset=offset, count="exact",
        sort="created_at", **{k: v for k, v in server_side.items() if v}))
    element = paging.text(query, "taskDefinitionKey")
    found = [t for t in found if element is None or t.element_id == element]
    return _finished_filter(found, lambda t: t.completed_at)


@authenticated
def history_tasks(actor):
    return jsonify([task_dto(actor, t) for t in paging.page_of(_tasks(actor))])


@authenticated
def count_history_tasks(actor):
    return jsonify({"count": len(_tasks(actor))})


def _events(actor) -> tuple[str, list]:
    """One instance's events (Camunda lets this be any instance; we read one's log)."""
    instance_id = paging.text(request.args, "processInstanceId")
    if instance_id is None:
        raise InvalidInput("processInstanceId is required",
                           {"processInstanceId": ["is required"]})
    return instance_id, paging.every(lambda limit, offset: usecases.instance_history(
        engine_context(), actor, instance_id, limit=limit, offset=offset))


def _activities(actor) -> list[dict]:
    """A user task's activity: from its task_ready event to its task_completed (or
    cancelled) one."""
    instance_id, events = _events(actor)
    definition_id = definition_id_of_instance(actor, instance_id)
    started, ended = {}, {}
    for e in events:
        if e.type == "task_ready":
            started[e.task_id] = e
        elif e.type in ("task_completed", "task_cancelled"):
            ended[e.task_id] = e
    activities = []
    for task_id, ready in started.items():
        end = ended.get(task_id)
        start_at = wire.parse_date(ready.occurred_at, "startTime")
        end_at = None if end is None else wire.parse_date(end.occurred_at, "endTime")
        activities.append({
            "id": task_id, "parentActivityInstanceId": instance_id,
            "activityId": ready.element_id, "activityName": ready.payload.get("name"),
            "activityType": "userTask", "processDefinitionKey": None,
            "processDefinitionId": definition_id, "processInstanceId": instance_id,
            "executionId": instance_id, "taskId": task_id,
            "assignee": None if end is None else end.actor,
            "calledProcessInstanceId": None, "calledCaseInstanceId": None,
            "startTime": wire.date(start_at), "endTime": wire.date(end_at),
            "durationInMillis": _millis(start_at, end_at),
            "canceled": end is not None and end.type == "task_cancelled",
            "completeScope": False, "tenantId": None, "removalTime": None,
            "rootProcessInstanceId": instance_id})
    return _finished_filter(activities, lambda a: a["endTime"])


@authenticated
def history_activities(actor):
    return jsonify(paging.page_of(_activities(actor)))


@authenticated
def history_operations(actor):
    instance_id, events = _events(actor)
    definition_id = definition_id_of_instance(actor, instance_id)
    operations = [{
        "id": f"{instance_id}:{e.seq}", "userId": e.actor,
        "timestamp": wire.date(wire.parse_date(e.occurred_at, "timestamp")),
        "operationId": f"{instance_id}:{e.seq}", "operationType": OPERATIONS[e.type],
        "entityType": "Task", "category": "TaskWorker", "annotation": None,
        "property": None, "orgValue": None, "newValue": None,
        "processDefinitionId": definition_id, "processInstanceId": instance_id,
        "taskId": e.task_id} for e in events if e.type in OPERATIONS]
    return jsonify(paging.page_of(operations))
