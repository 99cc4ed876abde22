"""Settings from the environment (`LKJ_*`), read once per process."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path


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
    script_time_limit_s: float = 1.0
    timezone: str = "Asia/Jakarta"
    webhook_url: str | None = None  # notifications are also POSTed here as JSON
    smtp_host: str | None = None  # no host: e-mail notifications wait in the outbox
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_starttls: bool = False
    mail_from: str = "lkj@localhost"

    calendar_dir: Path | None = None  # holidays and working hours; None: calendars/ of the source

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
            token_ttl_s=int(env.get("LKJ_TOKEN_TTL_S", 8 * 3600)),
            max_document_bytes=int(env.get("LKJ_MAX_DOCUMENT_BYTES", 20 * 1024 * 1024)),
            webhook_url=env.get("LKJ_WEBHOOK_URL") or None,
            smtp_host=env.get("LKJ_SMTP_HOST") or None,
            smtp_port=int(env.get("LKJ_SMTP_PORT", 25)),
            smtp_user=env.get("LKJ_SMTP_USER") or None,
            smtp_password=env.get("LKJ_SMTP_PASSWORD") or None,
            smtp_starttls=env.get("LKJ_SMTP_STARTTLS", "").lower() in ("1", "true", "yes"),
            mail_from=env.get("LKJ_MAIL_FROM", "lkj@localhost"),
            calendar_dir=Path(env["LKJ_CALENDAR_DIR"]) if env.get("LKJ_CALENDAR_DIR") else None,
        )
        values.update(overrides)
        return cls(**values)
