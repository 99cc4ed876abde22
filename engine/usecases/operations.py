"""What operators run beside the use cases: the schema upgrade, the readiness check, the
offline checks of an audit bundle and of a year's LKj archive, and the counts the metrics
read from the database."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from engine.audit.archive import ArchiveReport, verify_archive
from engine.audit.bundle import BundleReport, verify_bundle
from engine.persistence import schema
from engine.persistence.tables import OutboxMessage, ProcessInstance, Task
from engine.usecases.context import EngineContext
from engine.usecases.shared import OPEN_STATES


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


@dataclass(frozen=True)
class OperationalCounts:
    """What an operator watches, read from the database at one moment."""
    open_tasks: dict[tuple[str, str], int]  # (role, state) -> tasks
    overdue_tasks: dict[str, int]  # role -> open tasks past their due date
    instances: dict[str, int]  # status -> instances
    outbox: dict[tuple[str, str], int]  # (channel, state) -> messages
    timer_lag_s: float  # how long the most overdue timer has been due (0: none)
    pool_in_use: int  # this process's database connections checked out


def operational_counts(ctx: EngineContext) -> OperationalCounts:
    now = ctx.clock.now()
    with ctx.db.read() as s:
        open_tasks = {(role, state): count for role, state, count in s.execute(
            select(Task.role, Task.state, func.count()).where(Task.state.in_(OPEN_STATES))
            .group_by(Task.role, Task.state))}
        overdue = dict(s.execute(select(Task.role, func.count()).where(
            Task.state.in_(OPEN_STATES), Task.due_at < now).group_by(Task.role)).all())
        instances = dict(s.execute(select(ProcessInstance.status, func.count())
                                   .group_by(ProcessInstance.status)).all())
        outbox = {(channel, state): count for channel, state, count in s.execute(
            select(OutboxMessage.channel, OutboxMessage.state, func.count())
            .group_by(OutboxMessage.channel, OutboxMessage.state))}
        earliest = s.scalar(select(func.min(ProcessInstance.next_timer_at)).where(
            ProcessInstance.status == "running", ProcessInstance.next_timer_at <= now))
    lag = (now - earliest).total_seconds() if earliest is not None else 0.0
    return OperationalCounts(open_tasks, overdue, instances, outbox, lag,
                             ctx.db.connections_in_use())
