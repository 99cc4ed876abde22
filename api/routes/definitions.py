"""Deployed process definitions."""
from flask import Blueprint, jsonify

from api.auth import authenticated
from api.extension import engine_context
from api.openapi import operation
from api.schemas import DefinitionListSchema
from engine import commands

bp = Blueprint("definitions", __name__, url_prefix="/api/v1")


@bp.get("/process-definitions")
@operation("The latest version of each deployed process", response=DefinitionListSchema)
@authenticated
def list_definitions(actor):
    definitions = commands.list_definitions(engine_context())
    return jsonify(DefinitionListSchema().dump({"items": definitions}))
