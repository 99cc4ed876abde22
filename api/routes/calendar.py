"""The working calendar that due dates count in: the committed files plus the admin's
changes (holidays added, holidays moved)."""
from flask import Blueprint, jsonify

from api.auth import authenticated
from api.extension import engine_context
from api.openapi import operation
from api.parsing import json_body
from api.schemas import (
    CalendarDayChangeSchema,
    CalendarDayPath,
    CalendarSchema,
    CalendarYearPath,
    shared,
)
from engine import usecases

bp = Blueprint("calendar", __name__, url_prefix="/api/v1")


@bp.get("/calendar/<year>")
@operation("The working calendar of a year", path=CalendarYearPath, response=CalendarSchema)
@authenticated
def calendar_year(actor, year):
    return jsonify(shared(CalendarSchema).dump(usecases.calendar_year(engine_context(), year)))


@bp.put("/calendar/days/<date>")
@operation("Close a day or open a file's holiday again (admin)", path=CalendarDayPath,
           body=CalendarDayChangeSchema, response=CalendarSchema, errors=(403,))
@authenticated
def set_calendar_day(actor, date):
    fields = json_body(shared(CalendarDayChangeSchema))
    result = usecases.set_calendar_day(engine_context(), actor, date, **fields)
    return jsonify(shared(CalendarSchema).dump(result))


@bp.delete("/calendar/days/<date>")
@operation("Drop the admin's change of a day (admin)", path=CalendarDayPath,
           response=CalendarSchema, errors=(403, 404))
@authenticated
def reset_calendar_day(actor, date):
    result = usecases.reset_calendar_day(engine_context(), actor, date)
    return jsonify(shared(CalendarSchema).dump(result))
