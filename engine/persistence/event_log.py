"""The event log: what happened to an instance, appended in the same transaction as the change
it records, chained by hashes so an edited, removed or reordered event shows.

An event's hash is the sha256 of its canonical JSON (every field but the hash itself, the
previous event's hash included). The first event of an instance chains to GENESIS.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime, timezone

from sqlalchemy import bindparam, insert, select

from engine.persistence.tables import Event
from engine.workflow.runtime import canonical_json

GENESIS = "0" * 64

# Event types. Each names what changed; the payload carries what replay and audit need.
INSTANCE_STARTED = "instance_started"
INSTANCE_COMPLETED = "instance_completed"
INSTANCE_ERROR = "instance_error"
TASK_READY = "task_ready"
TASK_CLAIMED = "task_claimed"
TASK_UNCLAIMED = "task_unclaimed"
TASK_REASSIGNED = "task_reassigned"  # an admin gave the task to someone
TASK_COMPLETED = "task_completed"
TASK_CANCELLED = "task_cancelled"
DOCUMENT_UPLOADED = "document_uploaded"
INSTANCE_SUSPENDED = "instance_suspended"
INSTANCE_RESUMED = "instance_resumed"
INSTANCE_TERMINATED = "instance_terminated"
INSTANCE_RETRIED = "instance_retried"
INSTANCE_MIGRATED = "instance_migrated"
TASK_UPDATED = "task_updated"  # a migration changed a kept task's name, form or role
TIMERS_FIRED = "timers_fired"
# A message or signal reached waiting catches of the instance (its payload: what, with
# which variables and correlation, the elements reached).
EVENT_RECEIVED = "event_received"
# An external worker finished a service task, raised a BPMN error on it, or reported a
# failure (with no retries left: an incident, the instance waits in error).
EXTERNAL_TASK_COMPLETED = "external_task_completed"
EXTERNAL_TASK_BPMN_ERROR = "external_task_bpmn_error"
EXTERNAL_TASK_FAILED = "external_task_failed"
# The LKj document (engine/usecases/report.py): a draft the engine assembled and added to the
# instance's documents, the year's archive, the signed LKj made public.
DRAFT_BUILT = "draft_built"
ARCHIVE_BUILT = "archive_built"
LKJ_PUBLISHED = "lkj_published"
# An admin set or deleted variables of the instance (engine/usecases/instance_variables.py): the
# names, the values set (replay sets them again) and the state digest after.
VARIABLES_CHANGED = "variables_changed"
EVENT_TYPES = (TIMERS_FIRED, INSTANCE_STARTED, INSTANCE_COMPLETED, INSTANCE_ERROR, TASK_READY,
               TASK_CLAIMED, TASK_UNCLAIMED, TASK_REASSIGNED, TASK_COMPLETED, TASK_CANCELLED,
               DOCUMENT_UPLOADED,
               INSTANCE_SUSPENDED, INSTANCE_RESUMED, INSTANCE_TERMINATED, INSTANCE_RETRIED,
               INSTANCE_MIGRATED, TASK_UPDATED, DRAFT_BUILT, ARCHIVE_BUILT, LKJ_PUBLISHED,
               EVENT_RECEIVED, EXTERNAL_TASK_COMPLETED, EXTERNAL_TASK_BPMN_ERROR,
               EXTERNAL_TASK_FAILED, VARIABLES_CHANGED)
# Events that add a document to the instance (their payload names it and its sha256).
DOCUMENT_EVENTS = (DOCUMENT_UPLOADED, DRAFT_BUILT)


@dataclass(frozen=True)
class EventRecord:
    """An event as stored and exported; `payload` is the parsed canonical JSON."""
    instance_id: str
    seq: int
    occurred_at: str  # ISO 8601, UTC
    actor: str
    type: str
    element_id: str | None
    task_id: str | None
    payload: dict
    prev_hash: str
    hash: str

    def to_dict(self) -> dict:
        return asdict(self)


def event_hash(instance_id: str, seq: int, occurred_at: str, actor: str, type_: str,
               element_id: str | None, task_id: str | None, payload_json: str,
               prev_hash: str) -> str:
    body = canonical_json({
        "instance_id": instance_id, "seq": seq, "occurred_at": occurred_at, "actor": actor,
        "type": type_, "element_id": element_id, "task_id": task_id, "payload": payload_json,
        "prev_hash": prev_hash,
    })
    return hashlib.sha256(body.encode()).hexdigest()


def iso(moment: datetime) -> str:
    """One spelling per instant: UTC, microseconds (as the database gives it back)."""
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Appended:
    """An event this transaction appended, for what reacts to it before the commit."""
    type: str
    element_id: str | None
    task_id: str | None
    payload: dict


# The chain's last event (built once: every command reads it). Events are written with plain
# INSERTs on the connection (below), so nothing of them waits in the session to be flushed.
_CHAIN_HEAD = (select(Event.seq, Event.hash)
               .where(Event.process_instance_id == bindparam("instance_id"))
               .order_by(Event.seq.desc()).limit(1))


class EventLog:
    """Appends to one instance's chain within the caller's transaction. The caller holds the
    instance's lock, so nobody else appends to this chain meanwhile. `appended` lists what
    this log appended, in order."""

    def __init__(self, session, instance_id: str, new_instance: bool = False):
        self.session = session
        self.instance_id = instance_id
        self.appended: list[Appended] = []
        last = None if new_instance else session.connection().execute(
            _CHAIN_HEAD, {"instance_id": instance_id}).first()
        self.seq, self.head = (last.seq, last.hash) if last else (0, GENESIS)

    def append(self, type_: str, actor: str, at: datetime, element_id: str | None = None,
               task_id: str | None = None, payload: dict | None = None) -> None:
        self.seq += 1
        payload_json = canonical_json(payload or {})
        occurred = iso(at)
        digest = event_hash(self.instance_id, self.seq, occurred, actor, type_, element_id,
                            task_id, payload_json, self.head)
        # A plain INSERT on the transaction's connection: events are never read back or
        # changed through the session, so they need none of the ORM's bookkeeping.
        self.session.connection().execute(insert(Event), [dict(
            process_instance_id=self.instance_id, seq=self.seq, occurred_at=at, actor=actor,
            type=type_, element_id=element_id, task_id=task_id, payload=payload_json,
            prev_hash=self.head, hash=digest)])
        self.head = digest
        self.appended.append(Appended(type_, element_id, task_id, payload or {}))


def record_of(event: Event) -> EventRecord:
    return EventRecord(instance_id=event.process_instance_id, seq=event.seq,
                       occurred_at=iso(event.occurred_at), actor=event.actor, type=event.type,
                       element_id=event.element_id, task_id=event.task_id,
                       payload=json.loads(event.payload), prev_hash=event.prev_hash,
                       hash=event.hash)


@dataclass(frozen=True)
class ChainProblem:
    seq: int | None  # the event where the chain breaks (its position in the log)
    reason: str


def verify_chain(records: list[EventRecord], instance_id: str) -> ChainProblem | None:
    """The first place the chain does not hold, or None. Detects an edited event (its hash no
    longer matches its content), a removed one (a gap in seq, or a prev_hash that names
    another event) and a reordering (seq out of order, prev_hash mismatch)."""
    head = GENESIS
    for position, record in enumerate(records, start=1):
        if record.instance_id != instance_id:
            return ChainProblem(record.seq, f"event belongs to instance {record.instance_id}")
        if record.seq != position:
            return ChainProblem(record.seq, f"expected event #{position} here, found "
                                            f"#{record.seq} (an event is missing or moved)")
        if record.prev_hash != head:
            return ChainProblem(record.seq, "prev_hash does not name the event before it")
        recomputed = event_hash(record.instance_id, record.seq, record.occurred_at, record.actor,
                                record.type, record.element_id, record.task_id,
                                canonical_json(record.payload), record.prev_hash)
        if recomputed != record.hash:
            return ChainProblem(record.seq, "content does not match its hash (edited)")
        head = record.hash
    return None
