"""Messages and signals: delivered over the API or thrown by a diagram, they reach the
instances that wait for them and start the processes whose start event waits for them.

- A **message** (`correlate_message`) reaches the waiting message catches (intermediate
  catch events, receive tasks, boundary events, event-based gateways' branches) of that
  name, narrowed to one instance (`process_instance_id`), to a business key and to
  instances whose variables hold `correlation`; when none waits, it starts every process
  (latest version) with a message start event of that name. Nobody at all: 404.
- A **signal** (`broadcast_signal`) reaches every waiting signal catch of that name and
  starts every process with a signal start event of that name; nobody is no error.
- A diagram's **message throw event or send task** delivers the same way (to the
  instances of its business key when it has one), its **signal throw event** too, right
  after the change that threw them is stored, in the same request.

Each receiving instance records `event_received` (what, with which variables, the
elements reached) and replay delivers it again; an instance started by an event records
the trigger in `instance_started`.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from sqlalchemy import func, select

from engine.errors import ConcurrentUpdate, EventNotReceived, InstanceNotFound, InvalidInput
from engine.persistence import event_log
from engine.persistence.tables import EventSubscription, ProcessDefinition, ProcessInstance
from engine.usecases import policy
from engine.usecases.constraints import EVENT_NAME_MAX_LENGTH
from engine.usecases.context import EngineContext
from engine.usecases.instances import Trigger, begin_instance, check_business_key
from engine.usecases.shared import _check_json_data
from engine.usecases.transaction import InstanceCommand, change_instance
from engine.usecases.views import SYSTEM, Actor
from engine.workflow import events, runtime

log = logging.getLogger("lkj.events")

# How deep thrown events may set off further thrown events (two processes answering each
# other's messages forever stop here).
MAX_CHAIN = 8
_chain = threading.local()


@dataclass(frozen=True)
class Reached:
    """One instance a message or signal reached: the elements that caught it, or the start
    event of the instance it started."""
    process_instance_id: str
    definition_key: str
    elements: tuple[str, ...]
    started: bool


# ---------------------------------------------------------------- the commands

def correlate_message(ctx: EngineContext, actor: Actor, name, variables=None,
                      correlation=None, process_instance_id=None,
                      business_key=None) -> list[Reached]:
    policy.require_worker(actor)
    variables, correlation = _checked(name, variables, correlation)
    if process_instance_id is not None and not isinstance(process_instance_id, str):
        raise InvalidInput("process_instance_id must be a text",
                           {"process_instance_id": ["must be a text"]})
    check_business_key(business_key)
    reached = _deliver(ctx, "message", name, variables, correlation, process_instance_id,
                       business_key)
    if not reached and process_instance_id is None:
        reached = _start(ctx, actor, "message", name, variables, business_key)
    if not reached:
        raise EventNotReceived(f"no instance waits for the message '{name}' with that "
                               f"correlation, and no process starts with it")
    return reached


def broadcast_signal(ctx: EngineContext, actor: Actor, name, variables=None) -> list[Reached]:
    policy.require_worker(actor)
    variables, _ = _checked(name, variables, None)
    return (_deliver(ctx, "signal", name, variables, {}, None, None)
            + _start(ctx, actor, "signal", name, variables, None))


def pass_on(ctx: EngineContext, instance_id: str, thrown: list[events.ThrownEvent]) -> None:
    """Deliver what an instance threw (see the module's docstring); a message nobody
    receives is logged, not an error of the thrower."""
    depth = getattr(_chain, "depth", 0)
    if depth >= MAX_CHAIN:
        log.warning("instance %s: events %s not passed on (a chain of %d throws)",
                    instance_id, [e.name for e in thrown], depth)
        return
    _chain.depth = depth + 1
    try:
        with ctx.db.read() as s:
            business_key = s.scalar(select(ProcessInstance.business_key)
                                    .where(ProcessInstance.id == instance_id))
        for event in thrown:
            if event.kind == "message":
                reached = _deliver(ctx, "message", event.name, event.payload, {}, None,
                                   business_key, exclude=instance_id) \
                    or _start(ctx, SYSTEM, "message", event.name, event.payload, business_key)
                if not reached:
                    log.info("instance %s threw message '%s': nobody waits for it",
                             instance_id, event.name)
            elif event.kind == "signal":
                _deliver(ctx, "signal", event.name, event.payload, {}, None, None,
                         exclude=instance_id)
                _start(ctx, SYSTEM, "signal", event.name, event.payload, None)
    finally:
        _chain.depth = depth


# ---------------------------------------------------------------- delivering

def _checked(name, variables, correlation) -> tuple[dict, dict]:
    errors = {}
    if not isinstance(name, str) or not name.strip() or len(name) > EVENT_NAME_MAX_LENGTH:
        errors["name"] = [f"must be a text of 1 to {EVENT_NAME_MAX_LENGTH} characters, "
                          f"not only blanks"]
    if variables is None:
        variables = {}
    if not isinstance(variables, dict):
        errors["variables"] = ["must be an object"]
    if correlation is None:
        correlation = {}
    if not isinstance(correlation, dict):
        errors["correlation"] = ["must be an object of variable names and values"]
    if errors:
        raise InvalidInput("Invalid event", errors)
    _check_json_data(variables)
    _check_json_data(correlation)
    return variables, correlation


def _deliver(ctx, kind, name, variables, correlation, instance_id, business_key,
             exclude: str | None = None) -> list[Reached]:
    with ctx.db.read() as s:
        query = (select(ProcessInstance.id, ProcessDefinition.key)
                 .join(EventSubscription,
                       EventSubscription.process_instance_id == ProcessInstance.id)
                 .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
                 .where(EventSubscription.kind == kind, EventSubscription.name == name,
                        ProcessInstance.status == "running")
                 .distinct().order_by(ProcessInstance.id))
        if instance_id is not None:
            query = query.where(ProcessInstance.id == instance_id)
        if business_key is not None:
            query = query.where(ProcessInstance.business_key == business_key)
        candidates = [(i, key) for i, key in s.execute(query) if i != exclude]
    reached = []
    for candidate, key in candidates:
        try:
            elements = change_instance(ctx, _Delivery(kind, name, variables, correlation),
                                       candidate)
        except (_NotWaiting, InstanceNotFound):
            continue
        except ConcurrentUpdate:
            log.warning("instance %s kept changing: %s '%s' not delivered", candidate, kind, name)
            continue
        reached.append(Reached(candidate, key, tuple(elements), started=False))
    return reached


class _NotWaiting(Exception):
    """The instance no longer waits for the event (or not with that correlation)."""


class _Delivery(InstanceCommand):
    name = "deliver_event"
    actor = SYSTEM

    def __init__(self, kind, event_name, variables, correlation):
        self.kind, self.event_name = kind, event_name
        self.variables, self.correlation = variables, correlation

    def check(self, s, instance):
        if instance.status != "running":
            raise _NotWaiting

    def act(self, wf, now, thrown):
        self.reached = []  # set before the run: a failing run still reached these
        self.reached = runtime.deliver_event(wf, self.kind, self.event_name, self.variables,
                                             self.correlation, now, thrown)
        if not self.reached:
            raise _NotWaiting

    def record(self, s, instance, log_, now, wf):
        log_.append(event_log.EVENT_RECEIVED, self.actor.username, now, payload={
            "kind": self.kind, "name": self.event_name, "variables": self.variables,
            "correlation": self.correlation, "elements": self.reached,
            "state_digest": runtime.state_digest(wf)})

    def result(self, s, instance, new_tasks):
        return self.reached


# ---------------------------------------------------------------- starting

def _start(ctx, actor, kind, name, variables, business_key) -> list[Reached]:
    """Start every process (latest version) whose start event waits for `kind`/`name`."""
    with ctx.db.read() as s:
        targets = []
        for definition in s.scalars(_latest_definitions().order_by(ProcessDefinition.key)):
            executable = ctx.executable(definition)
            for start in events.start_events(executable.spec):
                if start.kind == kind and start.name == name:
                    targets.append((definition.id, definition.key, executable, start))
    reached = []
    for definition_id, key, executable, start in targets:
        view = begin_instance(ctx, actor, definition_id, executable, dict(variables),
                              trigger=Trigger(kind, name), business_key=business_key)
        reached.append(Reached(view.id, key, (start.element_id,), started=True))
    return reached


def _latest_definitions():
    newest = (select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("v"))
              .group_by(ProcessDefinition.key).subquery())
    return select(ProcessDefinition).join(newest, (ProcessDefinition.key == newest.c.key)
                                          & (ProcessDefinition.version == newest.c.v))
