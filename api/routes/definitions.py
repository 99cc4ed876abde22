"""Deployed process definitions and their versions."""
import hashlib
import io

from flask import Blueprint, jsonify, send_file

from api.auth import authenticated
from api.extension import engine_context
from api.openapi import operation
from api.parsing import json_body
from api.schemas import (
    DefinitionKeyPath,
    DefinitionListSchema,
    DefinitionSchema,
    DefinitionVersionPath,
    FormFileListSchema,
    MigrationListSchema,
    MigrationRequestSchema,
    shared,
)
from engine import usecases

bp = Blueprint("definitions", __name__, url_prefix="/api/v1")


@bp.get("/process-definitions")
@operation("The latest version of each deployed process", response=DefinitionListSchema)
@authenticated
def list_definitions(actor):
    definitions = usecases.list_definitions(engine_context())
    return jsonify(shared(DefinitionListSchema).dump({"items": definitions}))


@bp.get("/process-definitions/<key>/versions")
@operation("Every deployed version of a process, oldest first", response=DefinitionListSchema,
           errors=(404,))
@authenticated
def list_versions(actor, key):
    versions = usecases.definition_versions(engine_context(), key)
    return jsonify(shared(DefinitionListSchema).dump({"items": versions}))


@bp.get("/process-definitions/<key>/versions/<int:version>/xml")
@operation("The diagram file of a version, byte-for-byte as deployed",
           path=DefinitionVersionPath, download="application/xml", errors=(404,),
           description="The ETag is the file's sha256.")
@authenticated
def get_version_xml(actor, key, version):
    filename, content = usecases.definition_xml(engine_context(), key, version)
    response = send_file(io.BytesIO(content), mimetype="application/xml", as_attachment=True,
                         download_name=filename, etag=hashlib.sha256(content).hexdigest(),
                         conditional=True, max_age=0)
    # Exactly application/xml: the file's own declaration names its encoding.
    response.headers["Content-Type"] = "application/xml"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.get("/process-definitions/<key>/versions/<int:version>/forms")
@operation("The form files a version was built from, with the JSON Schema each gives",
           path=DefinitionVersionPath, response=FormFileListSchema, errors=(404,),
           description="Each file's text as deployed (to edit and deploy again: the server "
                       "decides which processes get a new version) and the schema the "
                       "engine reads from it; a form-js file's is its translation.")
@authenticated
def list_version_forms(actor, key, version):
    items = usecases.definition_forms(engine_context(), key, version)
    return jsonify(shared(FormFileListSchema).dump({"items": items}))


@bp.post("/process-definitions/<key>/versions/<int:version>/migrate")
@operation("Move every running or suspended instance of a version to another (admin)",
           path=DefinitionVersionPath, body=MigrationRequestSchema,
           response=MigrationListSchema, errors=(403, 404),
           description="Each instance on its own: the result per instance says whether it "
                       "moved (or, with dry_run, would move) and why not.")
@authenticated
def migrate_version(actor, key, version):
    fields = json_body(shared(MigrationRequestSchema))
    results = usecases.migrate_version(engine_context(), actor, key, version, **fields)
    return jsonify(shared(MigrationListSchema).dump({"items": results}))


@bp.delete("/process-definitions/<key>/versions/<int:version>")
@operation("Delete a version no instance uses (admin)", path=DefinitionVersionPath,
           status=204, errors=(403, 404, 409),
           description="409 when instances use it (the answer says how many: move them to "
                       "another version first). The files no other version was built from go "
                       "with it. A later deployment may give the same number again.")
@authenticated
def delete_version(actor, key, version):
    usecases.delete_version(engine_context(), actor, key, version)
    return "", 204


@bp.post("/process-definitions/<key>/suspend")
@operation("Suspend a process: no new instance of any of its versions starts (admin)",
           path=DefinitionKeyPath, response=DefinitionSchema, errors=(403, 404),
           description="Suspension is of the process (its key), not of one version: starting "
                       "any version answers 409 until it is resumed. Running instances go "
                       "on, their call activities included. Suspending twice changes "
                       "nothing.")
@authenticated
def suspend_definition(actor, key):
    definition = usecases.suspend_definition(engine_context(), actor, key)
    return jsonify(shared(DefinitionSchema).dump(definition))


@bp.post("/process-definitions/<key>/resume")
@operation("Resume a suspended process: instances start again (admin)",
           path=DefinitionKeyPath, response=DefinitionSchema, errors=(403, 404))
@authenticated
def resume_definition(actor, key):
    definition = usecases.resume_definition(engine_context(), actor, key)
    return jsonify(shared(DefinitionSchema).dump(definition))
