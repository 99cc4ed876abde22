"""Basic credentials already checked, for clients that send a password with every call
(Camunda 7 clients and workers speaking HTTP Basic): without it each call would pay a full
Argon2 check.

An entry maps an HMAC of the user name and password, keyed by the engine's secret (the cache
holds nothing a guess could be checked against without the key), to the user's token
generation when the password last matched, for `LKJ_BASIC_AUTH_CACHE_TTL_S` seconds (default
60; 0: every call runs the Argon2 check). Changing a user's password or roles, or
deactivating it, bumps the generation, so an entry of an older generation is never used:
in the process that made the change at once, in others within `LKJ_USER_CACHE_TTL_S`
(engine/security/user_cache.py). A wrong password never reaches the cache: it goes through
the sign-in and its throttle every time; and while the throttle refuses the name or the
address, a remembered password is refused too (engine/usecases/signing_in.py).
"""
from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import OrderedDict

MAX_ENTRIES = 1024


class CredentialCache:
    def __init__(self, secret: str, ttl_s: float, max_entries: int = MAX_ENTRIES):
        self._secret = secret.encode("utf-8")
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._entries: OrderedDict[bytes, tuple[float, int]] = OrderedDict()
        self._lock = threading.Lock()

    def key(self, username: str, password: str) -> bytes:
        message = username.encode("utf-8") + b"\0" + password.encode("utf-8")
        return hmac.new(self._secret, message, hashlib.sha256).digest()

    def generation(self, key: bytes) -> int | None:
        """The token generation these credentials matched at, while the entry lasts."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= time.monotonic():
                del self._entries[key]
                return None
            return entry[1]

    def remember(self, key: bytes, generation: int) -> None:
        if self.ttl_s <= 0:
            return
        with self._lock:
            self._entries[key] = (time.monotonic() + self.ttl_s, generation)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
