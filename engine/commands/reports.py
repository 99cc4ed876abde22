"""Reports: the SLA report of section L."""
from __future__ import annotations

from datetime import datetime

from engine import sla
from engine.context import EngineContext
from engine.errors import Forbidden, InvalidInput
from engine.views import Actor

# ---------------------------------------------------------------- evaluation (section L)

SLA_READERS = frozenset({"auditor", "admin", "kepala_biro"})


def sla_report(ctx: EngineContext, actor: Actor, period_start: datetime, period_end: datetime,
               definition_key: str | None = None) -> sla.SlaReport:
    """Each step's actual working-time duration against its limit, per role, for a period."""
    if not actor.roles & SLA_READERS:
        raise Forbidden("this needs the role 'auditor', 'admin' or 'kepala_biro'")
    errors = {}
    for name, value in (("from", period_start), ("to", period_end)):
        if value is None or value.tzinfo is None:
            errors[name] = ["needs a date and time with a time zone offset"]
    if not errors and not period_start < period_end:
        errors["to"] = ["must be after 'from'"]
    if errors:
        raise InvalidInput("Invalid report period", errors)
    with ctx.db.read() as s:
        return sla.sla_report(s, ctx.calendar, period_start, period_end, definition_key)
