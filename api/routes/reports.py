"""Reports: the yearly evaluation of the executors (the standard's section L)."""
from flask import Blueprint, Response, jsonify

from api.auth import authenticated
from api.extension import engine_context
from api.openapi import operation
from api.parsing import query_args
from api.schemas import SlaQuerySchema, shared
from engine import usecases

bp = Blueprint("reports", __name__, url_prefix="/api/v1")

SLA_REPORT = {"type": "object", "description": "period, steps (per step and role: count, "
              "median and p90 working-time duration, on-time share), breaches (late or open "
              "overdue tasks with their holders), warnings"}


@bp.get("/reports/sla")
@operation("Each step's duration against its limit, per role, for a period", query=SlaQuerySchema,
           response=SLA_REPORT, also={"text/csv": {"schema": {"type": "string"}}},
           errors=(403,),
           description="Roles auditor, admin, kepala_biro. Durations in working time. "
                       "format=csv returns text/csv: table=steps (default) or breaches.")
@authenticated
def sla_report(actor):
    query = query_args(shared(SlaQuerySchema))
    output, table = query.pop("format"), query.pop("table")
    report = usecases.sla_report(engine_context(), actor, **query)
    if output == "csv":
        return Response(usecases.sla_to_csv(report, table), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="lkj-sla-{table}.csv"'})
    return jsonify(usecases.sla_to_json(report))
