"""What happened, for auditors (and admins): an instance's event log, its replay, the audit
bundle to verify offline, and completed tasks across instances. Read-only."""
import hashlib

from flask import Blueprint, Response, jsonify

from api.auth import authenticated
from api.extension import engine_context
from api.openapi import operation
from api.parsing import query_args
from api.schemas import (
    CompletedTaskQuerySchema,
    EventPageSchema,
    HistoryQuerySchema,
    InstancePath,
    ReplaySchema,
    TaskPageSchema,
    shared,
)
from engine import usecases

bp = Blueprint("history", __name__, url_prefix="/api/v1")


@bp.get("/process-instances/<instance_id>/history")
@operation("An instance's events in order, each chained to the one before by its hash",
           path=InstancePath, query=HistoryQuerySchema, response=EventPageSchema,
           errors=(403, 404))
@authenticated
def instance_history(actor, instance_id):
    page = usecases.instance_history(engine_context(), actor, instance_id,
                                     **query_args(shared(HistoryQuerySchema)))
    return jsonify(shared(EventPageSchema).dump(page))


@bp.post("/process-instances/<instance_id>/replay")
@operation("Re-execute an instance from its history and compare with what is stored",
           path=InstancePath, response=ReplaySchema, errors=(403, 404),
           description="Changes nothing. `divergence` (null when consistent) names the first "
                       "event where replay and history part, or seq null for the stored state.")
@authenticated
def replay_instance(actor, instance_id):
    report = usecases.replay_instance(engine_context(), actor, instance_id)
    return jsonify(shared(ReplaySchema).dump(report))


@bp.get("/process-instances/<instance_id>/audit-bundle")
@operation("A zip archive of the instance to verify offline (`lkj audit verify`)",
           path=InstancePath, download="application/zip", errors=(403, 404),
           description="The diagram version byte-for-byte, its forms, the "
                       "event log, document hashes and the stored state, with a manifest.")
@authenticated
def audit_bundle(actor, instance_id):
    bundle = usecases.audit_bundle(engine_context(), actor, instance_id)
    # The instance exists (the engine found it), so its id is a UUID: safe to quote as is.
    return Response(bundle, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="lkj-audit-{instance_id}.zip"',
        "ETag": f'"{hashlib.sha256(bundle).hexdigest()}"',
        "Cache-Control": "private, no-store"})


@bp.get("/history/tasks")
@operation("Completed tasks across instances, by role, user and completion time",
           query=CompletedTaskQuerySchema, response=TaskPageSchema, errors=(403,),
           description="Oldest completion first; `from` is inclusive, `to` exclusive.")
@authenticated
def completed_tasks(actor):
    page = usecases.completed_tasks(engine_context(), actor,
                                    **query_args(shared(CompletedTaskQuerySchema)))
    return jsonify(shared(TaskPageSchema).dump(page))
