"""Password hashing (Argon2id, via argon2-cffi) at the cost the settings choose, and a bound
on how many hashes run at once.

Cost: `LKJ_ARGON2_MEMORY_KIB`, `LKJ_ARGON2_TIME_COST`, `LKJ_ARGON2_PARALLELISM`; the
defaults are argon2-cffi's, RFC 9106's low-memory recommendation (64 MiB, 3 passes, 4
lanes). A stored hash carries its own parameters: it verifies whatever they are, and
`needs_rehash` is true when they differ from the settings' (lower or higher), so the next
sign-in stores a hash at the configured cost.

Memory: every hash or check holds `memory_kib` while it runs. At most
`LKJ_PASSWORD_CONCURRENCY` (default 2) run at once in a process; the others wait their turn,
so a burst of sign-ins costs at most that many times `memory_kib` instead of one per thread.
The bound is per process and per parameter set (one `Passwords` per distinct settings values,
which is one per process outside the tests).

Checking a password of nobody (`verify_password(settings, None, ...)`) compares it with a
hash of a random password at the configured cost, made once per process: a sign-in of an
unknown user name costs what one of a known name costs, so the answer time does not tell
which names exist.
"""
from __future__ import annotations

import functools
import secrets
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from engine.settings import Settings


class Passwords:
    """Hashes and checks passwords with `hasher`, at most `concurrency` at a time."""

    def __init__(self, hasher: PasswordHasher, concurrency: int):
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.hasher = hasher
        self.concurrency = concurrency
        self._slots = threading.BoundedSemaphore(concurrency)

    def hash(self, password: str) -> str:
        with self._slots:
            return self.hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        with self._slots:
            try:
                return self.hasher.verify(password_hash, password)
            except (VerificationError, InvalidHashError):
                return False

    @functools.cached_property
    def dummy_hash(self) -> str:
        """A hash at this cost of a password nobody knows (made on first use)."""
        return self.hash(secrets.token_urlsafe(24))

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with other parameters than this hasher's (cheap: it
        only reads the hash's header)."""
        try:
            return self.hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True


@functools.lru_cache(maxsize=None)
def _passwords(memory_kib: int, time_cost: int, parallelism: int,
               concurrency: int) -> Passwords:
    return Passwords(PasswordHasher(memory_cost=memory_kib, time_cost=time_cost,
                                    parallelism=parallelism), concurrency)


def passwords(settings: Settings) -> Passwords:
    """This process's hasher for the settings' cost and concurrency."""
    return _passwords(settings.argon2_memory_kib, settings.argon2_time_cost,
                      settings.argon2_parallelism, settings.password_concurrency)


def hash_password(settings: Settings, password: str) -> str:
    return passwords(settings).hash(password)


def verify_password(settings: Settings, password_hash: str | None, password: str) -> bool:
    """Whether the password is the hash's; with no hash (no such user), False after the
    same work as a real check."""
    hasher = passwords(settings)
    if password_hash is None:
        hasher.verify(hasher.dummy_hash, password)
        return False
    return hasher.verify(password_hash, password)


def needs_rehash(settings: Settings, password_hash: str) -> bool:
    return passwords(settings).needs_rehash(password_hash)
