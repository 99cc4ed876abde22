"""What the engine still has to run itself, as an operator sees it, and where a version's
open work stands.

- A **failed step**: an instance waiting in `error` after a step the engine ran failed (a
  script, a condition, anything `run_guard` reports); an admin's retry runs it again. A
  service task whose worker failed with no retries left is not one: it is the external
  task's own incident (its row keeps retries 0, engine/usecases/external_tasks.py).
- A **timer**: the next timer an instance waits for (`next_timer_at`, one per instance,
  read without loading the workflow).
- **Statistics** of each version (its open instances, failed steps and incidents) and of
  one version per element (user tasks, service tasks waiting for workers, message and
  signal catches, failed steps).

Reads for auditors and admins, as the cockpit's overviews; a retry is the admin's.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from engine.errors import Conflict, InvalidInput, PendingStepNotFound
from engine.persistence import event_log, state_store
from engine.persistence.tables import (
    Event,
    EventSubscription,
    ExternalTask,
    ProcessDefinition,
    ProcessInstance,
    Task,
)
from engine.usecases import policy
from engine.usecases.administration import retry_instance
from engine.usecases.constraints import INT32_MAX
from engine.usecases.context import EngineContext
from engine.usecases.shared import OPEN_STATES, _definition
from engine.usecases.views import Actor
from engine.workflow import runtime

FAILED, TIMER = "failed", "timer"
# why an instance waits in error
FAILED_STEP, FAILED_EXTERNAL_TASK = "failed_step", "failed_external_task"
OPEN_INSTANCE = ("running", "suspended", "error")
TIMER_RETRIES = 3  # a timer has never failed: the retries a fresh job has


@dataclass(frozen=True)
class PendingStep:
    id: str  # `<instance id>:failed` or `<instance id>:timer`
    kind: str  # failed | timer
    process_instance_id: str
    definition: tuple[str, int, int]  # the version the instance runs: key, version, row id
    due_at: datetime | None  # a timer: when it fires
    failed_at: datetime | None  # a failed step: when it failed
    retries: int
    message: str | None  # a failed step: the instance's error
    element_id: str | None  # a failed step: the element that failed
    suspended: bool


@dataclass(frozen=True)
class OpenWork:
    """Open instances (running, suspended, in error), failed steps and incidents by cause
    (`failed_step`, `failed_external_task`): of a version, or of one element of it."""
    instances: int
    failed_steps: int
    incidents: dict[str, int] = field(default_factory=dict)
    definition: tuple[str, int, int] | None = None  # a version's
    element_id: str | None = None  # an element's


# ---------------------------------------------------------------- failed steps and timers

def list_pending_steps(ctx: EngineContext, actor: Actor,
                       process_instance_id: str | None = None) -> list[PendingStep]:
    """Failed steps, then timers, each oldest instance first."""
    policy.require_auditor(actor)
    with ctx.db.read() as s:
        return _pending(ctx, s, process_instance_id)


def retry_pending_step(ctx: EngineContext, actor: Actor, step_id: str, retries) -> None:
    """Retries for a failed step: any above 0 run it again now (the admin's retry of its
    instance); 0 leaves it failed. A timer has no retries to set (409)."""
    policy.require_admin(actor)
    if not isinstance(retries, int) or isinstance(retries, bool) \
            or not 0 <= retries <= INT32_MAX:
        raise InvalidInput("Invalid retries", {"retries": ["must be a whole number, 0 or "
                                                           "more"]})
    instance_id, _, kind = step_id.rpartition(":")
    with ctx.db.read() as s:
        found = [p for p in _pending(ctx, s, instance_id) if p.id == step_id]
    if not found:
        raise PendingStepNotFound(f"no job '{step_id}'")
    if kind == TIMER:
        raise Conflict("a timer has no retries: it fires at its due time")
    if retries > 0:
        retry_instance(ctx, actor, instance_id, reason=f"job given {retries} retries")


def _pending(ctx, s, instance_id: str | None) -> list[PendingStep]:
    query = (select(ProcessInstance, ProcessDefinition.key, ProcessDefinition.version)
             .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
             .order_by(ProcessInstance.started_at, ProcessInstance.id))
    if instance_id is not None:
        query = query.where(ProcessInstance.id == instance_id)
    failed = s.execute(query.where(ProcessInstance.status == "error")).all()
    steps = []
    for instance, key, version in failed:
        cause, elements = _cause(ctx, s, instance)
        if cause != FAILED_STEP:
            continue
        steps.append(PendingStep(
            f"{instance.id}:{FAILED}", FAILED, instance.id,
            (key, version, instance.definition_id), None, _failed_at(s, instance.id), 0,
            instance.error, elements[0] if elements else None, False))
    timers = s.execute(query.where(ProcessInstance.status.in_(("running", "suspended")),
                                   ProcessInstance.next_timer_at.is_not(None))).all()
    steps += [PendingStep(f"{i.id}:{TIMER}", TIMER, i.id, (key, version, i.definition_id),
                          i.next_timer_at, None, TIMER_RETRIES, None, None,
                          i.status == "suspended") for i, key, version in timers]
    return steps


def _cause(ctx, s, instance: ProcessInstance) -> tuple[str, list[str]]:
    """Why an instance waits in error, and the elements that failed."""
    out_of_retries = sorted(s.scalars(select(ExternalTask.element_id).where(
        ExternalTask.process_instance_id == instance.id, ExternalTask.retries == 0)))
    if out_of_retries:
        return FAILED_EXTERNAL_TASK, out_of_retries
    wf, _ = state_store.load(s, instance, ctx.executable_of(s, instance.definition_id))
    return FAILED_STEP, runtime.failed_element_ids(wf)


def _failed_at(s, instance_id: str) -> datetime | None:
    return s.scalar(select(func.max(Event.occurred_at)).where(
        Event.process_instance_id == instance_id, Event.type == event_log.INSTANCE_ERROR))


# ---------------------------------------------------------------- statistics

def version_statistics(ctx: EngineContext, actor: Actor) -> list[OpenWork]:
    """Every version (ordered by key and version) with its open instances, failed steps
    and incidents."""
    policy.require_auditor(actor)
    with ctx.db.read() as s:
        versions = s.execute(select(ProcessDefinition.id, ProcessDefinition.key,
                                    ProcessDefinition.version)
                             .order_by(ProcessDefinition.key, ProcessDefinition.version)).all()
        counts = dict(s.execute(select(ProcessInstance.definition_id, func.count())
                                .where(ProcessInstance.status.in_(OPEN_INSTANCE))
                                .group_by(ProcessInstance.definition_id)).all())
        incidents: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for instance in s.scalars(select(ProcessInstance)
                                  .where(ProcessInstance.status == "error")):
            incidents[instance.definition_id][_cause(ctx, s, instance)[0]] += 1
        return [OpenWork(counts.get(row_id, 0), incidents[row_id].get(FAILED_STEP, 0),
                         dict(incidents[row_id]), definition=(key, version, row_id))
                for row_id, key, version in versions]


def element_statistics(ctx: EngineContext, actor: Actor, definition_key: str,
                       version: int) -> list[OpenWork]:
    """Per element of one version (ordered by element id), its open work: user tasks,
    service tasks waiting for workers, message and signal catches (at their catch event)
    and failed steps; `instances` counts them."""
    policy.require_auditor(actor)
    with ctx.db.read() as s:
        definition = _definition(s, definition_key, version)
        of_version = (ProcessInstance.definition_id == definition.id,
                      ProcessInstance.status.in_(OPEN_INSTANCE))
        waiting: dict[str, int] = defaultdict(int)
        for column, table, extra in (
                (Task.element_id, Task, Task.state.in_(OPEN_STATES)),
                (ExternalTask.element_id, ExternalTask,
                 func.coalesce(ExternalTask.retries, 1) != 0),
                (EventSubscription.element_id, EventSubscription, None)):
            query = (select(column, func.count()).join(
                ProcessInstance, ProcessInstance.id == table.process_instance_id)
                .where(*of_version).group_by(column))
            if extra is not None:
                query = query.where(extra)
            for element_id, n in s.execute(query):
                waiting[element_id] += n
        failed: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for instance in s.scalars(select(ProcessInstance).where(
                ProcessInstance.definition_id == definition.id,
                ProcessInstance.status == "error")):
            cause, elements = _cause(ctx, s, instance)
            for element_id in elements:
                failed[element_id][cause] += 1
    return [OpenWork(waiting.get(e, 0) + sum(failed[e].values()),
                     failed[e].get(FAILED_STEP, 0), dict(failed[e]), element_id=e)
            for e in sorted(set(waiting) | set(failed))]
