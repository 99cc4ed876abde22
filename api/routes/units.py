"""Work units (satuan kerja) whose queues the LKj procedure fans out to."""
from flask import Blueprint, jsonify

from api.auth import authenticated
from api.extension import engine_context
from api.openapi import operation
from api.parsing import json_body, query_args
from api.schemas import (
    UnitCreateSchema,
    UnitListSchema,
    UnitPath,
    UnitQuerySchema,
    UnitSchema,
    UnitUpdateSchema,
    shared,
)
from engine import usecases

bp = Blueprint("units", __name__, url_prefix="/api/v1")


@bp.post("/units")
@operation("Register a unit (admin)", body=UnitCreateSchema, response=UnitSchema, status=201,
           errors=(403, 409))
@authenticated
def create_unit(actor):
    fields = json_body(shared(UnitCreateSchema))
    unit = usecases.create_unit(engine_context(), actor, **fields)
    return jsonify(shared(UnitSchema).dump(unit)), 201


@bp.get("/units")
@operation("List the units", query=UnitQuerySchema, response=UnitListSchema)
@authenticated
def list_units(actor):
    query = query_args(shared(UnitQuerySchema))
    units = usecases.list_units(engine_context(), active_only=query["active_only"])
    return jsonify(shared(UnitListSchema).dump({"items": units}))


@bp.patch("/units/<code>")
@operation("Rename or (de)activate a unit (admin)", path=UnitPath, body=UnitUpdateSchema,
           response=UnitSchema, errors=(403, 404))
@authenticated
def update_unit(actor, code):
    fields = json_body(shared(UnitUpdateSchema))
    unit = usecases.update_unit(engine_context(), actor, code, **fields)
    return jsonify(shared(UnitSchema).dump(unit))
