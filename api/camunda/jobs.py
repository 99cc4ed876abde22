"""Jobs, as Camunda calls what the engine runs itself: a step that failed (an instance
waiting in `error`, its `failedJob` incident; retries 0, the error as `exceptionMessage`)
and an instance's next timer (`dueDate`, retries 3). Reading is for auditors and admins;
setting a failed step's retries above 0 is the admin's retry of its instance, run at once.
A service task out of retries is an external task's incident, not a job
(`/external-task/{id}/retries`)."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from api.camunda import paging, wire
from api.camunda.auth import authenticated
from api.camunda.bodies import required
from api.camunda.lookups import definition_id_of
from api.extension import engine_context
from engine import usecases
from engine.errors import PendingStepNotFound

SORTS = {"jobId": lambda j: j.id, "processInstanceId": lambda j: j.process_instance_id,
         "processDefinitionId": lambda j: j.definition,
         "processDefinitionKey": lambda j: j.definition[0],
         "jobRetries": lambda j: j.retries, "jobPriority": lambda j: 0,
         "executionId": lambda j: j.process_instance_id,
         "jobDueDate": lambda j: (j.due_at is None, j.due_at), "tenantId": lambda j: ""}


def add_routes(bp: Blueprint) -> None:
    bp.add_url_rule("/job", "jobs", list_jobs)
    bp.add_url_rule("/job/count", "job_count", count_jobs)
    bp.add_url_rule("/job/<job_id>", "job", get_job)
    bp.add_url_rule("/job/<job_id>/retries", "job_retries", set_retries, methods=["PUT"])


def job_dto(j) -> dict:
    return {"id": j.id, "jobDefinitionId": None, "processInstanceId": j.process_instance_id,
            "executionId": j.process_instance_id,
            "processDefinitionId": definition_id_of(*j.definition[:2]),
            "processDefinitionKey": j.definition[0], "exceptionMessage": j.message,
            "failedActivityId": j.element_id, "retries": j.retries,
            "dueDate": wire.date(j.due_at), "suspended": j.suspended, "priority": 0,
            "tenantId": None, "createTime": wire.date(j.failed_at), "batchId": None}


def _filters(query) -> list:
    """(test of a job, whether the query asks it) for Camunda's job filters."""
    text = {f: paging.text(query, f) for f in ("jobId", "processDefinitionKey",
                                               "processDefinitionId", "failedActivityId",
                                               "processInstanceId")}
    lists = {f: paging.listed(query[f], f) for f in ("jobIds", "processInstanceIds",
                                                    "tenantIdIn") if query.get(f)}
    flags = {f: paging.flag(query, f) for f in ("withException", "noRetriesLeft",
                                               "withRetriesLeft", "timers", "executable",
                                               "active", "suspended", "withoutTenantId",
                                               "messages")}
    return [
        (lambda j: j.id == text["jobId"], text["jobId"]),
        (lambda j: j.id in lists["jobIds"], "jobIds" in lists),
        (lambda j: j.process_instance_id in lists["processInstanceIds"],
         "processInstanceIds" in lists),
        (lambda j: j.definition[0] == text["processDefinitionKey"],
         text["processDefinitionKey"]),
        (lambda j: definition_id_of(*j.definition[:2]) == text["processDefinitionId"],
         text["processDefinitionId"]),
        (lambda j: j.element_id == text["failedActivityId"], text["failedActivityId"]),
        (lambda j: j.message is not None, flags["withException"]),
        (lambda j: j.retries == 0, flags["noRetriesLeft"]),
        (lambda j: j.retries > 0, flags["withRetriesLeft"]),
        (lambda j: j.kind == "timer", flags["timers"]),
        (lambda j: j.kind != "timer", flags["messages"]),  # no message jobs: failed steps
        (lambda j: not j.suspended, flags["active"]),
        (lambda j: j.suspended, flags["suspended"]),
        (lambda j: False, "tenantIdIn" in lists),  # no job belongs to a tenant
    ]


def _matching(actor) -> list:
    query = request.args
    filters = _filters(query)
    jobs = usecases.list_pending_steps(engine_context(), actor,
                                       paging.text(query, "processInstanceId"))
    jobs = [j for j in jobs if all(test(j) for test, asked in filters if asked)]
    paging.descending(query)  # refused unless asc or desc
    return paging.sorted_by(jobs, SORTS)


@authenticated
def list_jobs(actor):
    return jsonify([job_dto(j) for j in paging.page_of(_matching(actor))])


@authenticated
def count_jobs(actor):
    return jsonify({"count": len(_matching(actor))})


def _job(actor, job_id: str):
    instance_id = job_id.rpartition(":")[0]
    for job in usecases.list_pending_steps(engine_context(), actor, instance_id or None):
        if job.id == job_id:
            return job
    raise PendingStepNotFound(f"no job '{job_id}'")


@authenticated
def get_job(actor, job_id):
    return jsonify(job_dto(_job(actor, job_id)))


@authenticated
def set_retries(actor, job_id):
    usecases.retry_pending_step(engine_context(), actor, job_id, required("retries"))
    return "", 204
