"""What operators run beside the use cases: the schema upgrade, the readiness check, and the
offline checks of an audit bundle and of a year's LKj archive."""
from __future__ import annotations

from engine.audit.archive import ArchiveReport, verify_archive
from engine.audit.bundle import BundleReport, verify_bundle
from engine.persistence import schema
from engine.usecases.context import EngineContext


def upgrade_database(database_url: str) -> None:
    """Bring the database schema to the newest Alembic revision (the only way it changes)."""
    schema.upgrade(database_url)


def database_behind(ctx: EngineContext) -> bool:
    """Whether the database is not at the newest revision (raises when it does not answer)."""
    return schema.pending(ctx.db.engine)


def verify_audit_bundle(data: bytes) -> BundleReport:
    """Check an audit bundle offline: no server, no database."""
    return verify_bundle(data)


def verify_lkj_archive(data: bytes) -> ArchiveReport:
    """Check a year's LKj archive offline: its manifest, its audit bundle, and its documents
    against the history (engine/audit/archive.py)."""
    return verify_archive(data)
