"""A per-process cache of active users for token checks: user name -> the user as token
checks need it (its view and token generation), each entry kept for `LKJ_USER_CACHE_TTL_S`
seconds (default 5; 0 turns the cache off), so an authenticated request does not read the
user from the database every time.

How stale it may be: the commands that change a user (`usecases.update_user`: roles,
deactivation, password, name, e-mail; `usecases.change_own_password`; `restore_admin`)
forget the user here as soon as their transaction has committed, so the process that made
the change refuses the user's older tokens, and drops a removed role, at once. Other
processes (the other gunicorn workers, other servers) keep answering from their own cache
until the entry expires: there a password change, role change or deactivation takes effect
within `LKJ_USER_CACHE_TTL_S` seconds, counted from when the entry was read from the
database (so at most that long after the change). The same bound holds for a change written
to the database without the engine (SQL by hand). A token newer than the cached entry (issued
after a change another process made) makes the caller read the user again
(engine/usecases/signing_in.py).

Only active users are kept: an unknown or inactive name is read from the database on every
request. The token itself (signature, expiry) is checked on every request, never cached.
One cache per engine context (`ctx.users`): the tests run several contexts, on different
databases, in one process.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any, Callable

UserView = Any  # the use cases' record of a user (kept opaque here; has `active`)


MAX_ENTRIES = 4096


class UserCache:
    def __init__(self, ttl_s: float, max_entries: int = MAX_ENTRIES):
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, UserView]] = OrderedDict()
        self._lock = threading.Lock()
        # Bumped by every forget(): a read that began before a change does not store what
        # it read (it may be the row as it was before the commit).
        self._generation = 0

    def get(self, username: str, load: Callable[[str], UserView | None]) -> UserView | None:
        """The cached active user, or `load(username)` (stored when it is an active user)."""
        if self.ttl_s <= 0:
            return load(username)
        read_at = time.monotonic()
        with self._lock:
            entry = self._entries.get(username)
            if entry is not None and entry[0] > read_at:
                return entry[1]
            generation = self._generation
        user = load(username)
        with self._lock:
            if user is None or not user.active:
                self._entries.pop(username, None)
            elif self._generation == generation:
                self._entries[username] = (read_at + self.ttl_s, user)
                self._entries.move_to_end(username)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
        return user

    def forget(self, username: str | None = None) -> None:
        """Drop one user (None: every user); call it after the change has committed."""
        with self._lock:
            self._generation += 1
            if username is None:
                self._entries.clear()
            else:
                self._entries.pop(username, None)

    def __contains__(self, username: str) -> bool:
        """Whether a token check of this user would answer from the cache now."""
        with self._lock:
            entry = self._entries.get(username)
            return entry is not None and entry[0] > time.monotonic()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

