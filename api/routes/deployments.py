"""Deploying diagrams and form schemas (admin): a changed process becomes a new version."""
from flask import Blueprint, jsonify, request

from api.auth import authenticated
from api.errors import bad_request
from api.extension import engine_context
from api.openapi import operation
from api.schemas import DeploymentCheckSchema, DeploymentSchema, shared
from engine import usecases
from engine.errors import InvalidInput

bp = Blueprint("deployments", __name__, url_prefix="/api/v1")
FILES_FIELD = "files"


@bp.post("/deployments")
@operation("Deploy diagrams and form schemas on top of the latest deployment (admin)",
           upload=FILES_FIELD, upload_many=True, response=DeploymentSchema, status=201,
           errors=(403, 409),
           description="multipart/form-data with the field `files` repeated: `.bpmn` diagrams, "
                       "form schemas named `<formKey>.json` and Camunda forms (`.form`, known "
                       "by their `id`). They replace their namesakes "
                       "in the latest deployment; its other files are kept. Every process "
                       "whose content changed gets a new version (`created: true`); unchanged "
                       "ones are listed with their current version and `created: false`. When "
                       "nothing changed the answer is still 201, every `created` is false and "
                       "nothing is stored. An invalid diagram is 400 with errors "
                       "[{file, line, column, element_id, message}].")
@authenticated
def deploy(actor):
    diagrams, form_files = _uploaded_files()
    deployment = usecases.deploy(engine_context(), actor, diagrams, form_files,
                                 on_top_of_latest=True)
    return jsonify(shared(DeploymentSchema).dump(deployment)), 201


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
    uploads = [f for f in request.files.getlist(FILES_FIELD) if f.filename]
    if not uploads:
        raise InvalidInput("No file was sent", {FILES_FIELD: ["at least one file is required"]})
    files, problems = {}, []
    for upload in uploads:
        name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1]
        if "\x00" in name:
            problems.append(f"{name!r}: a file name must not contain the NUL character")
        elif len(name) > usecases.FILE_NAME_MAX_LENGTH:
            problems.append(f"'{name[:40]}...': a file name has at most "
                            f"{usecases.FILE_NAME_MAX_LENGTH} characters")
        # Case matters: the engine takes the form key as the name without ".json".
        elif not name.endswith(usecases.DEPLOYABLE_SUFFIXES):
            problems.append(f"'{name}': only .bpmn diagrams, .json form schemas and .form "
                            "Camunda forms")
        elif name in files:
            problems.append(f"'{name}': sent twice")
        files[name] = upload.read()
    if problems:
        raise InvalidInput("Some files cannot be deployed", {FILES_FIELD: problems})
    diagrams = {n: c for n, c in files.items() if n.endswith(".bpmn")}
    form_files = {n: c for n, c in files.items() if not n.endswith(".bpmn")}
    return diagrams, form_files
