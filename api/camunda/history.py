"""History from the event log and the engine's records: process instances, tasks,
activities, user operations and incidents (engine/usecases/activity_history.py says what the
log records). Auditors' business (and admins'), as `/api/v1`'s history."""
from __future__ import annotations

from datetime import timedelta, timezone
from types import SimpleNamespace

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
# An event of the log as Camunda's user operation: (operationType, entityType, category).
OPERATIONS = {"task_claimed": ("Claim", "Task", "TaskWorker"),
              "task_reassigned": ("Assign", "Task", "TaskWorker"),
              "task_completed": ("Complete", "Task", "TaskWorker"),
              "instance_suspended": ("Suspend", "ProcessInstance", "Operator"),
              "instance_resumed": ("Activate", "ProcessInstance", "Operator"),
              "instance_terminated": ("Delete", "ProcessInstance", "Operator"),
              "instance_retried": ("SetJobRetries", "ProcessInstance", "Operator"),
              "instance_migrated": ("Migrate", "ProcessInstance", "Operator")}


def add_routes(bp: Blueprint) -> None:
    bp.add_url_rule("/history/process-instance", "history_instances", history_instances)
    bp.add_url_rule("/history/process-instance/count", "history_instance_count",
                    count_history_instances)
    bp.add_url_rule("/history/task", "history_tasks", history_tasks)
    bp.add_url_rule("/history/task/count", "history_task_count", count_history_tasks)
    bp.add_url_rule("/history/activity-instance", "history_activities", history_activities)
    bp.add_url_rule("/history/activity-instance/count", "history_activity_count",
                    count_history_activities)
    bp.add_url_rule("/history/user-operation", "history_operations", history_operations)
    bp.add_url_rule("/history/user-operation/count", "history_operation_count",
                    count_history_operations)
    bp.add_url_rule("/history/incident", "history_incidents", history_incidents)
    bp.add_url_rule("/history/incident/count", "history_incident_count",
                    count_history_incidents)


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




# ---------------------------------------------------------------- paging on the engine

_NOTHING = SimpleNamespace(items=[], total=0)  # a filter no entry of the log can match


def _window() -> tuple[int, int | None]:
    """(offset, limit) of `firstResult` and `maxResults`; limit None when no page is wanted
    (`maxResults=0`). Without `maxResults`, the engine's largest page."""
    offset = paging.count(request.args, "firstResult", most=usecases.MAX_OFFSET)
    most = paging.count(request.args, "maxResults", most=usecases.MAX_OFFSET)
    limit = usecases.MAX_HISTORY_PAGE if most is None else min(most, usecases.MAX_HISTORY_PAGE)
    return offset or 0, limit or None


def _descending(sorts: tuple[str, ...]) -> bool:
    """`sortBy` (one of `sorts`, all the log's order) and `sortOrder`."""
    sort_by = request.args.get("sortBy")
    if sort_by not in (None, "", *sorts):
        raise InvalidInput(f"sortBy {sort_by!r} is not supported",
                           {"sortBy": [f"one of {', '.join(sorts)}"]})
    return paging.descending()


def _moment(field: str, upper: bool = False):
    """A date filter. The wire shows milliseconds and the engine keeps microseconds, so an
    upper bound (`upper`) takes in its whole millisecond: a date read from an answer finds
    what it was read from."""
    raw = paging.text(request.args, field)
    if raw is None:
        return None
    value = wire.parse_date(raw, field)
    value = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return value + timedelta(microseconds=999) if upper else value


# ---------------------------------------------------------------- activities

def _activity_filters() -> dict:
    query = request.args
    finished, unfinished = paging.flag(query, "finished"), paging.flag(query, "unfinished")
    if finished and unfinished:
        raise InvalidInput("finished and unfinished exclude each other",
                           {"unfinished": ["not with finished"]})
    return {"instance_id": paging.text(query, "processInstanceId"),
            "definition_key": paging.text(query, "processDefinitionKey"),
            "activity_id": paging.text(query, "activityId"),
            "activity_type": paging.text(query, "activityType"),
            "finished": True if finished else False if unfinished else None,
            "started_after": _moment("startedAfter"),
            "started_before": _moment("startedBefore", upper=True)}


def activity_dto(a) -> dict:
    definition_id = definition_id_of(a.definition_key, a.definition_version)
    return {"id": a.id, "parentActivityInstanceId": a.process_instance_id,
            "activityId": a.element_id, "activityName": a.name,
            "activityType": a.activity_type, "processDefinitionKey": a.definition_key,
            "processDefinitionId": definition_id, "processInstanceId": a.process_instance_id,
            "executionId": a.process_instance_id, "taskId": a.task_id,
            "assignee": a.assignee, "calledProcessInstanceId": None,
            "calledCaseInstanceId": None, "startTime": wire.date(a.started_at),
            "endTime": wire.date(a.ended_at), "durationInMillis": None
            if a.started_at is None else _millis(a.started_at, a.ended_at),
            "canceled": a.canceled, "completeScope": False, "tenantId": None,
            "removalTime": None, "rootProcessInstanceId": a.process_instance_id}


@authenticated
def history_activities(actor):
    filters = _activity_filters()
    descending = _descending(("startTime", "occurrence"))
    offset, limit = _window()
    if limit is None:
        policy.require_auditor(actor)
        return jsonify([])
    found = usecases.activity_history(engine_context(), actor, descending=descending,
                                      limit=limit, offset=offset, **filters)
    return jsonify([activity_dto(a) for a in found])


@authenticated
def count_history_activities(actor):
    return jsonify({"count": usecases.count_activity_history(engine_context(), actor,
                                                             **_activity_filters())})


# ---------------------------------------------------------------- user operations

def _operations(actor, limit: int, offset: int):
    query = request.args
    kind = paging.text(query, "operationType")
    types = tuple(t for t, (name, _, _) in OPERATIONS.items() if kind in (None, name))
    if not types:
        policy.require_auditor(actor)
        return _NOTHING
    return usecases.user_operations(
        engine_context(), actor, instance_id=paging.text(query, "processInstanceId"),
        user=paging.text(query, "userId"), types=types, after=_moment("afterTimestamp"),
        before=_moment("beforeTimestamp", upper=True), descending=_descending(("timestamp",)),
        limit=limit, offset=offset)


def operation_dto(o) -> dict:
    operation, entity, category = OPERATIONS[o.type]
    own_id = f"{o.process_instance_id}:{o.seq}"
    return {"id": own_id, "deploymentId": None, "processDefinitionId": definition_id_of(
                o.definition_key, o.definition_version),
            "processDefinitionKey": o.definition_key, "processInstanceId": o.process_instance_id,
            "executionId": o.process_instance_id, "caseDefinitionId": None,
            "caseInstanceId": None, "caseExecutionId": None, "taskId": o.task_id,
            "jobId": None, "jobDefinitionId": None, "batchId": None, "userId": o.actor,
            "timestamp": wire.date(o.occurred_at), "operationId": own_id,
            "externalTaskId": None, "operationType": operation, "entityType": entity,
            "property": None, "orgValue": None, "newValue": None, "removalTime": None,
            "rootProcessInstanceId": o.process_instance_id, "category": category,
            "annotation": None}


@authenticated
def history_operations(actor):
    offset, limit = _window()
    if limit is None:
        policy.require_auditor(actor)
        return jsonify([])
    return jsonify([operation_dto(o) for o in _operations(actor, limit, offset).items])


@authenticated
def count_history_operations(actor):
    return jsonify({"count": _operations(actor, 1, 0).total})


# ---------------------------------------------------------------- incidents

INCIDENT_TYPES = {"failedExternalTask": True, "failedJob": False}


def _incidents(actor, limit: int, offset: int):
    query = request.args
    states = [name for name in ("open", "resolved", "deleted") if paging.flag(query, name)]
    if len(states) > 1:
        raise InvalidInput("open, resolved and deleted exclude each other",
                           {states[1]: [f"not with {states[0]}"]})
    kind = paging.text(query, "incidentType")
    if kind is not None and kind not in INCIDENT_TYPES:
        policy.require_auditor(actor)
        return _NOTHING
    return usecases.incident_history(
        engine_context(), actor, instance_id=paging.text(query, "processInstanceId"),
        definition_key=paging.text(query, "processDefinitionKey"),
        state=states[0] if states else None, external=INCIDENT_TYPES.get(kind),
        descending=_descending(("createTime",)), limit=limit, offset=offset)


def incident_dto(i) -> dict:
    own_id = f"{i.process_instance_id}:{i.seq}"
    return {"id": own_id, "processDefinitionKey": i.definition_key,
            "processDefinitionId": definition_id_of(i.definition_key, i.definition_version),
            "processInstanceId": i.process_instance_id, "executionId": i.process_instance_id,
            "rootProcessInstanceId": i.process_instance_id,
            "createTime": wire.date(i.created_at), "endTime": wire.date(i.ended_at),
            "removalTime": None,
            "incidentType": "failedExternalTask" if i.failed_task_id else "failedJob",
            "activityId": i.failed_element_id, "failedActivityId": i.failed_element_id,
            "causeIncidentId": own_id, "rootCauseIncidentId": own_id,
            "configuration": i.failed_task_id, "historyConfiguration": None,
            "incidentMessage": i.message, "tenantId": None, "jobDefinitionId": None,
            "open": i.ending is None, "deleted": i.ending == "deleted",
            "resolved": i.ending == "resolved", "annotation": None}


@authenticated
def history_incidents(actor):
    offset, limit = _window()
    if limit is None:
        policy.require_auditor(actor)
        return jsonify([])
    return jsonify([incident_dto(i) for i in _incidents(actor, limit, offset).items])


@authenticated
def count_history_incidents(actor):
    return jsonify({"count": _incidents(actor, 1, 0).total})
