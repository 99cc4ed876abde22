"""Starting process instances and reading them."""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select

from engine.errors import InvalidInput, WorkflowError
from engine.persistence import event_log
from engine.persistence.tables import ProcessDefinition, ProcessInstance, Task
from engine.usecases import policy
from engine.usecases.constraints import BUSINESS_KEY_MAX_LENGTH
from engine.usecases.context import EngineContext
from engine.usecases.shared import (
    INSTANCE_STATUSES,
    _check_choice,
    _check_paging,
    _definition,
    _instance_view,
    _prepared_variables,
    _require_not_suspended,
    _visible_instance,
)
from engine.usecases.transaction import Thrown, pass_on_thrown, run_step, write_state
from engine.usecases.views import Actor, InstanceView, Page
from engine.workflow import runtime

# ---------------------------------------------------------------- instances

def start_instance(ctx: EngineContext, actor: Actor, key: str, variables: dict,
                   version: int | None = None, business_key: str | None = None) -> InstanceView:
    """Start an instance of the process (its latest version, or `version`) and run it to
    its first wait states. Nothing is stored when the start fails."""
    if not isinstance(variables, dict):
        raise InvalidInput("variables must be an object", {"variables": ["must be an object"]})
    check_business_key(business_key)
    with ctx.db.read() as s:
        definition = _definition(s, key, version)
        policy.check_start(actor, key, definition.startable_by)
        _require_not_suspended(s, key)
        variables = _prepared_variables(s, actor, definition, variables)
        executable = ctx.executable(definition)
        definition_id = definition.id
    return begin_instance(ctx, actor, definition_id, executable, variables,
                          business_key=business_key)


def check_business_key(business_key) -> None:
    if business_key is not None and (not isinstance(business_key, str) or not business_key
                                     or len(business_key) > BUSINESS_KEY_MAX_LENGTH):
        rule = f"must be a text of 1 to {BUSINESS_KEY_MAX_LENGTH} characters"
        raise InvalidInput(f"business_key {rule}", {"business_key": [rule]})


@dataclass(frozen=True)
class Trigger:
    """What set off the start event of an instance that did not start at a plain start
    event: a message, a signal or a timer (`name`: for a timer its element id)."""
    kind: str
    name: str


def begin_instance(ctx: EngineContext, actor: Actor, definition_id: int, executable, variables: dict,
                   trigger: Trigger | None = None, business_key: str | None = None,
                   claim=None) -> InstanceView | None:
    """Create the instance, run it to its first wait states (past the start event
    `trigger` sets off) and store it. `claim(s)`, when given, is asked in the write
    transaction whether this start still stands (a timer start another worker took:
    nothing is stored and None returned). Events the start threw go on to other
    instances once it is stored."""
    now = ctx.clock.now()
    wf = runtime.new_workflow(executable, variables)
    thrown = Thrown()

    def step():
        runtime.run_to_wait_states(wf, now, thrown)
        if trigger is not None and runtime.trigger_start(
                wf, trigger.kind, trigger.name, variables, now, thrown) is None:
            raise WorkflowError(f"the process has no {trigger.kind} start event "
                                f"'{trigger.name}'")
    wf, error = run_step(step, wf)
    if error is not None:
        raise WorkflowError(f"the process failed to start: {error}")
    with ctx.db.write() as s:
        if claim is not None and not claim(s):
            return None
        definition = s.get(ProcessDefinition, definition_id)
        instance = ProcessInstance(
            id=str(uuid.uuid4()), definition_id=definition.id, definition=definition,
            status="running", state_json="{}", state_format=runtime.STATE_FORMAT,
            started_at=now, started_by=actor.username, business_key=business_key)
        s.add(instance)
        s.flush()
        log = event_log.EventLog(s, instance.id, new_instance=True)
        payload = {"definition_key": definition.key, "definition_version": definition.version,
                   "content_hash": definition.content_hash, "variables": variables,
                   "state_digest": runtime.state_digest(wf)}
        if trigger is not None:
            payload["trigger"] = {"kind": trigger.kind, "name": trigger.name}
        if business_key is not None:
            payload["business_key"] = business_key
        log.append(event_log.INSTANCE_STARTED, actor.username, now, payload=payload)
        _, stored = write_state(ctx, s, instance, wf, None, now, log, actor, thrown)
        s.flush()
        view = _instance_view(s, instance)
    ctx.keep_workflow(instance.id, instance.version, wf, stored)
    pass_on_thrown(ctx, instance.id, thrown)
    return view


def get_instance(ctx: EngineContext, actor: Actor, instance_id: str) -> InstanceView:
    with ctx.db.read() as s:
        instance = _visible_instance(s, actor, instance_id)
        return _instance_view(s, instance)


def list_instances(ctx: EngineContext, actor: Actor, status: str | None = None,
                   definition_key: str | None = None, limit: int = 50,
                   offset: int = 0) -> Page:
    errors = {}
    _check_choice(errors, "status", status, INSTANCE_STATUSES, optional=True)
    _check_paging(limit, offset, errors)
    if errors:
        raise InvalidInput("Invalid query", errors)
    with ctx.db.read() as s:
        query = select(ProcessInstance).join(ProcessInstance.definition)
        if not policy.reads_every_instance(actor):
            query = query.where(select(Task.id).where(
                Task.process_instance_id == ProcessInstance.id,
                policy.visible_tasks(actor)).exists())
        if status:
            query = query.where(ProcessInstance.status == status)
        if definition_key:
            query = query.where(ProcessDefinition.key == definition_key)
        total = s.scalar(select(func.count()).select_from(query.subquery()))
        rows = s.scalars(query.order_by(ProcessInstance.started_at.desc(), ProcessInstance.id)
                         .limit(limit).offset(offset))
        return Page(items=[_instance_view(s, i, with_tasks=False) for i in rows], total=total)
