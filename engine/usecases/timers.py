"""Timers, for the background workers: lease the due instances, fire their timers."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm.exc import StaleDataError

from engine.errors import ConcurrentUpdate
from engine.persistence import event_log
from engine.persistence.tables import ProcessInstance
from engine.usecases.context import EngineContext
from engine.usecases.shared import _lock_instance, _sync_tasks, _Thrown
from engine.usecases.views import SYSTEM
from engine.workflow import runtime

# ---------------------------------------------------------------- timers (workers)

def lease_due_timers(ctx: EngineContext, owner: str, limit: int = 20,
                     lease_s: int = 60) -> list[str]:
    """Lease running instances whose next timer is due to this worker until `lease_s` from
    now. Several workers skip each other's rows; an expired lease (a dead worker) is taken
    over."""
    now = ctx.clock.now()
    with ctx.db.write() as s:
        query = (select(ProcessInstance.id).where(
            ProcessInstance.status == "running", ProcessInstance.next_timer_at <= now,
            or_(ProcessInstance.timer_lease_until.is_(None),
                ProcessInstance.timer_lease_until < now))
            .order_by(ProcessInstance.next_timer_at).limit(limit))
        if ctx.db.dialect != "sqlite":
            query = query.with_for_update(skip_locked=True)
        ids = list(s.scalars(query))
        if ids:  # a lease is not a change of state: the version stays
            s.execute(update(ProcessInstance).where(ProcessInstance.id.in_(ids))
                      .values(timer_lease_owner=owner,
                              timer_lease_until=now + timedelta(seconds=lease_s))
                      .execution_options(synchronize_session=False))
        return ids


def fire_timers(ctx: EngineContext, instance_id: str, owner: str) -> list[str]:
    """Fire the due timers of a leased instance; returns the timer elements that fired.
    Does nothing if the lease went to another worker meanwhile."""
    try:
        with ctx.db.write() as s:
            instance = _lock_instance(ctx, s, instance_id)
            if instance.timer_lease_owner != owner:
                return []
            now = ctx.clock.now()
            instance.timer_lease_owner, instance.timer_lease_until = None, None
            if instance.status != "running" or instance.next_timer_at is None \
                    or instance.next_timer_at > now:
                return []
            wf, stored = ctx.take_workflow(s, instance)
            waiting = runtime.waiting_timer_ids(wf)
            thrown, error = _Thrown(), None
            try:
                runtime.run_to_wait_states(wf, now, thrown)
            except runtime.RUN_ERRORS as exc:
                error = str(exc)
            still = runtime.waiting_timer_ids(wf)
            fired = sorted(element for task_id, element in waiting.items() if task_id not in still)
            log = event_log.EventLog(s, instance.id)
            log.append(event_log.TIMERS_FIRED, "system", now, payload={
                "elements": fired, "state_digest": runtime.state_digest(wf)})
            if error is not None:
                instance.status, instance.error = "error", error
                log.append(event_log.INSTANCE_ERROR, "system", now, payload={"message": error})
            _sync_tasks(ctx, s, instance, wf, now, log, SYSTEM, thrown)
            stored = ctx.save_workflow(s, instance, wf, stored)
            s.flush()
            version = instance.version
    except StaleDataError:
        raise ConcurrentUpdate("the process instance changed meanwhile; retry") from None
    ctx.keep_workflow(instance_id, version, wf, stored)
    return fired
