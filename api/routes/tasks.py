"""Role queues: listing, claiming, releasing and completing user tasks."""
from flask import Blueprint, jsonify

from api.auth import authenticated
from api.extension import engine_context
from api.openapi import operation
from api.parsing import json_body, query_args
from api.schemas import (
    CompletionSchema,
    TaskCompleteSchema,
    TaskFormSchema,
    TaskPath,
    TaskQuerySchema,
    TaskQueuePageSchema,
    TaskReassignSchema,
    TaskSchema,
    TaskVariablesSchema,
    shared,
)
from engine import usecases

bp = Blueprint("tasks", __name__, url_prefix="/api/v1")


@bp.get("/tasks")
@operation("The tasks the caller may see; by default the open ones",
           query=TaskQuerySchema, response=TaskQueuePageSchema, description=(
               f"`total` counts at most {usecases.TASK_COUNT_CAP:,} tasks, so the answer "
               f"takes the same time on a queue of any length: beyond, `total` is "
               f"{usecases.TASK_COUNT_CAP:,} and `total_exact` is false. `count=exact` "
               f"counts every matching task (its time grows with the queue)."))
@authenticated
def list_tasks(actor):
    query = query_args(shared(TaskQuerySchema))
    page = usecases.list_tasks(engine_context(), actor, **query)
    return jsonify(shared(TaskQueuePageSchema).dump(page))


@bp.get("/tasks/<task_id>")
@operation("One task", path=TaskPath, response=TaskSchema, errors=(404,))
@authenticated
def get_task(actor, task_id):
    return jsonify(shared(TaskSchema).dump(usecases.get_task(engine_context(), actor, task_id)))


@bp.get("/tasks/<task_id>/form")
@operation("The task's form: its key, kind and JSON Schema", path=TaskPath, response=TaskFormSchema,
           errors=(404,))
@authenticated
def get_task_form(actor, task_id):
    form_key, schema, kind = usecases.get_task_form(engine_context(), actor, task_id)
    return jsonify(shared(TaskFormSchema).dump({"form_key": form_key, "form_schema": schema,
                                                "kind": kind}))


@bp.get("/tasks/<task_id>/variables")
@operation("The data the task sees: e.g. the submission a checker reviews",
           path=TaskPath, response=TaskVariablesSchema, errors=(404,))
@authenticated
def get_task_variables(actor, task_id):
    variables = usecases.get_task_variables(engine_context(), actor, task_id)
    return jsonify(shared(TaskVariablesSchema).dump({"variables": variables}))


@bp.post("/tasks/<task_id>/claim")
@operation("Claim an open task of one of the caller's roles", path=TaskPath,
           response=TaskSchema, errors=(403, 404, 409))
@authenticated
def claim_task(actor, task_id):
    return jsonify(shared(TaskSchema).dump(usecases.claim_task(engine_context(), actor, task_id)))


@bp.post("/tasks/<task_id>/unclaim")
@operation("Put a claimed task back in its queue (the assignee or an admin)",
           path=TaskPath, response=TaskSchema, errors=(403, 404, 409))
@authenticated
def unclaim_task(actor, task_id):
    return jsonify(shared(TaskSchema).dump(usecases.unclaim_task(engine_context(), actor, task_id)))


@bp.post("/tasks/<task_id>/reassign")
@operation("Give an open task to another user (admin)", path=TaskPath, body=TaskReassignSchema,
           response=TaskSchema, errors=(403, 404, 409),
           description="The task is claimed by `username` from now on, whoever held it: for "
                       "when its holder is away. 422 when the user is not active or may not "
                       "work the task. The new holder is notified; the history keeps who "
                       "gave it, to whom and `reason`.")
@authenticated
def reassign_task(actor, task_id):
    fields = json_body(shared(TaskReassignSchema))
    task = usecases.reassign_task(engine_context(), actor, task_id, **fields)
    return jsonify(shared(TaskSchema).dump(task))


@bp.post("/tasks/<task_id>/complete")
@operation("Complete a task the caller has claimed, with its form data",
           path=TaskPath, body=TaskCompleteSchema, response=CompletionSchema,
           errors=(403, 404, 409),
           description="With `claim: true` a ready task of one of the caller's roles is "
                       "claimed and completed in one call. Without it a ready task is 409 "
                       "(claim it first). 403 when the caller no longer holds the task's "
                       "role. Only the fields the task's form declares reach the instance.")
@authenticated
def complete_task(actor, task_id):
    fields = json_body(shared(TaskCompleteSchema))
    result = usecases.complete_task(engine_context(), actor, task_id, fields["data"],
                                    claim=fields["claim"])
    return jsonify(shared(CompletionSchema).dump(result))
