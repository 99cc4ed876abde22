"""The notification outbox as administrators see it: its messages by state (pending,
delivered, failed) with the counts, and a failed one sent again."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from engine.errors import Conflict, InvalidInput, NotFound
from engine.messaging import outbox
from engine.persistence.tables import OutboxMessage
from engine.usecases import policy
from engine.usecases.context import EngineContext
from engine.usecases.shared import _check_choice, _check_paging
from engine.usecases.views import Actor, Page

OUTBOX_STATES = ("pending", "delivered", "failed")


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    created_at: datetime
    kind: str
    channel: str
    recipient: str
    username: str | None
    process_instance_id: str | None
    subject: str
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    delivered_at: datetime | None


@dataclass(frozen=True)
class OutboxPage(Page):
    counts: dict[str, int] = field(default_factory=dict)  # messages per state


def _entry(m: OutboxMessage) -> OutboxEntry:
    return OutboxEntry(m.id, m.created_at, m.kind, m.channel, m.recipient, m.username,
                       m.process_instance_id, m.subject, m.state, m.attempts,
                       m.next_attempt_at, m.last_error, m.delivered_at)


def list_outbox(ctx: EngineContext, actor: Actor, state: str | None = None, limit: int = 50,
                offset: int = 0) -> OutboxPage:
    """The outbox's messages, newest first, with the count in each state."""
    policy.require_admin(actor)
    errors = {}
    _check_choice(errors, "state", state, OUTBOX_STATES, optional=True)
    _check_paging(limit, offset, errors)
    if errors:
        raise InvalidInput("Invalid query", errors)
    with ctx.db.read() as s:
        counts = {name: 0 for name in OUTBOX_STATES}
        counts.update({name: n for name, n in s.execute(
            select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state))})
        query = select(OutboxMessage)
        if state:
            query = query.where(OutboxMessage.state == state)
        rows = s.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit).offset(offset))
        return OutboxPage(items=[_entry(m) for m in rows],
                          total=counts[state] if state else sum(counts.values()), counts=counts)


def retry_outbox_message(ctx: EngineContext, actor: Actor, message_id: int) -> OutboxEntry:
    """Send a failed message again (after fixing the address or the mail server)."""
    policy.require_admin(actor)
    with ctx.db.write() as s:
        message = s.get(OutboxMessage, message_id)
        if message is None:
            raise NotFound(f"no outbox message {message_id}")
        if message.state != "failed":
            raise Conflict(f"the message is {message.state}; only a failed one is sent again")
        outbox.requeue_failed(message, ctx.clock.now())
        s.flush()
        return _entry(message)
