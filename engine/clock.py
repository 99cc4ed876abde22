"""The engine's notion of now. Tests and the worker can set it; everything else asks it."""
from __future__ import annotations

from datetime import datetime, timezone


class Clock:
    def __init__(self, fixed: datetime | None = None):
        self._fixed = fixed

    def now(self) -> datetime:
        return self._fixed or datetime.now(timezone.utc)

    def set(self, when: datetime | None) -> None:
        """Freeze time at `when` (timezone-aware), or release it with None."""
        if when is not None and when.tzinfo is None:
            raise ValueError("the clock needs a timezone-aware datetime")
        self._fixed = when
