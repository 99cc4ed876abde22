"""Notifications: composed into the outbox in the same transaction as the change that
causes them, leased and delivered by workers (at least once), with retries.

Kinds: `task_assigned` (a task is ready in your role's queue), `returned_for_revision`
(a checker sent the work back), `reminder` and `escalation` (the diagram's deadlines).
Each goes by e-mail to every active user of the role (or of each of a task's queues: its
groups and the users it names) who has an address, and to the webhook when one is
configured.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, insert, or_, select

from engine.persistence.tables import OutboxMessage, User, UserRole

KINDS = ("task_assigned", "returned_for_revision", "reminder", "escalation")
MAX_ATTEMPTS = 8
_SUBJECTS = {
    "task_assigned": "Tugas baru: {name}",
    "returned_for_revision": "Dikembalikan untuk perbaikan: {name}",
    "reminder": "Pengingat: {name}",
    "escalation": "Eskalasi keterlambatan: {name}",
}


@dataclass(frozen=True)
class Notice:
    """Something a role must hear about."""
    kind: str
    role: str
    name: str  # the task's or the diagram element's name
    process_instance_id: str
    definition_key: str
    task_id: str | None = None
    due_at: datetime | None = None
    # a task's queues when it has other than `role` alone: the groups and the users to tell
    groups: tuple[str, ...] | None = None  # None: (role,)
    users: tuple[str, ...] = ()

    def roles(self) -> tuple[str, ...]:
        return (self.role,) if self.groups is None else self.groups


@dataclass(frozen=True)
class MessageView:
    id: int
    kind: str
    channel: str
    recipient: str
    subject: str
    body: str
    payload: dict
    attempts: int


# Built once: every command that makes a task ready runs it.
_RECIPIENTS = (select(UserRole.role, User.username, User.email).join(User)
               .where(UserRole.role.in_(bindparam("roles", expanding=True)),
                      User.active.is_(True), User.email.is_not(None))
               .order_by(UserRole.role, User.username))


def queue(session, settings, notices: list[Notice], now: datetime) -> int:
    """Write the outbox rows for these notices (one query for every role's recipients, one
    insert for every row); returns how many."""
    if not notices:
        return 0
    zone = ZoneInfo(settings.timezone)
    recipients: dict[str, list[tuple[str, str]]] = {}
    # On the connection: users are not changed in a command's transaction, so the ORM's
    # autoflush and row bookkeeping would buy nothing here.
    for role, username, email in session.connection().execute(
            _RECIPIENTS, {"roles": sorted({role for notice in notices
                                           for role in notice.roles()})}):
        recipients.setdefault(role, []).append((username, email))
    named = {notice_user for notice in notices for notice_user in notice.users}
    addresses = {username: email for username, email in session.connection().execute(
        select(User.username, User.email).where(User.username.in_(named),
                                                User.active.is_(True),
                                                User.email.is_not(None)))} if named else {}
    rows = []
    for notice in notices:
        subject = _SUBJECTS[notice.kind].format(name=notice.name)
        due = notice.due_at.astimezone(zone).isoformat(timespec="minutes") if notice.due_at else "-"
        body = (f"{subject}\n\nProses: {notice.definition_key} ({notice.process_instance_id})\n"
                f"Antrean: {notice.role}\nBatas waktu: {due}\n")
        payload = {"kind": notice.kind, "role": notice.role, "name": notice.name,
                   "process_instance_id": notice.process_instance_id,
                   "definition_key": notice.definition_key, "task_id": notice.task_id,
                   "due_at": notice.due_at.isoformat() if notice.due_at else None}
        people = {username: email for role in notice.roles()
                  for username, email in recipients.get(role, ())}
        people.update((u, addresses[u]) for u in notice.users if u in addresses)
        targets = [("email", email, username) for username, email in sorted(people.items())]
        if settings.webhook_url:
            targets.append(("webhook", settings.webhook_url, None))
        rows += [dict(created_at=now, kind=notice.kind, channel=channel, recipient=recipient,
                      username=username, process_instance_id=notice.process_instance_id,
                      task_id=notice.task_id, subject=subject, body=body, payload=payload,
                      state="pending", attempts=0, next_attempt_at=now)
                 for channel, recipient, username in targets]
    if rows:  # plain INSERTs: the rows are not read back in this transaction
        session.connection().execute(insert(OutboxMessage), rows)
    return len(rows)


def lease_messages(ctx, owner: str, limit: int = 20, lease_s: int = 60,
                   channels: tuple[str, ...] = ("email", "webhook")) -> list[MessageView]:
    """Take up to `limit` due messages of `channels` for this worker until `lease_s` from
    now. A lease that ran out (its worker died) can be taken again; messages of a channel
    the worker cannot serve (no SMTP host) stay pending."""
    now = ctx.clock.now()
    with ctx.db.write() as s:
        query = (select(OutboxMessage).where(
            OutboxMessage.state == "pending", OutboxMessage.next_attempt_at <= now,
            OutboxMessage.channel.in_(channels),
            or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit))
        if ctx.db.dialect != "sqlite":
            query = query.with_for_update(skip_locked=True)
        messages = list(s.scalars(query))
        for message in messages:
            message.lease_owner, message.lease_until = owner, now + timedelta(seconds=lease_s)
        return [MessageView(m.id, m.kind, m.channel, m.recipient, m.subject, m.body, m.payload,
                            m.attempts) for m in messages]


def record_attempt(ctx, message_id: int, owner: str, error: str | None) -> str:
    """After a delivery attempt: delivered, or retried later (exponential back-off), or failed
    for good after MAX_ATTEMPTS. Ignored if this worker lost the lease meanwhile."""
    now = ctx.clock.now()
    with ctx.db.write() as s:
        message = s.get(OutboxMessage, message_id)
        if message is None or message.lease_owner != owner or message.state != "pending":
            return "lost"
        message.attempts += 1
        message.lease_owner, message.lease_until = None, None
        if error is None:
            message.state, message.delivered_at, message.last_error = "delivered", now, None
        elif message.attempts >= MAX_ATTEMPTS:
            message.state, message.last_error = "failed", error
        else:
            message.last_error = error
            message.next_attempt_at = now + timedelta(seconds=min(3600, 5 * 2 ** message.attempts))
        return message.state if message.state != "pending" else "retry"



def requeue_failed(message: OutboxMessage, now: datetime) -> None:
    """A failed message delivered again from the start: a fresh round of attempts, due now;
    its last error stays until an attempt replaces it."""
    message.state, message.attempts, message.next_attempt_at = "pending", 0, now
    message.lease_owner, message.lease_until = None, None
