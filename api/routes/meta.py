"""Probes for the process supervisor and the OpenAPI document."""
from flask import Blueprint, current_app, jsonify

from api.errors import ApiProblem
from api.extension import engine_context
from api.openapi import build_spec, operation
from api.schemas import HealthSchema
from engine import usecases

bp = Blueprint("meta", __name__)
SPEC_KEY = "lkj.openapi"


@bp.get("/healthz")
@operation("The process is up", response=HealthSchema)
def healthz():
    return jsonify({"status": "ok"})


@bp.get("/readyz")
@operation("The database answers and its schema is at the newest migration",
           response=HealthSchema, errors=(503,))
def readyz():
    try:
        behind = usecases.database_behind(engine_context())
    except Exception:  # any failure to reach the database means: not ready
        current_app.logger.warning("readiness check: database unreachable", exc_info=True)
        raise ApiProblem(503, "Not ready", "The database does not answer") from None
    if behind:
        raise ApiProblem(503, "Not ready", "The database schema is not at the newest migration")
    return jsonify({"status": "ok"})


@bp.get("/api/v1/openapi.json")
@operation("This API's OpenAPI 3 document", response={"type": "object"})
def openapi_document():
    # Built once per process: the routes do not change after start.
    spec = current_app.extensions.get(SPEC_KEY)
    if spec is None:
        spec = current_app.extensions[SPEC_KEY] = build_spec(current_app)
    return jsonify(spec)
