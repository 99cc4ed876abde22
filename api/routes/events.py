"""Messages and signals from other systems: delivered to the instances waiting for them,
starting the processes whose start event waits for them (engine/usecases/bpmn_events.py)."""
from flask import Blueprint, jsonify

from api.auth import authenticated
from api.extension import engine_context
from api.openapi import operation
from api.parsing import json_body
from api.schemas import MessageSchema, ReachedListSchema, SignalSchema, shared
from engine import usecases

bp = Blueprint("events", __name__, url_prefix="/api/v1")


@bp.post("/messages")
@operation("Deliver a message (admin, worker)", body=MessageSchema, response=ReachedListSchema,
           errors=(403, 404),
           description="Reaches the waiting message catch events, receive tasks, boundary "
                       "events and event-based gateway branches of that name, narrowed to "
                       "`process_instance_id`, to `business_key` and to instances whose "
                       "variables hold every `correlation` value; its `variables` become "
                       "variables of each receiver. When none waits (and no instance id is "
                       "given) it starts every process whose latest version has a message "
                       "start event of that name, with the variables and the business key. "
                       "The answer names each instance reached and the elements that "
                       "received it. Nobody at all: 404, and nothing is kept for later.")
@authenticated
def correlate_message(actor):
    fields = json_body(shared(MessageSchema))
    reached = usecases.correlate_message(engine_context(), actor, **fields)
    return jsonify(shared(ReachedListSchema).dump({"reached": reached}))


@bp.post("/signals")
@operation("Broadcast a signal (admin, worker)", body=SignalSchema, response=ReachedListSchema,
           errors=(403,),
           description="Reaches every waiting signal catch of that name in every instance "
                       "and starts every process whose latest version has a signal start "
                       "event of that name; `variables` go to each of them. A signal "
                       "nobody waits for is no error: `reached` is empty.")
@authenticated
def broadcast_signal(actor):
    fields = json_body(shared(SignalSchema))
    reached = usecases.broadcast_signal(engine_context(), actor, **fields)
    return jsonify(shared(ReachedListSchema).dump({"reached": reached}))
