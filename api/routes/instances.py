"""Process instances: starting one, following them."""
from flask import Blueprint, jsonify, url_for

from api.auth import authenticated
from api.extension import engine_context
from api.openapi import operation
from api.parsing import json_body, query_args
from api.schemas import (
    InstancePageSchema,
    InstancePath,
    InstanceQuerySchema,
    InstanceRetrySchema,
    InstanceSchema,
    InstanceStartSchema,
    InstanceStatusChangeSchema,
    InstanceVariablesChangeSchema,
    InstanceVariablesSchema,
    MigrationRequestSchema,
    MigrationSchema,
    shared,
)
from engine import usecases

bp = Blueprint("instances", __name__, url_prefix="/api/v1")

# The status an admin asks for -> the command that moves the instance there.
STATUS_CHANGES = {
    "suspended": usecases.suspend_instance,
    "running": usecases.resume_instance,
    "terminated": usecases.terminate_instance,
}


@bp.post("/process-definitions/<key>/instances")
@operation("Start an instance of a process", body=InstanceStartSchema, body_required=False,
           response=InstanceSchema, status=201, location=True, errors=(403, 404, 409),
           description="Only the roles the diagram names in startableBy (and admin) may "
                       "start it. The LKj procedure takes {year, units?: [unit codes]}. "
                       "409 while an admin has suspended the process.")
@authenticated
def start_instance(actor, key):
    fields = json_body(shared(InstanceStartSchema), required=False)
    instance = usecases.start_instance(engine_context(), actor, key, **fields)
    return jsonify(shared(InstanceSchema).dump(instance)), 201, {
        "Location": url_for("instances.get_instance", instance_id=instance.id)}


@bp.get("/process-instances")
@operation("The instances the caller may follow", query=InstanceQuerySchema,
           response=InstancePageSchema)
@authenticated
def list_instances(actor):
    query = query_args(shared(InstanceQuerySchema))
    page = usecases.list_instances(engine_context(), actor, **query)
    return jsonify(shared(InstancePageSchema).dump(page))


@bp.get("/process-instances/<instance_id>")
@operation("One instance with its open tasks", path=InstancePath, response=InstanceSchema,
           errors=(404,))
@authenticated
def get_instance(actor, instance_id):
    instance = usecases.get_instance(engine_context(), actor, instance_id)
    return jsonify(shared(InstanceSchema).dump(instance))


@bp.patch("/process-instances/<instance_id>")
@operation("Suspend, resume or terminate an instance (admin)", path=InstancePath,
           body=InstanceStatusChangeSchema, response=InstanceSchema, errors=(403, 404, 409),
           description="suspended: from running; its tasks stay queued but cannot be claimed "
                       "or completed. running: from suspended. terminated: from running, "
                       "suspended or error; its open tasks are cancelled. Any other "
                       "transition is 409. `reason` is kept in the history.")
@authenticated
def change_instance_status(actor, instance_id):
    fields = json_body(shared(InstanceStatusChangeSchema))
    change = STATUS_CHANGES[fields.pop("status")]
    instance = change(engine_context(), actor, instance_id, **fields)
    return jsonify(shared(InstanceSchema).dump(instance))


@bp.post("/process-instances/<instance_id>/retry")
@operation("Run the failed step of an instance in error again (admin)",
           path=InstancePath, body=InstanceRetrySchema, body_required=False,
           response=InstanceSchema,
           errors=(403, 404, 409),
           description="`data` corrects the variables the failed step reads. If the step "
                       "fails again the answer is still 200, with status `error` and the new "
                       "error. 409 when the instance is not in error.")
@authenticated
def retry_instance(actor, instance_id):
    fields = json_body(shared(InstanceRetrySchema), required=False)
    instance = usecases.retry_instance(engine_context(), actor, instance_id, **fields)
    return jsonify(shared(InstanceSchema).dump(instance))


@bp.get("/process-instances/<instance_id>/variables")
@operation("The variables of an instance", path=InstancePath, response=InstanceVariablesSchema,
           errors=(403, 404),
           description="While it has not ended: its open tasks' data merged (where two "
                       "branches hold a name, the one further along wins); once ended: the "
                       "data it ended with. For the roles that follow every instance (a "
                       "unit's user reads its own task's variables instead).")
@authenticated
def get_instance_variables(actor, instance_id):
    variables = usecases.get_instance_variables(engine_context(), actor, instance_id)
    return jsonify(shared(InstanceVariablesSchema).dump({"variables": variables}))


@bp.patch("/process-instances/<instance_id>/variables")
@operation("Set or remove variables of a running or suspended instance (admin)",
           path=InstancePath, body=InstanceVariablesChangeSchema,
           response=InstanceVariablesSchema, errors=(403, 404, 409),
           description="`set` then `delete`, in every open task's data, in one step; kept "
                       "in the instance's history with the names and values. 409 when the "
                       "instance has ended or is in error (its retry takes corrected data).")
@authenticated
def change_instance_variables(actor, instance_id):
    fields = json_body(shared(InstanceVariablesChangeSchema))
    variables = usecases.set_instance_variables(engine_context(), actor, instance_id,
                                                fields["set_"], fields["delete"])
    return jsonify(shared(InstanceVariablesSchema).dump({"variables": variables}))


@bp.post("/process-instances/<instance_id>/migrate")
@operation("Move an instance to another version of its process (admin)",
           path=InstancePath, body=MigrationRequestSchema, response=MigrationSchema,
           errors=(403, 404, 409),
           description="Allowed when every task that has run or is running has its element "
                       "in the target version; otherwise 200 with allowed=false and the "
                       "reasons, and nothing changes. Open tasks keep their ids and claims.")
@authenticated
def migrate_instance(actor, instance_id):
    fields = json_body(shared(MigrationRequestSchema))
    result = usecases.migrate_instance(engine_context(), actor, instance_id, **fields)
    return jsonify(shared(MigrationSchema).dump(result))
