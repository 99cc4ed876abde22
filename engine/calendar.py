"""Due dates from a task's due duration (ISO 8601)."""
from __future__ import annotations

from datetime import datetime

import isodate


def due_at(start: datetime, duration: str) -> datetime | None:
    """The due date of a task that became ready at `start`.

    Counts calendar time; the standard's working hours are not applied yet.
    """
    if not duration:
        return None
    return start + isodate.parse_duration(duration)
