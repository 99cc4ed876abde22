"""The engine's notion of now. Tests and the worker can set it; everything else asks it."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone


class Clock:
    def __init__(self, fixed: datetime | None = None):
        self._fixed = fixed
        self._ticking_since: float | None = None

    def now(self) -> datetime:
        if self._fixed is None:
            return datetime.now(timezone.utc)
        if self._ticking_since is None:
            return self._fixed
        return self._fixed + timedelta(seconds=time.monotonic() - self._ticking_since)

    def set(self, when: datetime | None, ticking: bool = False) -> None:
        """Freeze time at `when` (timezone-aware), or let it run on from `when` with
        `ticking`, or release it with None."""
        if when is not None and when.tzinfo is None:
            raise ValueError("the clock needs a timezone-aware datetime")
        self._fixed = when
        self._ticking_since = time.monotonic() if ticking else None
