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


# The procedure's folders (`bpmn`, `forms`, `calendars`) as the engine ships them: beside
# the package in a source checkout, inside it (package data, see pyproject.toml) when
# installed.
_SOURCE_ROOT = Path(__file__).resolve().parents[1]
_PACKAGED = Path(__file__).resolve().parent / "procedure"


def shipped_folder(name: str) -> Path:
    """The shipped `bpmn`, `forms` or `calendars` folder: the packaged copy when there is
    one (an installed engine), else the source tree's."""
    packaged = _PACKAGED / name
    return packaged if packaged.is_dir() else _SOURCE_ROOT / name


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


# HS256 wants a key at least as long as its 32-byte output (RFC 7518 section 3.2).
MIN_SECRET_BYTES = 32
SECRET_FILE = "secret_key"


def _default_secret(data_dir: Path) -> str:
    """The signing secret kept beside the data (so tokens survive a restart), created once.

    Several worker processes may start at once on a fresh folder: each writes a candidate key
    to its own temporary file (exclusive create, fsync) and hard-links it to the final name;
    the link fails when another process got there first, and every process then reads the
    one file that exists. The final name never shows a partly written key."""
    path = data_dir / SECRET_FILE
    key = _read_secret(path)
    if key is not None:
        return key
    data_dir.mkdir(parents=True, exist_ok=True)
    candidate = data_dir / f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(8)}"
    descriptor = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(48))
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(candidate, path)
        except FileExistsError:
            pass  # another process's key won; read it below
        except OSError as exc:
            raise InvalidSettings(f"cannot create the signing key {path} ({exc.strerror}); "
                                  "set LKJ_SECRET_KEY instead") from None
    finally:
        candidate.unlink(missing_ok=True)
    _sync_folder(data_dir)
    return _read_secret(path)


def _read_secret(path: Path) -> str | None:
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        return None
    if not key:
        raise InvalidSettings(f"the signing key file {path} is empty: delete it (a new key "
                              "is made at the next start) or set LKJ_SECRET_KEY")
    return key


def _sync_folder(folder: Path) -> None:
    """Make the new link itself durable (POSIX; a no-op where folders cannot be opened)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _secret_from_env(env, data_dir: Path) -> str:
    key = env.get("LKJ_SECRET_KEY") or ""
    if not key:
        return _default_secret(data_dir)
    if len(key.encode()) < MIN_SECRET_BYTES:
        raise InvalidSettings(f"LKJ_SECRET_KEY must be at least {MIN_SECRET_BYTES} bytes "
                              f"long, not {len(key.encode())} (tokens signed with a short "
                              "key can be forged); use e.g. the output of "
                              "`python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`")
    return key


@dataclass(frozen=True)
class Settings:
    database_url: str
    data_dir: Path
    secret_key: str = field(repr=False)
    token_ttl_s: int = 8 * 3600
    max_document_bytes: int = 20 * 1024 * 1024
    # Requests slower than this are logged at WARNING with their command's phases.
    slow_request_ms: float = 1000.0
    # /metrics wants `Authorization: Bearer <this>`; unset: only callers on this machine.
    metrics_token: str | None = field(default=None, repr=False)
    # What one instance may hold in documents (each upload is also in its history).
    max_documents_per_instance: int = 200
    max_instance_document_bytes: int = 1024 * 1024 * 1024
    timezone: str = "Asia/Jakarta"
    webhook_url: str | None = None  # notifications are also POSTed here as JSON
    smtp_host: str | None = None  # no host: e-mail notifications wait in the outbox
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_starttls: bool = False
    mail_from: str = "lkj@localhost"

    calendar_dir: Path | None = None  # holidays and working hours; None: calendars/ of the source
    # The categories of an indicator's achievement in the LKj (a JSON file shaped like
    # engine/report/achievement_scale.json); None: that default.
    achievement_scale: Path | None = None
    # Token checks answer from a per-process cache of active users for this long (0: off);
    # other processes see a user's change within this time (engine/security/user_cache.py).
    user_cache_ttl_s: float = 5.0
    # Basic credentials once checked are trusted this long (engine/security/credential_cache.py)
    basic_auth_cache_ttl_s: float = 60.0
    # Argon2id cost of new password hashes; the defaults are argon2-cffi's, RFC 9106's
    # low-memory recommendation (64 MiB, 3 passes, 4 lanes). Stored hashes of other costs
    # still verify and are rehashed at the next sign-in.
    argon2_memory_kib: int = argon2.DEFAULT_MEMORY_COST
    argon2_time_cost: int = argon2.DEFAULT_TIME_COST
    argon2_parallelism: int = argon2.DEFAULT_PARALLELISM
    # Password hashes and checks running at once in a process; the others wait. A burst of
    # sign-ins holds at most this many times argon2_memory_kib.
    password_concurrency: int = 2
    # Sign-in throttle (engine/usecases/signing_in.py): after this many failed sign-ins of one
    # user name, or from one client address, within the window, further attempts are refused
    # (429) until enough of those failures are older than the window.
    signin_max_failures: int = 10
    signin_max_failures_per_address: int = 100
    signin_window_s: int = 15 * 60

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
        if not math.isfinite(self.basic_auth_cache_ttl_s) or self.basic_auth_cache_ttl_s < 0:
            raise InvalidSettings("LKJ_BASIC_AUTH_CACHE_TTL_S must be 0 or more seconds, "
                                  f"not {self.basic_auth_cache_ttl_s}")
        for name, value, minimum in (
                ("LKJ_MAX_DOCUMENT_BYTES", self.max_document_bytes, 1),
                ("LKJ_MAX_DOCUMENTS_PER_INSTANCE", self.max_documents_per_instance, 1),
                ("LKJ_MAX_INSTANCE_DOCUMENT_BYTES", self.max_instance_document_bytes, 1),
                ("LKJ_ARGON2_TIME_COST", self.argon2_time_cost, 1),
                ("LKJ_ARGON2_PARALLELISM", self.argon2_parallelism, 1),
                ("LKJ_PASSWORD_CONCURRENCY", self.password_concurrency, 1),
                ("LKJ_SIGNIN_MAX_FAILURES", self.signin_max_failures, 1),
                ("LKJ_SIGNIN_MAX_FAILURES_PER_ADDRESS", self.signin_max_failures_per_address, 1),
                ("LKJ_SIGNIN_WINDOW_S", self.signin_window_s, 1)):
            if value < minimum:
                raise InvalidSettings(f"{name} must be at least {minimum}, not {value}")
        if self.achievement_scale is not None and not Path(self.achievement_scale).is_file():
            raise InvalidSettings(f"LKJ_ACHIEVEMENT_SCALE names no file: {self.achievement_scale}")
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
            secret_key=_secret_from_env(env, data_dir),
            token_ttl_s=_number(env, "LKJ_TOKEN_TTL_S", 8 * 3600),
            max_document_bytes=_number(env, "LKJ_MAX_DOCUMENT_BYTES", 20 * 1024 * 1024),
            slow_request_ms=_number(env, "LKJ_SLOW_REQUEST_MS", 1000.0, float),
            metrics_token=env.get("LKJ_METRICS_TOKEN") or None,
            max_documents_per_instance=_number(env, "LKJ_MAX_DOCUMENTS_PER_INSTANCE", 200),
            max_instance_document_bytes=_number(env, "LKJ_MAX_INSTANCE_DOCUMENT_BYTES",
                                                1024 * 1024 * 1024),
            webhook_url=env.get("LKJ_WEBHOOK_URL") or None,
            smtp_host=env.get("LKJ_SMTP_HOST") or None,
            smtp_port=_number(env, "LKJ_SMTP_PORT", 25),
            smtp_user=env.get("LKJ_SMTP_USER") or None,
            smtp_password=env.get("LKJ_SMTP_PASSWORD") or None,
            smtp_starttls=_flag(env, "LKJ_SMTP_STARTTLS"),
            mail_from=env.get("LKJ_MAIL_FROM", "lkj@localhost"),
            calendar_dir=Path(env["LKJ_CALENDAR_DIR"]) if env.get("LKJ_CALENDAR_DIR") else None,
            achievement_scale=Path(env["LKJ_ACHIEVEMENT_SCALE"])
            if env.get("LKJ_ACHIEVEMENT_SCALE") else None,
            check_state_writes=_flag(env, "LKJ_CHECK_STATE_WRITES"),
            user_cache_ttl_s=_number(env, "LKJ_USER_CACHE_TTL_S", 5.0, float),
            basic_auth_cache_ttl_s=_number(env, "LKJ_BASIC_AUTH_CACHE_TTL_S", 60.0, float),
            argon2_memory_kib=_number(env, "LKJ_ARGON2_MEMORY_KIB", argon2.DEFAULT_MEMORY_COST),
            argon2_time_cost=_number(env, "LKJ_ARGON2_TIME_COST", argon2.DEFAULT_TIME_COST),
            argon2_parallelism=_number(env, "LKJ_ARGON2_PARALLELISM",
                                       argon2.DEFAULT_PARALLELISM),
            password_concurrency=_number(env, "LKJ_PASSWORD_CONCURRENCY", 2),
            signin_max_failures=_number(env, "LKJ_SIGNIN_MAX_FAILURES", 10),
            signin_max_failures_per_address=_number(
                env, "LKJ_SIGNIN_MAX_FAILURES_PER_ADDRESS", 100),
            signin_window_s=_number(env, "LKJ_SIGNIN_WINDOW_S", 15 * 60),
            script_time_limit_s=_number(env, "LKJ_SCRIPT_TIME_LIMIT_S",
                                        cls.script_time_limit_s, float),
            script_memory_mib=_number(env, "LKJ_SCRIPT_MEMORY_MIB", cls.script_memory_mib),
            script_workers=_number(env, "LKJ_SCRIPT_WORKERS", cls.script_workers),
            script_max_data_bytes=_number(env, "LKJ_SCRIPT_MAX_DATA_BYTES",
                                          cls.script_max_data_bytes),
        )
        values.update(overrides)
        return cls(**values)
