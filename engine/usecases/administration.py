"""The admin's operations on instances: suspend, resume, terminate, retry, and
migration to another version of the process."""
from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from engine.errors import InstanceNotRunning, InvalidInput
from engine.persistence import event_log
from engine.persistence.tables import ProcessDefinition, ProcessInstance, Task
from engine.usecases import policy
from engine.usecases.context import EngineContext
from engine.usecases.shared import (
    OPEN_STATES,
    _check_json_data,
    _definition,
    _instance_view,
)
from engine.usecases.transaction import InstanceCommand, change_instance, set_task_queues
from engine.usecases.views import Actor, InstanceView, MigrationView
from engine.workflow import runtime, version_move
from engine.workflow.model import resolve_role, user_task_key

# ---------------------------------------------------------------- instance administration

def suspend_instance(ctx: EngineContext, actor: Actor, instance_id: str,
                     reason: str | None = None) -> InstanceView:
    """Hold a running instance: its tasks stay queued but cannot be claimed or completed."""
    return _change_status(ctx, _StatusChange(
        actor, ("running",), "suspended", event_log.INSTANCE_SUSPENDED,
        payload=_reason(reason)), instance_id)


def resume_instance(ctx: EngineContext, actor: Actor, instance_id: str,
                    reason: str | None = None) -> InstanceView:
    return _change_status(ctx, _StatusChange(
        actor, ("suspended",), "running", event_log.INSTANCE_RESUMED,
        payload=_reason(reason)), instance_id)


def terminate_instance(ctx: EngineContext, actor: Actor, instance_id: str,
                       reason: str | None = None) -> InstanceView:
    """End an instance for good; its open tasks are cancelled."""
    return _change_status(ctx, _StatusChange(
        actor, ("running", "suspended", "error"), "terminated", event_log.INSTANCE_TERMINATED,
        lambda wf, now, thrown: runtime.cancel(wf), {"reason": reason}), instance_id)


def retry_instance(ctx: EngineContext, actor: Actor, instance_id: str,
                   data: dict | None = None, reason: str | None = None) -> InstanceView:
    """Run the failed step of an instance in `error` again, after a fix: `data` (optional)
    corrects the variables the failed step reads."""
    data = data or {}
    if not isinstance(data, dict):
        raise InvalidInput("data must be an object", {"data": ["must be an object"]})
    _check_json_data(data)
    return _change_status(ctx, _StatusChange(
        actor, ("error",), "running", event_log.INSTANCE_RETRIED,
        lambda wf, now, thrown: runtime.retry_failed_tasks(wf, data, now, thrown),
        {"data": data, **_reason(reason)}), instance_id)


def _reason(reason: str | None) -> dict:
    """The admin's reason, kept in the event (only when given: older events have none)."""
    return {"reason": reason} if reason else {}


def _change_status(ctx: EngineContext, command: "_StatusChange", instance_id: str):
    policy.require_admin(command.actor)
    return change_instance(ctx, command, instance_id)


class _StatusChange(InstanceCommand):
    """An admin's change of an instance's status, recorded with the status before and
    after; `step` (if any) changes the workflow on the way (cancel it, rerun a failed
    step)."""

    def __init__(self, actor, allowed_from, to_status, event_type, step=None, payload=None):
        self.actor, self.allowed_from, self.to_status = actor, allowed_from, to_status
        self.event_type, self.step, self.payload = event_type, step, payload or {}
        self.name = event_type  # instance_suspended, instance_retried, ...
        self.loads_workflow = step is not None

    def check(self, s, instance):
        if instance.status not in self.allowed_from:
            raise InstanceNotRunning(f"the process instance is {instance.status}; this needs "
                                     f"{' or '.join(self.allowed_from)}")

    def act(self, wf, now, thrown):
        self.step(wf, now, thrown)

    def record(self, s, instance, log, now, wf):
        before = instance.status
        instance.status = self.to_status
        if self.to_status != "error":
            instance.error = None
        if self.to_status == "terminated":
            instance.ended_at = now
        payload = {**self.payload, "status_before": before, "status_after": self.to_status}
        if wf is not None:
            payload["state_digest"] = runtime.state_digest(wf)
        log.append(self.event_type, self.actor.username, now, payload=payload)

    def result(self, s, instance, new_tasks):
        return _instance_view(s, instance)


# ---------------------------------------------------------------- moves between versions

def migrate_instance(ctx: EngineContext, actor: Actor, instance_id: str, to_version: int,
                     dry_run: bool = False) -> MigrationView:
    """Move a running (or suspended) instance to another version of its process when its
    position exists there; refused with the reasons otherwise. A dry run stores nothing."""
    policy.require_admin(actor)
    return change_instance(ctx, _VersionMove(ctx, actor, to_version, dry_run), instance_id)


class _VersionMove(InstanceCommand):
    name = "migrate_instance"
    reuses_state_rows = False  # every task's spec may change

    def __init__(self, ctx, actor, to_version, dry_run):
        self.ctx, self.actor, self.to_version, self.dry_run = ctx, actor, to_version, dry_run
        self.outcome = None

    def check(self, s, instance):
        if instance.status not in ("running", "suspended"):
            raise InstanceNotRunning(f"the process instance is {instance.status}")

    def prepare(self, s, instance):
        source = instance.definition
        self.target = _definition(s, source.key, self.to_version)
        self.view = MigrationView(process_instance_id=instance.id, from_version=source.version,
                                  to_version=self.target.version, allowed=False, reasons=[],
                                  dry_run=self.dry_run)
        self.same = self.target.id == source.id
        self.target_executable = self.ctx.executable(self.target)

    def act(self, wf, now, thrown):
        if self.same:
            return None
        self.outcome = version_move.migrate(wf, self.target_executable)
        if not self.outcome.allowed or self.dry_run:
            return None
        moved = self.outcome.workflow
        runtime.run_to_wait_states(moved, now, thrown)
        return moved

    def writes(self):
        return not self.same and self.outcome.allowed and not self.dry_run

    def record(self, s, instance, log, now, wf):
        source = instance.definition
        target = s.get(ProcessDefinition, self.target.id)
        instance.definition_id, instance.definition = target.id, target
        log.append(event_log.INSTANCE_MIGRATED, self.actor.username, now, payload={
            "from_version": source.version, "to_version": target.version,
            "content_hash": target.content_hash, "state_digest": runtime.state_digest(wf)})
        _refresh_kept_tasks(s, instance, wf, now, log)

    def result(self, s, instance, new_tasks):
        if self.same:
            return replace(self.view, reasons=["the instance runs this version already"])
        if instance is None:
            return replace(self.view, allowed=self.outcome.allowed, reasons=self.outcome.reasons)
        return replace(self.view, allowed=True, open_tasks=_instance_view(s, instance).open_tasks)


def migrate_version(ctx: EngineContext, actor: Actor, key: str, from_version: int,
                    to_version: int, dry_run: bool = False) -> list[MigrationView]:
    """Migrate every running or suspended instance of one version, each on its own."""
    policy.require_admin(actor)
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
            continue  # sync_tasks cancels it
        meta = instance.definition.user_tasks[user_task_key(spiff_task.task_spec)]
        role = resolve_role(meta["role_template"], spiff_task.data)
        changes = {k: v for k, v in (("element_id", meta["element_id"]), ("name", meta["name"]),
                                     ("form_key", meta["form_key"]), ("role", role))
                   if getattr(row, k) != v}
        if not changes:
            continue
        for attribute, value in changes.items():
            setattr(row, attribute, value)
        if "role" in changes:
            set_task_queues(s, row.id, role)
        if "role" in changes and row.state == "claimed":
            row.state, row.assignee, row.claimed_at = "ready", None, None
        log.append(event_log.TASK_UPDATED, "system", now, element_id=row.element_id,
                   task_id=row.id, payload=changes)
