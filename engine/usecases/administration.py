"""The admin's operations on instances: suspend, resume, terminate, retry, and
migration to another version of the process."""
from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from engine.errors import ConcurrentUpdate, InstanceNotRunning, InvalidInput
from engine.persistence import event_log, state_store
from engine.persistence.tables import ProcessInstance, Task
from engine.usecases.context import EngineContext
from engine.usecases.shared import (
    OPEN_STATES,
    _check_json_data,
    _definition,
    _instance_view,
    _lock_instance,
    _require_admin,
    _sync_tasks,
    _Thrown,
)
from engine.usecases.views import Actor, InstanceView, MigrationView
from engine.workflow import runtime, version_move
from engine.workflow.model import resolve_role, user_task_key

# ---------------------------------------------------------------- instance administration

def suspend_instance(ctx: EngineContext, actor: Actor, instance_id: str) -> InstanceView:
    """Hold a running instance: its tasks stay queued but cannot be claimed or completed."""
    return _change_status(ctx, actor, instance_id, ("running",), "suspended",
                          event_log.INSTANCE_SUSPENDED)


def resume_instance(ctx: EngineContext, actor: Actor, instance_id: str) -> InstanceView:
    return _change_status(ctx, actor, instance_id, ("suspended",), "running",
                          event_log.INSTANCE_RESUMED)


def terminate_instance(ctx: EngineContext, actor: Actor, instance_id: str,
                       reason: str | None = None) -> InstanceView:
    """End an instance for good; its open tasks are cancelled."""
    def cancel_workflow(s, instance, wf, now, log, thrown):
        runtime.cancel(wf)
    return _change_status(ctx, actor, instance_id, ("running", "suspended", "error"),
                          "terminated", event_log.INSTANCE_TERMINATED, cancel_workflow,
                          {"reason": reason})


def retry_instance(ctx: EngineContext, actor: Actor, instance_id: str,
                   data: dict | None = None) -> InstanceView:
    """Run the failed step of an instance in `error` again, after a fix: `data` (optional)
    corrects the variables the failed step reads."""
    data = data or {}
    if not isinstance(data, dict):
        raise InvalidInput("data must be an object", {"data": ["must be an object"]})
    _check_json_data(data)

    def rerun(s, instance, wf, now, log, thrown):
        error = None
        try:
            runtime.retry_failed_tasks(wf, data, now, thrown)
        except runtime.RUN_ERRORS as exc:
            error = str(exc)
        return error
    return _change_status(ctx, actor, instance_id, ("error",), "running",
                          event_log.INSTANCE_RETRIED, rerun, {"data": data})


def _change_status(ctx, actor, instance_id, allowed_from, to_status, event_type,
                   act=None, payload=None) -> InstanceView:
    _require_admin(actor)
    try:
        with ctx.db.write() as s:
            instance = _lock_instance(ctx, s, instance_id)
            before = instance.status
            if before not in allowed_from:
                raise InstanceNotRunning(f"the process instance is {before}; this needs "
                                         f"{' or '.join(allowed_from)}")
            now = ctx.clock.now()
            log = event_log.EventLog(s, instance.id)
            wf, stored = ctx.take_workflow(s, instance) if act else (None, None)
            thrown = _Thrown()
            error = act(s, instance, wf, now, log, thrown) if act else None
            instance.status = to_status
            instance.error = None if to_status != "error" else instance.error
            if to_status == "terminated":
                instance.ended_at = now
            event_payload = {**(payload or {}), "status_before": before, "status_after": to_status}
            if wf is not None:
                event_payload["state_digest"] = runtime.state_digest(wf)
            log.append(event_type, actor.username, now, payload=event_payload)
            if error is not None:
                instance.status, instance.error = "error", error
                log.append(event_log.INSTANCE_ERROR, "system", now, payload={"message": error})
            if wf is not None:
                _sync_tasks(ctx, s, instance, wf, now, log, actor, thrown)
                stored = ctx.save_workflow(s, instance, wf, stored)
            s.flush()
            view = _instance_view(s, instance)
    except StaleDataError:
        raise ConcurrentUpdate("the process instance changed meanwhile; retry") from None
    if wf is not None:
        ctx.keep_workflow(instance.id, instance.version, wf, stored)
    return view


# ---------------------------------------------------------------- migration between versions

def migrate_instance(ctx: EngineContext, actor: Actor, instance_id: str, to_version: int,
                     dry_run: bool = False) -> MigrationView:
    """Move a running (or suspended) instance to another version of its process when its
    position exists there; refused with the reasons otherwise. A dry run stores nothing."""
    _require_admin(actor)
    try:
        with ctx.db.write() as s:
            instance = _lock_instance(ctx, s, instance_id)
            if instance.status not in ("running", "suspended"):
                raise InstanceNotRunning(f"the process instance is {instance.status}")
            source = instance.definition
            target = _definition(s, source.key, to_version)
            view = MigrationView(process_instance_id=instance.id, from_version=source.version,
                                 to_version=target.version, allowed=False, reasons=[],
                                 dry_run=dry_run)
            if target.id == source.id:
                return replace(view, reasons=["the instance runs this version already"])
            outcome = version_move.migrate(state_store.state_json(s, instance), ctx.executable(source),
                                        ctx.executable(target))
            if not outcome.allowed or dry_run:
                return replace(view, allowed=outcome.allowed, reasons=outcome.reasons)
            now = ctx.clock.now()
            wf, thrown = outcome.workflow, _Thrown()
            runtime.run_to_wait_states(wf, now, thrown)
            instance.definition_id, instance.definition = target.id, target
            log = event_log.EventLog(s, instance.id)
            log.append(event_log.INSTANCE_MIGRATED, actor.username, now, payload={
                "from_version": source.version, "to_version": target.version,
                "content_hash": target.content_hash, "state_digest": runtime.state_digest(wf)})
            _refresh_kept_tasks(s, instance, wf, now, log)
            _sync_tasks(ctx, s, instance, wf, now, log, actor, thrown)
            ctx.save_workflow(s, instance, wf, None)  # every task's spec may have changed
            s.flush()
            view = replace(view, allowed=True, open_tasks=_instance_view(s, instance).open_tasks)
    except StaleDataError:
        raise ConcurrentUpdate("the process instance changed meanwhile; retry") from None
    ctx.forget_workflow(instance_id)  # a cached workflow would belong to the old version
    return view


def migrate_version(ctx: EngineContext, actor: Actor, key: str, from_version: int,
                    to_version: int, dry_run: bool = False) -> list[MigrationView]:
    """Migrate every running or suspended instance of one version, each on its own."""
    _require_admin(actor)
    with ctx.db.read() as s:
        source = _definition(s, key, from_version)
        _definition(s, key, to_version)
        ids = list(s.scalars(select(ProcessInstance.id).where(
            ProcessInstance.definition_id == source.id,
            ProcessInstance.status.in_(("running", "suspended"))).order_by(ProcessInstance.id)))
    return [migrate_instance(ctx, actor, instance_id, to_version, dry_run) for instance_id in ids]


def _refresh_kept_tasks(s, instance: ProcessInstance, wf, now, log: event_log.EventLog) -> None:
    """Open tasks that survive a migration take their element id, name, form and role from
    the new version; a claim on a task whose role changed is released."""
    ready = {str(t.id): t for t in runtime.ready_user_tasks(wf)}
    for row in s.scalars(select(Task).where(Task.process_instance_id == instance.id,
                                            Task.state.in_(OPEN_STATES))):
        spiff_task = ready.get(row.id)
        if spiff_task is None:
            continue  # _sync_tasks cancels it
        meta = instance.definition.user_tasks[user_task_key(spiff_task.task_spec)]
        role = resolve_role(meta["role_template"], spiff_task.data)
        changes = {k: v for k, v in (("element_id", meta["element_id"]), ("name", meta["name"]),
                                     ("form_key", meta["form_key"]), ("role", role))
                   if getattr(row, k) != v}
        if not changes:
            continue
        for attribute, value in changes.items():
            setattr(row, attribute, value)
        if "role" in changes and row.state == "claimed":
            row.state, row.assignee, row.claimed_at = "ready", None, None
        log.append(event_log.TASK_UPDATED, "system", now, element_id=row.element_id,
                   task_id=row.id, payload=changes)
