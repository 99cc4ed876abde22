"""Following an instance as the people who work in it do: its documents, its diagrams with
each element's state, its timeline in plain terms; and the processes the caller may start."""
from flask import Blueprint, jsonify

from api.auth import authenticated
from api.extension import engine_context
from api.openapi import operation
from api.schemas import (
    DiagramSchema,
    DocumentListSchema,
    StartableProcessListSchema,
    TimelineSchema,
    shared,
)
from engine import usecases

bp = Blueprint("following", __name__, url_prefix="/api/v1")


@bp.get("/process-instances/<instance_id>/documents")
@operation("The documents uploaded to an instance, oldest first", response=DocumentListSchema,
           errors=(404,), description="Read by whoever may read the instance.")
@authenticated
def list_instance_documents(actor, instance_id):
    documents = usecases.instance_documents(engine_context(), actor, instance_id)
    return jsonify(shared(DocumentListSchema).dump({"items": documents}))


@bp.get("/process-instances/<instance_id>/timeline")
@operation("Who did what and when in an instance, without the data entered",
           response=TimelineSchema, errors=(404,),
           description="Every event of the instance's history in order, with task names, "
                       "subjects and full names; the form data stays in the auditors' "
                       "history (GET .../history). Read by whoever may read the instance.")
@authenticated
def get_instance_timeline(actor, instance_id):
    entries = usecases.instance_timeline(engine_context(), actor, instance_id)
    return jsonify(shared(TimelineSchema).dump({"items": entries}))


@bp.get("/process-instances/<instance_id>/diagram")
@operation("Where an instance stands: its diagrams and each element's state",
           response=DiagramSchema, errors=(404,),
           description="The BPMN files of the instance's version as deployed, and for the "
                       "top-level process and every sub-process run its finished elements, "
                       "the elements under way and the open tasks with their queue (role) "
                       "and assignee. Read by whoever may read the instance.")
@authenticated
def get_instance_diagram(actor, instance_id):
    diagram = usecases.instance_diagram(engine_context(), actor, instance_id)
    return jsonify(shared(DiagramSchema).dump(diagram))


@bp.get("/me/startable-processes")
@operation("The processes the caller may start, with their start forms",
           response=StartableProcessListSchema,
           description="The latest version of each process that names who may start it "
                       "(startableBy) and that the caller may start.")
@authenticated
def list_startable_processes(actor):
    processes = usecases.startable_processes(engine_context(), actor)
    return jsonify(shared(StartableProcessListSchema).dump({"items": processes}))
