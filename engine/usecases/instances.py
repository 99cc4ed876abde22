"""Starting process instances and reading them."""
from __future__ import annotations

import uuid

from sqlalchemy import func, select

from engine.errors import InvalidInput, WorkflowError
from engine.persistence import event_log
from engine.persistence.tables import ProcessDefinition, ProcessInstance, Task
from engine.usecases import policy
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
from engine.usecases.transaction import Thrown, run_step, write_state
from engine.usecases.views import Actor, InstanceView, Page
from engine.workflow import runtime

# ---------------------------------------------------------------- instances

def start_instance(ctx: EngineContext, actor: Actor, key: str, variables: dict,
                   version: int | None = None) -> InstanceView:
    """Start an instance of the process (its latest version, or `version`) and run it to
    its first wait states. Nothing is stored when the start fails."""
    if not isinstance(variables, dict):
        raise InvalidInput("variables must be an object", {"variables": ["must be an object"]})
    with ctx.db.read() as s:
        definition = _definition(s, key, version)
        policy.check_start(actor, key, definition.startable_by)
        _require_not_suspended(s, key)
        variables = _prepared_variables(s, actor, definition, variables)
        executable = ctx.executable(definition)
        definition_id = definition.id
    now = ctx.clock.now()
    wf = runtime.new_workflow(executable, variables)
    thrown = Thrown()
    wf, error = run_step(lambda: runtime.run_to_wait_states(wf, now, thrown), wf)
    if error is not None:
        raise WorkflowError(f"the process failed to start: {error}")
    with ctx.db.write() as s:
        definition = s.get(ProcessDefinition, definition_id)
        instance = ProcessInstance(
            id=str(uuid.uuid4()), definition_id=definition.id, definition=definition,
            status="running", state_json="{}", state_format=runtime.STATE_FORMAT,
            started_at=now, started_by=actor.username)
        s.add(instance)
        s.flush()
        log = event_log.EventLog(s, instance.id, new_instance=True)
        log.append(event_log.INSTANCE_STARTED, actor.username, now, payload={
            "definition_key": definition.key, "definition_version": definition.version,
            "content_hash": definition.content_hash, "variables": variables,
            "state_digest": runtime.state_digest(wf)})
        _, stored = write_state(ctx, s, instance, wf, None, now, log, actor, thrown)
        s.flush()
        view = _instance_view(s, instance)
    ctx.keep_workflow(instance.id, instance.version, wf, stored)
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
