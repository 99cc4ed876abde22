"""The LKj document for the people who make it: the drafts the engine assembled for a task's
instance, and the year's archive."""
from flask import Blueprint, jsonify, send_file

from api.auth import authenticated
from api.extension import engine_context
from api.openapi import operation
from api.schemas import DraftListSchema, shared
from engine import usecases

bp = Blueprint("lkj_report", __name__, url_prefix="/api/v1")


@bp.get("/tasks/<task_id>/drafts")
@operation("The LKj drafts the engine assembled for the task's instance, newest first",
           response=DraftListSchema, errors=(404,),
           description="Built when a step-6 task becomes ready, and again whenever the units' "
                       "data changed; each keeps the fingerprint of the data it was built "
                       "from. Download with GET /documents/{id}/content.")
@authenticated
def list_drafts(actor, task_id):
    drafts = usecases.list_drafts(engine_context(), actor, task_id)
    return jsonify(shared(DraftListSchema).dump({"items": drafts}))


@bp.get("/archives/<int:year>")
@operation("The year's LKj archive (zip), to verify offline with `lkj audit verify-archive`",
           download=True, errors=(403, 404),
           description="Roles auditor, admin, kepala_biro. Built when the year's procedure "
                       "ended: the signed LKj, every draft, the documents uploaded along the "
                       "way, the units' data as CSV, the SLA report and the audit bundle, "
                       "with a manifest of sha256 fingerprints.")
@authenticated
def get_archive(actor, year):
    archive, path = usecases.get_archive(engine_context(), actor, year)
    response = send_file(path, mimetype="application/zip", as_attachment=True,
                         download_name=archive.filename, etag=archive.sha256,
                         conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
