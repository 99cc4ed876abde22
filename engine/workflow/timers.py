"""BPMN timers on the engine's clock.

SpiffWorkflow's timer events read `datetime.now(timezone.utc)` from their own module. The
engine runs every step at the time of the command that runs it (the worker's clock when it
fires timers, the recorded time when history is replayed), so the timer module is given a
`datetime` whose now() is that time. Installed once, on import of the runtime.
"""
from __future__ import annotations

from datetime import datetime, timezone

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _timer_module

from engine.workflow.sandbox import current_time


class _EngineDatetime(datetime):
    @classmethod
    def now(cls, tz=None):
        moment = current_time()
        return moment.astimezone(tz) if tz else moment.replace(tzinfo=None)


def install() -> None:
    _timer_module.datetime = _EngineDatetime


def due_time(value) -> datetime | None:
    """The instant a waiting timer fires, from SpiffWorkflow's pending-event value."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
