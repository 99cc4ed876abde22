"""Settings from the environment (`LKJ_*`), read once per process.

A value that cannot be used raises `InvalidSettings` naming the variable and what it takes
(`lkj` prints it and exits with status 1); an empty variable means its default.
"""
from __future__ import annotations

import math
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import argon2

from engine.errors import EngineError


class InvalidSettings(EngineError, ValueError):
    title = "Invalid settings"


def _number(env, name: str, default, kind=int):
    """The variable as a whole (`int`) or finite (`float`) number; unset or empty: default.
    Ranges are checked in `Settings.__post_init__`, whatever the values came from."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        value = None
    if value is None or not math.isfinite(value):
        what = "a whole number" if kind is int else "a number"
        raise InvalidSettings(f"{name} must be {what}, not {raw!r}")
    return value


def _flag(env, name: str) -> bool:
    return env.get(name, "").lower() in ("1", "true", "yes")


def _default_secret(data_dir: Path) -> str:
    """A random signing secret kept beside the data, so tokens survive a restart."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


@dataclass(frozen=True)
class Settings:
    database_url: str
    data_dir: Path
    secret_key: str = field(repr=False)
    token_ttl_s: int = 8 * 3600
    max_document_bytes: int = 20 * 1024 * 1024
    timezone: str = "Asia/Jakarta"
    webhook_url: str | None = None  # notifications are also POSTed here as JSON
    smtp_host: str | None = None  # no host: e-mail notifications wait in the outbox
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_starttls: bool = False
    mail_from: str = "lkj@localhost"

    calendar_dir: Path | None = None  # holidays and working hours; None: calendars/ of the source
    # Token checks answer from a per-process cache of active users for this long (0: off);
    # other processes see a user's change within this time (engine/security/user_cache.py).
    user_cache_ttl_s: float = 5.0
    # Argon2id cost of new password hashes; the defaults are argon2-cffi's, RFC 9106's
    # low-memory recommendation (64 MiB, 3 passes, 4 lanes). Stored hashes of other costs
    # still verify and are rehashed at the next sign-in.
    argon2_memory_kib: int = argon2.DEFAULT_MEMORY_COST
    argon2_time_cost: int = argon2.DEFAULT_TIME_COST
    argon2_parallelism: int = argon2.DEFAULT_PARALLELISM
    # Password hashes and checks running at once in a process; the others wait. A burst of
    # sign-ins holds at most this many times argon2_memory_kib.
    password_concurrency: int = 2

    # Scripts, conditions and expressions of diagrams run in jail processes
    # (engine/workflow/jail.py): the wall time of one evaluation (the jail worker is killed
    # past it; CPU time is capped 1-2 s above it rounded up), the address space of
    # each jail worker, the jail workers per server process, and the data one evaluation may
    # send to the jail or give back.
    script_time_limit_s: float = 2.0
    script_memory_mib: int = 512
    script_workers: int = 2
    script_max_data_bytes: int = 8 * 1024 * 1024

    # Compare the written state rows with a full serialization after every save (slow; the
    # tests run with it on).
    check_state_writes: bool = False

    def __post_init__(self):
        if not math.isfinite(self.user_cache_ttl_s) or self.user_cache_ttl_s < 0:
            raise InvalidSettings("LKJ_USER_CACHE_TTL_S must be 0 or more seconds, "
                                  f"not {self.user_cache_ttl_s}")
        for name, value, minimum in (
                ("LKJ_ARGON2_TIME_COST", self.argon2_time_cost, 1),
                ("LKJ_ARGON2_PARALLELISM", self.argon2_parallelism, 1),
                ("LKJ_PASSWORD_CONCURRENCY", self.password_concurrency, 1)):
            if value < minimum:
                raise InvalidSettings(f"{name} must be at least {minimum}, not {value}")
        if self.argon2_parallelism >= 2 ** 24:
            raise InvalidSettings("LKJ_ARGON2_PARALLELISM must be below 2^24, "
                                  f"not {self.argon2_parallelism}")
        if not (math.isfinite(self.script_time_limit_s)
                and 0 < self.script_time_limit_s <= 3600):
            raise InvalidSettings("LKJ_SCRIPT_TIME_LIMIT_S must be more than 0 and at most "
                                  f"3600 seconds, not {self.script_time_limit_s}")
        for name, value, low, high in (
                ("LKJ_SCRIPT_MEMORY_MIB", self.script_memory_mib, 64, 1024 * 1024),
                ("LKJ_SCRIPT_WORKERS", self.script_workers, 1, 64),
                ("LKJ_SCRIPT_MAX_DATA_BYTES", self.script_max_data_bytes, 1024, 2 ** 31)):
            if not low <= value <= high:
                raise InvalidSettings(f"{name} must be between {low} and {high}, not {value}")
        if not 8 * self.argon2_parallelism <= self.argon2_memory_kib < 2 ** 32:
            raise InvalidSettings(
                "LKJ_ARGON2_MEMORY_KIB must be at least 8 KiB per lane (8 × "
                f"LKJ_ARGON2_PARALLELISM = {8 * self.argon2_parallelism}) and below 2^32, "
                f"not {self.argon2_memory_kib}")

    @property
    def document_dir(self) -> Path:
        return self.data_dir / "documents"

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        env = os.environ
        data_dir = Path(overrides.pop("data_dir", None) or env.get("LKJ_DATA_DIR", "var")).resolve()
        database_url = overrides.pop("database_url", None) or env.get(
            "LKJ_DATABASE_URL", f"sqlite:///{data_dir / 'lkj.sqlite3'}")
        values = dict(
            database_url=database_url,
            data_dir=data_dir,
            secret_key=env.get("LKJ_SECRET_KEY") or _default_secret(data_dir),
            token_ttl_s=_number(env, "LKJ_TOKEN_TTL_S", 8 * 3600),
            max_document_bytes=_number(env, "LKJ_MAX_DOCUMENT_BYTES", 20 * 1024 * 1024),
            webhook_url=env.get("LKJ_WEBHOOK_URL") or None,
            smtp_host=env.get("LKJ_SMTP_HOST") or None,
            smtp_port=_number(env, "LKJ_SMTP_PORT", 25),
            smtp_user=env.get("LKJ_SMTP_USER") or None,
            smtp_password=env.get("LKJ_SMTP_PASSWORD") or None,
            smtp_starttls=_flag(env, "LKJ_SMTP_STARTTLS"),
            mail_from=env.get("LKJ_MAIL_FROM", "lkj@localhost"),
            calendar_dir=Path(env["LKJ_CALENDAR_DIR"]) if env.get("LKJ_CALENDAR_DIR") else None,
            check_state_writes=_flag(env, "LKJ_CHECK_STATE_WRITES"),
            user_cache_ttl_s=_number(env, "LKJ_USER_CACHE_TTL_S", 5.0, float),
            argon2_memory_kib=_number(env, "LKJ_ARGON2_MEMORY_KIB", argon2.DEFAULT_MEMORY_COST),
            argon2_time_cost=_number(env, "LKJ_ARGON2_TIME_COST", argon2.DEFAULT_TIME_COST),
            argon2_parallelism=_number(env, "LKJ_ARGON2_PARALLELISM",
                                       argon2.DEFAULT_PARALLELISM),
            password_concurrency=_number(env, "LKJ_PASSWORD_CONCURRENCY", 2),
            script_time_limit_s=_number(env, "LKJ_SCRIPT_TIME_LIMIT_S",
                                        cls.script_time_limit_s, float),
            script_memory_mib=_number(env, "LKJ_SCRIPT_MEMORY_MIB", cls.script_memory_mib),
            script_workers=_number(env, "LKJ_SCRIPT_WORKERS", cls.script_workers),
            script_max_data_bytes=_number(env, "LKJ_SCRIPT_MAX_DATA_BYTES",
                                          cls.script_max_data_bytes),
        )
        values.update(overrides)
        return cls(**values)
