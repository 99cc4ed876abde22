"""Timer start events: the latest version of a process whose start event is a timer gets
instances on schedule, started by the background workers.

`schedule_start_timers` keeps one `start_timer` row per process and timer start event of
its latest version (a new version restarts the schedule from its deployment's next round).
`start_due_timers` starts an instance for each due row: the workflow runs outside any
transaction, then the write transaction advances the row on the condition that it still
holds the due time read; only one starter (one worker, one thread) can meet that
condition, the others store nothing. So each due time starts one instance, however many
workers run. Due times missed while no worker ran are skipped: one start stands for them.
"""
from __future__ import annotations

import logging

from sqlalchemy import delete, select, update

from engine.persistence.tables import ProcessDefinition, StartTimer
from engine.usecases.bpmn_events import _latest_definitions
from engine.usecases.context import EngineContext
from engine.usecases.instances import Trigger, begin_instance
from engine.usecases.views import SYSTEM
from engine.workflow import events

log = logging.getLogger("lkj.start_timers")


def schedule_start_timers(ctx: EngineContext) -> int:
    """Bring the schedule in line with the latest versions; returns the rows written."""
    now = ctx.clock.now()
    with ctx.db.read() as s:
        wanted = {}
        for definition in s.scalars(_latest_definitions()):
            for start in events.start_events(ctx.executable(definition).spec):
                if start.kind == "timer":
                    wanted[(definition.key, start.element_id)] = (definition.id, start.timer)
        rows = {(r.definition_key, r.element_id): r.definition_id
                for r in s.scalars(select(StartTimer))}
    fresh = {}
    for key, (definition_id, timer) in wanted.items():
        if rows.get(key) == definition_id:
            continue
        try:  # the expression runs in the jail: outside the transaction
            fresh[key] = (definition_id, events.start_schedule(timer, now))
        except Exception as exc:  # a diagram's mistake: said, and the others go on
            log.error("timer start event %s of '%s' has no schedule: %s", key[1], key[0], exc)
    gone = set(rows) - set(wanted)
    if not fresh and not gone:
        return 0
    with ctx.db.write() as s:
        for key_, element in gone:
            s.execute(delete(StartTimer).where(StartTimer.definition_key == key_,
                                               StartTimer.element_id == element))
        for (key_, element), (definition_id, schedule) in fresh.items():
            row = s.get(StartTimer, (key_, element)) or StartTimer(
                definition_key=key_, element_id=element, started=0)
            row.definition_id, row.due_at = definition_id, schedule.due_at
            row.interval_s, row.repeats_left = schedule.interval_s, schedule.repeats_left
            s.add(row)
    return len(fresh) + len(gone)


def start_due_timers(ctx: EngineContext, limit: int = 20) -> list[str]:
    """Start an instance for each timer start event that is due; returns their ids."""
    now = ctx.clock.now()
    with ctx.db.read() as s:
        due = list(s.execute(select(
            StartTimer.definition_key, StartTimer.element_id, StartTimer.definition_id,
            StartTimer.due_at, StartTimer.interval_s, StartTimer.repeats_left)
            .where(StartTimer.due_at <= now).order_by(StartTimer.due_at).limit(limit)))
    started = []
    for key, element, definition_id, due_at, interval_s, repeats_left in due:
        schedule = events.StartSchedule(due_at, interval_s, repeats_left)
        following = events.next_start(schedule, due_at, now)

        def claim(s, key=key, element=element, definition_id=definition_id, due_at=due_at,
                  following=following):
            moved = s.execute(update(StartTimer).where(
                StartTimer.definition_key == key, StartTimer.element_id == element,
                StartTimer.definition_id == definition_id, StartTimer.due_at == due_at)
                .values(due_at=following.due_at, repeats_left=following.repeats_left,
                        started=StartTimer.started + 1)
                .execution_options(synchronize_session=False))
            return moved.rowcount == 1
        with ctx.db.read() as s:
            executable = ctx.executable(s.get(ProcessDefinition, definition_id))
        try:
            view = begin_instance(ctx, SYSTEM, definition_id, executable, {},
                                  trigger=Trigger("timer", element), claim=claim)
        except Exception:
            log.exception("the timer start event %s of '%s' failed to start an instance; "
                          "its next due time stands", element, key)
            with ctx.db.write() as s:  # not every round again: the diagram must change
                claim(s)
            continue
        if view is not None:
            started.append(view.id)
    return started
