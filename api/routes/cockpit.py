"""The cockpit's overviews (auditors and admins): instances found by process, version,
status, year and starter with their counts per status; the load of a version's diagram
(open tasks per element); an instance's event chain checked. And the notification outbox
(admins): its messages by state, a failed one sent again."""
from flask import Blueprint, jsonify
from marshmallow import Schema, fields

from api.auth import authenticated
from api.extension import engine_context
from api.openapi import operation
from api.parsing import query_args
from api.schemas import (
    DefinitionVersionPath,
    InstancePath,
    InstanceSummarySchema,
    RequestSchema,
    Text,
    WholeNumber,
    _limit,
    _offset,
    _version,
    shared,
)
from engine import usecases

bp = Blueprint("cockpit", __name__, url_prefix="/api/v1/cockpit")
STATUSES = list(usecases.INSTANCE_STATUSES)


class InstanceSearchQuerySchema(RequestSchema):
    definition_key = Text()
    version = _version(in_text=True, metadata={"description": "with definition_key"})
    status = fields.String(metadata={"enum": STATUSES})
    year = WholeNumber(usecases.FIRST_CALENDAR_YEAR, usecases.LAST_CALENDAR_YEAR, in_text=True,
                       metadata={"description": "started in this year (Asia/Jakarta)"})
    started_by = Text(metadata={"description": "a user name"})
    limit = _limit()
    offset = _offset()


class OutboxQuerySchema(RequestSchema):
    state = fields.String(metadata={"enum": list(usecases.OUTBOX_STATES)})
    limit = _limit()
    offset = _offset()


class OutboxPath(RequestSchema):
    message_id = WholeNumber(1, usecases.INT32_MAX, in_text=True, required=True)


class OutboxEntrySchema(Schema):
    id = fields.Integer()
    created_at = fields.DateTime()
    kind = fields.String()
    channel = fields.String()
    recipient = fields.String()
    username = fields.String(allow_none=True)
    process_instance_id = fields.String(allow_none=True)
    subject = fields.String()
    state = fields.String(metadata={"enum": list(usecases.OUTBOX_STATES)})
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime()
    last_error = fields.String(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)


class OutboxPageSchema(Schema):
    items = fields.List(fields.Nested(OutboxEntrySchema))
    total = fields.Integer()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(),
                         metadata={"description": "messages per state"})


class InstanceSearchSchema(Schema):
    items = fields.List(fields.Nested(InstanceSummarySchema))
    total = fields.Integer()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "instances per status under the other filters"})


class ElementLoadSchema(Schema):
    element_id = fields.String()
    open_tasks = fields.Integer()
    instances = fields.Integer(metadata={"description": "instances with an open task there"})


class VersionLoadSchema(Schema):
    definition_key = fields.String()
    version = fields.Integer()
    instances = fields.Dict(keys=fields.String(), values=fields.Integer(),
                            metadata={"description": "the version's instances per status"})
    elements = fields.List(fields.Nested(ElementLoadSchema))


class ChainCheckSchema(Schema):
    intact = fields.Boolean()
    events = fields.Integer()
    head_hash = fields.String(metadata={"description": "the last event's hash"})
    broken_at = fields.Integer(allow_none=True, metadata={
        "description": "the seq of the first event where the chain does not hold"})
    problem = fields.String(allow_none=True)


@bp.get("/instances")
@operation("Instances by process, version, status, year and starter, with counts per status",
           query=InstanceSearchQuerySchema, response=InstanceSearchSchema, errors=(403,),
           description="Auditors and admins; newest first.")
@authenticated
def search_instances(actor):
    page = usecases.search_instances(engine_context(), actor,
                                     **query_args(shared(InstanceSearchQuerySchema)))
    return jsonify(shared(InstanceSearchSchema).dump(page))


@bp.get("/process-definitions/<key>/versions/<int:version>/load")
@operation("Where a version's instances stand: per element, the open tasks waiting there",
           path=DefinitionVersionPath, response=VersionLoadSchema, errors=(403, 404))
@authenticated
def version_load(actor, key, version):
    load = usecases.version_load(engine_context(), actor, key, version)
    return jsonify(shared(VersionLoadSchema).dump(load))


@bp.get("/process-instances/<instance_id>/chain")
@operation("An instance's event chain checked: each hash recomputed and each link followed",
           path=InstancePath, response=ChainCheckSchema, errors=(403, 404))
@authenticated
def instance_chain(actor, instance_id):
    check = usecases.check_instance_chain(engine_context(), actor, instance_id)
    return jsonify(shared(ChainCheckSchema).dump(check))


@bp.get("/outbox")
@operation("The notification outbox, newest first, with the count in each state (admin)",
           query=OutboxQuerySchema, response=OutboxPageSchema, errors=(403,))
@authenticated
def list_outbox(actor):
    page = usecases.list_outbox(engine_context(), actor, **query_args(shared(OutboxQuerySchema)))
    return jsonify(shared(OutboxPageSchema).dump(page))


@bp.post("/outbox/<int:message_id>/retry")
@operation("Send a failed notification again: a fresh round of attempts, due now (admin)",
           path=OutboxPath, response=OutboxEntrySchema, errors=(403, 404, 409))
@authenticated
def retry_outbox_message(actor, message_id):
    entry = usecases.retry_outbox_message(engine_context(), actor, message_id)
    return jsonify(shared(OutboxEntrySchema).dump(entry))
