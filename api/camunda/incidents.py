"""Incidents: an instance waiting in `error` for an admin's retry is one incident, dated
and worded by its last `instance_error` event; a failed external task with no retries left
is `failedExternalTask` (its `configuration` the external task's id), any other failed step
`failedJob` (its `configuration` the job's id, as `/job` lists it). Auditors' business (and
admins'), as history."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from api.camunda import paging, wire
from api.camunda.auth import authenticated
from api.camunda.lookups import definition_id_of
from api.extension import engine_context
from engine import usecases
from engine.usecases import policy


def add_routes(bp: Blueprint) -> None:
    bp.add_url_rule("/incident", "incidents", list_incidents)
    bp.add_url_rule("/incident/count", "incident_count", count_incidents)


def _incident(actor, instance) -> dict:
    ctx = engine_context()
    error = usecases.instance_history(ctx, actor, instance.id, type_="instance_error",
                                      limit=1, offset=_last(ctx, actor, instance.id,
                                                            "instance_error")).items[0]
    failed = usecases.instance_history(ctx, actor, instance.id,
                                       type_="external_task_failed", limit=1,
                                       offset=_last(ctx, actor, instance.id,
                                                    "external_task_failed")).items
    external = bool(failed) and failed[0].seq == error.seq - 1  # recorded together
    # a failed step is a job (api/camunda/jobs.py): the incident names it and its element
    job = None if external else next(iter(usecases.list_pending_steps(ctx, actor,
                                                                      instance.id)), None)
    activity = failed[0].element_id if external else job and job.element_id
    return {"id": f"{instance.id}:{error.seq}", "processInstanceId": instance.id,
            "processDefinitionId": definition_id_of(instance.definition_key,
                                                    instance.definition_version),
            "executionId": instance.id, "rootCauseIncidentId": f"{instance.id}:{error.seq}",
            "causeIncidentId": f"{instance.id}:{error.seq}",
            "incidentType": "failedExternalTask" if external else "failedJob",
            "incidentMessage": error.payload.get("message"),
            "incidentTimestamp": wire.date(wire.parse_date(error.occurred_at,
                                                           "incidentTimestamp")),
            "activityId": activity, "failedActivityId": activity,
            "configuration": failed[0].task_id if external else job and job.id,
            "tenantId": None, "jobDefinitionId": None, "annotation": None}


def _last(ctx, actor, instance_id: str, type_: str) -> int:
    """The offset of the instance's last event of this type (0 when none)."""
    total = usecases.instance_history(ctx, actor, instance_id, type_=type_, limit=1).total
    return max(total - 1, 0)


def _matching(actor) -> list[dict]:
    policy.require_auditor(actor)
    query = request.args
    key = paging.text(query, "processDefinitionKey")
    failing = paging.every(lambda limit, offset: usecases.list_instances(
        engine_context(), actor, status="error", limit=limit, offset=offset,
        definition_key=key))
    wanted = paging.text(query, "processInstanceId")
    incidents = [_incident(actor, i) for i in failing if wanted in (None, i.id)]
    for field in ("incidentType", "processDefinitionId", "activityId"):
        value = paging.text(query, field)
        if value is not None:
            incidents = [i for i in incidents if i[field] == value]
    return incidents


@authenticated
def list_incidents(actor):
    return jsonify(paging.page_of(_matching(actor)))


@authenticated
def count_incidents(actor):
    return jsonify({"count": len(_matching(actor))})
