"""Process instances: starting one, following them."""
from flask import Blueprint, jsonify, url_for

from api.auth import authenticated
from api.extension import engine_context
from api.openapi import operation
from api.parsing import json_body, query_args
from api.schemas import InstancePageSchema, InstanceQuerySchema, InstanceSchema, InstanceStartSchema
from engine import commands

bp = Blueprint("instances", __name__, url_prefix="/api/v1")


@bp.post("/process-definitions/<key>/instances")
@operation("Start an instance of a process", body=InstanceStartSchema, body_required=False,
           response=InstanceSchema, status=201, location=True, errors=(403, 404),
           description="Only the roles the diagram names in startableBy (and admin) may "
                       "start it. The LKj procedure takes {year, units?: [unit codes]}.")
@authenticated
def start_instance(actor, key):
    fields = json_body(InstanceStartSchema(), required=False)
    instance = commands.start_instance(engine_context(), actor, key, **fields)
    return jsonify(InstanceSchema().dump(instance)), 201, {
        "Location": url_for("instances.get_instance", instance_id=instance.id)}


@bp.get("/process-instances")
@operation("The instances the caller may follow", query=InstanceQuerySchema,
           response=InstancePageSchema)
@authenticated
def list_instances(actor):
    page = commands.list_instances(engine_context(), actor, **query_args(InstanceQuerySchema()))
    return jsonify(InstancePageSchema().dump(page))


@bp.get("/process-instances/<instance_id>")
@operation("One instance with its open tasks", response=InstanceSchema, errors=(404,))
@authenticated
def get_instance(actor, instance_id):
    instance = commands.get_instance(engine_context(), actor, instance_id)
    return jsonify(InstanceSchema().dump(instance))
