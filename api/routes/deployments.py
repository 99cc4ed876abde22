"""Deployments (admin): sets of diagrams and forms; a changed process becomes a new
version, whatever file it came in."""
from flask import Blueprint, jsonify, request

from api.auth import authenticated
from api.errors import bad_request
from api.extension import engine_context
from api.openapi import operation
from api.parsing import query_args
from api.schemas import (
    DeploymentCheckSchema,
    DeploymentPath,
    DeploymentQuerySchema,
    DeploymentRecordListSchema,
    DeploymentRecordSchema,
    DeploymentSchema,
    shared,
)
from engine import usecases
from engine.errors import InvalidInput

bp = Blueprint("deployments", __name__, url_prefix="/api/v1")
FILES_FIELD = "files"
NAME_FIELD = "name"


@bp.post("/deployments")
@operation("Deploy diagrams and form schemas on top of the latest deployment (admin)",
           upload=FILES_FIELD, upload_many=True, response=DeploymentSchema, status=201,
           errors=(403, 409),
           description="multipart/form-data with the field `files` repeated: `.bpmn` diagrams, "
                       "`.dmn` decision tables (versioned with the processes whose business "
                       "rule tasks name their decisions), "
                       "form schemas named `<formKey>.json` and Camunda forms (`.form`, known "
                       "by their `id`); optionally the field `name` "
                       "(the deployment's name; default: the file names). A process is "
                       "known by its process id, not by its file's name: a file defining a "
                       "process id replaces, among the files of the latest versions, the "
                       "file that defined it (and any file of the same name); the other "
                       "files are kept. Every process whose meaning changed gets a new "
                       "version (`created: true`); unchanged ones are listed with their "
                       "current version and `created: false`. What does not count as a "
                       "change: the diagram interchange (layout), the modeler's `exporter` "
                       "attributes, attribute order, indentation, the file's name, byte-"
                       "identical files. When nothing changed the answer is still 201, every "
                       "`created` is false, `deployment_id` is null and nothing is stored. An "
                       "invalid diagram is 400 with errors [{file, line, column, element_id, "
                       "message}].")
@authenticated
def deploy(actor):
    diagrams, form_files = _uploaded_files()
    deployment = usecases.deploy(engine_context(), actor, diagrams, form_files,
                                 on_top_of_latest=True, name=_deployment_name())
    return jsonify(shared(DeploymentSchema).dump(deployment)), 201


@bp.get("/deployments")
@operation("Deployments, newest first, with their resources (admin)",
           query=DeploymentQuerySchema, response=DeploymentRecordListSchema, errors=(403,),
           description="Each deployment lists the versions it made and the files it stored "
                       "(name, kind, size, sha256, the versions built from each). Only what "
                       "was new is stored: a file already deployed byte for byte is "
                       "linked, not stored again.")
@authenticated
def list_deployments(actor):
    query = query_args(shared(DeploymentQuerySchema))
    items = usecases.list_deployments(engine_context(), actor, **query)
    return jsonify(shared(DeploymentRecordListSchema).dump({"items": items}))


@bp.get("/deployments/<int:deployment_id>")
@operation("One deployment with its resources (admin)", path=DeploymentPath,
           response=DeploymentRecordSchema, errors=(403, 404))
@authenticated
def get_deployment(actor, deployment_id):
    deployment = usecases.get_deployment(engine_context(), actor, deployment_id)
    return jsonify(shared(DeploymentRecordSchema).dump(deployment))


def _deployment_name() -> str | None:
    name = request.form.get(NAME_FIELD)
    if name is None:
        return None
    if "\x00" in name:
        raise InvalidInput("The deployment cannot be made",
                           {NAME_FIELD: ["must not contain the NUL character"]})
    return name


@bp.post("/deployments/check")
@operation("Check diagrams and forms without deploying them (admin)",
           upload=FILES_FIELD, upload_many=True, response=DeploymentCheckSchema, status=200,
           errors=(403,),
           description="The same multipart upload as POST /deployments, checked on top of the "
                       "latest deployment with nothing stored: 200 with every problem and "
                       "warning, each {file, line, column, element_id, message} (a modeler "
                       "shows them on the elements). No problems: the upload would deploy.")
@authenticated
def check(actor):
    diagrams, form_files = _uploaded_files()
    report = usecases.validation_report(engine_context(), actor, diagrams, form_files)
    return jsonify(shared(DeploymentCheckSchema).dump(report)), 200


def _uploaded_files() -> tuple[dict[str, bytes], dict[str, bytes]]:
    """(diagrams, form files) of the request, each file name -> bytes."""
    if request.mimetype != "multipart/form-data":
        raise bad_request(f"Send the files as multipart/form-data in the field '{FILES_FIELD}'")
    # A browser sends a part without a file name when no file was chosen.
    return usecases.deployable_files(
        ((f.filename, f.read()) for f in request.files.getlist(FILES_FIELD) if f.filename),
        FILES_FIELD)
