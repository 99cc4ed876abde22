"""Incidents: an instance waiting in `error` for an admin's retry is one incident, the open
episode of the engine's incident history (dated and worded by its `instance_error` event);
a failed external task with no retries left is `failedExternalTask` (its `configuration`
the external task's id), any other failed step `failedJob` (its `configuration` the job's
id, as `/job` lists it). Auditors' business (and admins'), as history."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from api.camunda import paging, wire
from api.camunda.auth import authenticated
from api.camunda.lookups import definition_id_of
from api.extension import engine_context
from engine import usecases


def add_routes(bp: Blueprint) -> None:
    bp.add_url_rule("/incident", "incidents", list_incidents)
    bp.add_url_rule("/incident/count", "incident_count", count_incidents)


def _incident(actor, episode) -> dict:
    """An open episode of the event log's incident history as Camunda's runtime incident."""
    instance_id = episode.process_instance_id
    own_id = f"{instance_id}:{episode.seq}"
    external = episode.failed_task_id is not None
    # a failed step is a job (api/camunda/jobs.py): the incident names it and its element
    job = None if external else next(iter(usecases.list_pending_steps(
        engine_context(), actor, instance_id)), None)
    activity = episode.failed_element_id if external else job and job.element_id
    return {"id": own_id, "processInstanceId": instance_id,
            "processDefinitionId": definition_id_of(episode.definition_key,
                                                    episode.definition_version),
            "executionId": instance_id, "rootCauseIncidentId": own_id,
            "causeIncidentId": own_id,
            "incidentType": "failedExternalTask" if external else "failedJob",
            "incidentMessage": episode.message,
            "incidentTimestamp": wire.date(episode.created_at),
            "activityId": activity, "failedActivityId": activity,
            "configuration": episode.failed_task_id if external else job and job.id,
            "tenantId": None, "jobDefinitionId": None, "annotation": None}


def _matching(actor) -> list[dict]:
    query = request.args
    open_episodes = paging.every(lambda limit, offset: usecases.incident_history(
        engine_context(), actor, instance_id=paging.text(query, "processInstanceId"),
        definition_key=paging.text(query, "processDefinitionKey"), state="open",
        limit=limit, offset=offset))
    incidents = [_incident(actor, e) for e in open_episodes]
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
