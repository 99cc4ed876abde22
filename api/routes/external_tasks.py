"""Service tasks run by external workers: fetch and lock, then report the outcome
(engine/usecases/external_tasks.py). For worker accounts (role `worker`) and admins."""
from flask import Blueprint, jsonify

from api.auth import authenticated
from api.extension import engine_context
from api.openapi import operation
from api.parsing import json_body
from api.schemas import (
    CaughtSchema,
    ExtendLockSchema,
    ExternalBpmnErrorSchema,
    ExternalCompleteSchema,
    ExternalFailureSchema,
    ExternalTaskPath,
    FetchAndLockSchema,
    LockedTaskListSchema,
    shared,
)
from engine import usecases

bp = Blueprint("external_tasks", __name__, url_prefix="/api/v1/external-tasks")
HELD = "409 when the worker does not hold the task's lock (never fetched it, or it expired)."


@bp.post("/fetch-and-lock")
@operation("Fetch and lock service tasks of some topics", body=FetchAndLockSchema,
           response=LockedTaskListSchema, errors=(403,),
           description="The oldest fetchable tasks of the topics (none locked by another "
                       "worker, past their retry time), each locked to `worker_id` for its "
                       "topic's `lock_duration_ms`. Two workers never hold the same task. "
                       "With `wait_ms` the answer waits until a task comes or the time is "
                       "up (long polling); `tasks` may be empty.")
@authenticated
def fetch_and_lock(actor):
    fields = json_body(shared(FetchAndLockSchema))
    tasks = usecases.fetch_and_lock(engine_context(), actor, **fields)
    return jsonify(shared(LockedTaskListSchema).dump({"tasks": tasks}))


@bp.post("/<task_id>/complete")
@operation("Complete a locked service task", path=ExternalTaskPath,
           body=ExternalCompleteSchema, status=204, errors=(403, 404, 409),
           description="Its `variables` join the instance, which runs on. " + HELD)
@authenticated
def complete(actor, task_id):
    return _no_content(usecases.complete_external_task, ExternalCompleteSchema, actor, task_id)


@bp.post("/<task_id>/failure")
@operation("Report that a locked service task failed", path=ExternalTaskPath,
           body=ExternalFailureSchema, status=204, errors=(403, 404, 409),
           description="With `retries` left the task is fetchable again after "
                       "`retry_timeout_ms`; with 0 it is an incident: the instance waits in "
                       "`error` with the message until an admin retries it. " + HELD)
@authenticated
def failure(actor, task_id):
    return _no_content(usecases.external_task_failure, ExternalFailureSchema, actor, task_id)


@bp.post("/<task_id>/bpmn-error")
@operation("Raise a BPMN error on a locked service task", path=ExternalTaskPath,
           body=ExternalBpmnErrorSchema, response=CaughtSchema, errors=(403, 404, 409),
           description="An error boundary event on the task that catches `error_code` (or "
                       "every code) takes over, with the variables. When none does, "
                       "`caught_by` is null and the task fails as a last failure does: the "
                       "instance waits in `error` (an incident naming the error) for an "
                       "admin's retry. " + HELD)
@authenticated
def bpmn_error(actor, task_id):
    fields = json_body(shared(ExternalBpmnErrorSchema))
    caught = usecases.external_task_bpmn_error(engine_context(), actor, task_id, **fields)
    return jsonify(shared(CaughtSchema).dump({"caught_by": caught}))


@bp.post("/<task_id>/extend-lock")
@operation("Keep a locked service task longer", path=ExternalTaskPath, body=ExtendLockSchema,
           status=204, errors=(403, 404, 409),
           description="The lock runs `new_duration_ms` from now. " + HELD)
@authenticated
def extend_lock(actor, task_id):
    return _no_content(usecases.extend_external_task_lock, ExtendLockSchema, actor, task_id)


def _no_content(command, schema, actor, task_id):
    """A report on a task whose answer is only its status."""
    command(engine_context(), actor, task_id, **json_body(shared(schema)))
    return "", 204
