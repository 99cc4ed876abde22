"""Timers, for the background workers: lease the due instances, fire their timers."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select, update

from engine.persistence import event_log
from engine.persistence.tables import ProcessInstance
from engine.usecases.context import EngineContext
from engine.usecases.transaction import InstanceCommand, change_instance
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
    Does nothing if the lease went to another worker meanwhile; releases the lease when
    nothing is due any more."""
    try:
        return change_instance(ctx, _TimerFiring(owner, ctx.clock.now()), instance_id)
    except _NothingDue:
        with ctx.db.write() as s:  # a lease is not a change of state: the version stays
            s.execute(update(ProcessInstance).where(ProcessInstance.id == instance_id,
                                                    ProcessInstance.timer_lease_owner == owner)
                      .values(timer_lease_owner=None, timer_lease_until=None)
                      .execution_options(synchronize_session=False))
        return []


class _NothingDue(Exception):
    """The lease is another worker's, or no timer of the instance is due any more."""


class _TimerFiring(InstanceCommand):
    name = "fire_timers"
    actor = SYSTEM

    def __init__(self, owner: str, now):
        self.owner, self.now = owner, now

    def check(self, s, instance):
        if instance.timer_lease_owner != self.owner or instance.status != "running" \
                or instance.next_timer_at is None or instance.next_timer_at > self.now:
            raise _NothingDue

    def act(self, wf, now, thrown):
        self.fired = sorted(runtime.due_timer_ids(wf, now).values())
        runtime.run_to_wait_states(wf, now, thrown)

    def record(self, s, instance, log, now, wf):
        instance.timer_lease_owner, instance.timer_lease_until = None, None
        log.append(event_log.TIMERS_FIRED, "system", now, payload={
            "elements": self.fired, "state_digest": runtime.state_digest(wf)})

    def result(self, s, instance, new_tasks):
        return self.fired
