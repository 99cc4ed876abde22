"""The working calendar that due dates count in: the committed files plus the admin's
changes (holidays added, holidays moved)."""
from datetime import date

from flask import Blueprint, jsonify

from api.auth import authenticated
from api.extension import engine_context
from api.openapi import operation
from api.parsing import json_body
from api.schemas import CalendarDayChangeSchema, CalendarSchema, shared
from engine import usecases
from engine.errors import InvalidInput

bp = Blueprint("calendar", __name__, url_prefix="/api/v1")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput("The day must be a date like 2026-03-19",
                           {"date": ["not a date (YYYY-MM-DD)"]}) from None


@bp.get("/calendar/<int:year>")
@operation("The working calendar of a year", response=CalendarSchema, errors=(422,))
@authenticated
def calendar_year(actor, year):
    return jsonify(shared(CalendarSchema).dump(usecases.calendar_year(engine_context(), year)))


@bp.put("/calendar/days/<day>")
@operation("Close a day or open a file's holiday again (admin)", body=CalendarDayChangeSchema,
           response=CalendarSchema, errors=(403, 422))
@authenticated
def set_calendar_day(actor, day):
    fields = json_body(shared(CalendarDayChangeSchema))
    result = usecases.set_calendar_day(engine_context(), actor, _day(day), **fields)
    return jsonify(shared(CalendarSchema).dump(result))


@bp.delete("/calendar/days/<day>")
@operation("Drop the admin's change of a day (admin)", response=CalendarSchema,
           errors=(403, 404, 422))
@authenticated
def reset_calendar_day(actor, day):
    result = usecases.reset_calendar_day(engine_context(), actor, _day(day))
    return jsonify(shared(CalendarSchema).dump(result))
