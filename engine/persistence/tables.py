"""SQLAlchemy tables. The schema itself is created and changed only by Alembic migrations
(`migrations/versions`); these classes must match them (a test compares the two).

Times are stored as timezone-aware UTC.
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on every database (SQLite keeps no
    offset of its own)."""
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("refusing a naive datetime: give it a time zone")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime()}


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))  # where notifications go
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    # Carried in every token; a change of password or roles, or a deactivation, increments
    # it, so the tokens issued before stop working.
    token_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    roles: Mapped[list["UserRole"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin")


class UserRole(Base):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"),
                                         primary_key=True)
    role: Mapped[str] = mapped_column(String(120), primary_key=True)
    user: Mapped[User] = relationship(back_populates="roles")


class SignInFailure(Base):
    """A sign-in that failed (or is being checked: the row is written before the password
    is compared and removed when it was right), counted per user name and per client
    address within the throttle's window. Rows older than the window are deleted."""
    __tablename__ = "sign_in_failure"
    __table_args__ = (
        Index("ix_sign_in_failure_username_time", "username", "failed_at"),
        Index("ix_sign_in_failure_address_time", "client_address", "failed_at"),
        Index("ix_sign_in_failure_time", "failed_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(80))  # as typed: it may name nobody
    client_address: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[datetime]


class Unit(Base):
    """An organisational unit (satuan organisasi/satuan kerja); its queue is
    `satuan_kerja:<code>`."""
    __tablename__ = "unit"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class Deployment(Base):
    """One set of resources (diagrams, forms) deployed together; its files are kept
    byte-for-byte. Only resources that differ from the ones already deployed are stored."""
    __tablename__ = "deployment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deployed_at: Mapped[datetime]
    deployed_by: Mapped[str | None] = mapped_column(String(80))
    name: Mapped[str | None] = mapped_column(String(200))
    # api | folder (what `lkj serve` deploys from its procedure folder) | cli (`lkj deploy`)
    source: Mapped[str] = mapped_column(String(20), default="api", server_default="api")
    # Of a folder deployment: every file of the folder then, name -> sha256, so the next
    # start deploys only what changed in the folder since.
    manifest: Mapped[dict | None] = mapped_column(JSON)


class DeploymentFile(Base):
    __tablename__ = "deployment_file"
    __table_args__ = (UniqueConstraint("deployment_id", "filename"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(10))  # bpmn | dmn | form
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))


class ProcessDefinition(Base):
    """One version of one executable process. The spec (with every process it calls) is
    stored here once and shared by all instances of the version."""
    __tablename__ = "process_definition"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(120), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id"))
    content_hash: Mapped[str] = mapped_column(String(64))
    # read only when the executable spec is not cached yet (engine/usecases/context.py)
    spec_json: Mapped[str] = mapped_column(Text, deferred=True)
    user_tasks: Mapped[dict] = mapped_column(JSON)  # "file#element" -> UserTaskMeta fields
    forms: Mapped[dict] = mapped_column(JSON)  # form key -> JSON Schema
    files: Mapped[list] = mapped_column(JSON)  # diagram file names of this process
    startable_by: Mapped[list] = mapped_column(JSON)
    start_rules: Mapped[dict] = mapped_column(JSON, default=dict)
    deployed_at: Mapped[datetime]


class DefinitionResource(Base):
    """The deployed files a version was built from (its diagrams, those of the processes it
    calls, its forms), wherever each was stored first."""
    __tablename__ = "definition_resource"

    definition_id: Mapped[int] = mapped_column(
        ForeignKey("process_definition.id", ondelete="CASCADE"), primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("deployment_file.id"), primary_key=True,
                                         index=True)


class DeletedDefinition(Base):
    """A version an admin deleted: who and when, and its id, which no later version gets
    (the engine caches versions by id; SQLite would otherwise give the highest id again)."""
    __tablename__ = "deleted_definition"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    key: Mapped[str] = mapped_column(String(120))
    version: Mapped[int] = mapped_column(Integer)
    deleted_at: Mapped[datetime]
    deleted_by: Mapped[str] = mapped_column(String(80))


class ProcessSuspension(Base):
    """A process no one may start (any version) until an admin resumes it; running
    instances go on. Read on every start, never through a cache."""
    __tablename__ = "process_suspension"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    suspended_at: Mapped[datetime]
    suspended_by: Mapped[str] = mapped_column(String(80))


class RoleGroup(Base):
    """A group of users a task may be queued for (a role): the standard's roles, `admin`
    and `auditor` from the first start, and the ones an admin adds. Members are the users
    holding it in `user_role`; unit groups (`satuan_kerja:<code>`) come with units."""
    __tablename__ = "role_group"

    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    description: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime]


class ProcessInstance(Base):
    __tablename__ = "process_instance"
    __table_args__ = (Index("ix_instance_status_definition", "status", "definition_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))  # running|completed|suspended|terminated|error
    # Incremented by every change of state: a write that does not find the version it
    # read is a lost update and is refused.
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Read only when the workflow is not in the engine's cache: commands load the row twice
    state_json: Mapped[str] = mapped_column(Text, deferred=True)
    state_format: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime]
    started_by: Mapped[str | None] = mapped_column(String(80))
    ended_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    # The earliest waiting timer; workers lease due instances to fire them.
    next_timer_at: Mapped[datetime | None] = mapped_column(index=True)
    timer_lease_owner: Mapped[str | None] = mapped_column(String(80))
    timer_lease_until: Mapped[datetime | None]
    # Given at the start (or by the message that started it): messages correlate by it.
    business_key: Mapped[str | None] = mapped_column(String(200), index=True)
    # Loaded when read: the commands on the hot path take a deployed version's (immutable)
    # fields from the engine context's cache instead (EngineContext.definition).
    definition: Mapped[ProcessDefinition] = relationship(lazy="select")

    __mapper_args__ = {"version_id_col": version}


class Task(Base):
    """A user task as the queues see it, so queue queries never load a workflow."""
    __tablename__ = "task"
    __table_args__ = (
        # a role's queue in its full order (due date, creation, id): read from the index
        Index("ix_task_queue_order", "role", "state", "due_at", "created_at", "id"),
        Index("ix_task_assignee_state", "assignee", "state"),
        Index("ix_task_instance_state", "process_instance_id", "state"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    process_instance_id: Mapped[str] = mapped_column(
        ForeignKey("process_instance.id", ondelete="CASCADE"))
    definition_key: Mapped[str] = mapped_column(String(120))
    process_id: Mapped[str] = mapped_column(String(120))  # the BPMN process the task is in
    element_id: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(255))
    # what the task is about and its phase (engine/workflow/progress.py); shown and searched
    subject: Mapped[str | None] = mapped_column(String(300))
    phase: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(120))
    assignee: Mapped[str | None] = mapped_column(String(80))
    state: Mapped[str] = mapped_column(String(20))  # ready|claimed|completed|cancelled
    form_key: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class TaskQueue(Base):
    """One of the queues of a task that several queues may work (candidate users and
    groups); a task of one queue has no rows here (its `role` is that queue)."""
    __tablename__ = "task_queue"
    __table_args__ = (Index("ix_task_queue_queue", "queue", "task_id"),)

    task_id: Mapped[str] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"),
                                         primary_key=True)
    queue: Mapped[str] = mapped_column(String(120), primary_key=True)


class Document(Base):
    """An uploaded file; the bytes live in the document store, addressed by sha256."""
    __tablename__ = "document"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    process_instance_id: Mapped[str] = mapped_column(
        ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(80))
    uploaded_at: Mapped[datetime]


class Event(Base):
    """One entry of an instance's append-only history. Each carries the hash of its canonical
    form and of the event before it (a hash chain per instance), so any edit, removal or
    reordering shows. The database refuses UPDATE and DELETE on this table (triggers)."""
    __tablename__ = "event"
    __table_args__ = (
        UniqueConstraint("process_instance_id", "seq"),
        Index("ix_event_type_time", "type", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    process_instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id"))
    seq: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(80))
    type: Mapped[str] = mapped_column(String(40))
    element_id: Mapped[str | None] = mapped_column(String(120))
    task_id: Mapped[str | None] = mapped_column(String(36))
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON, exactly as hashed
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class CalendarDay(Base):
    """An admin's change to the working calendar of the files: a day closed (a holiday or
    collective leave added) or opened again (a file's holiday that was moved)."""
    __tablename__ = "calendar_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    closed: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))  # national | collective_leave | office
    changed_by: Mapped[str] = mapped_column(String(80))
    changed_at: Mapped[datetime]


class OutboxMessage(Base):
    """A notification to deliver, written in the same transaction as the change that causes
    it; workers lease and deliver it (at least once) with retries."""
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    created_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(40))  # task_assigned|returned_for_revision|reminder|escalation
    channel: Mapped[str] = mapped_column(String(20))  # email | webhook
    recipient: Mapped[str] = mapped_column(String(500))  # an address or a URL
    username: Mapped[str | None] = mapped_column(String(80))
    process_instance_id: Mapped[str | None] = mapped_column(String(36))
    task_id: Mapped[str | None] = mapped_column(String(36))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(20))  # pending|delivered|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    lease_owner: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None]


class InstanceTaskState(Base):
    """One SpiffWorkflow task of an instance's state (see engine/persistence/state_store.py): a command
    rewrites only the rows of the tasks it changed. `seq` keeps creation order, which
    restoring needs (a parent before its children)."""
    __tablename__ = "instance_task_state"

    process_instance_id: Mapped[str] = mapped_column(
        ForeignKey("process_instance.id", ondelete="CASCADE"), primary_key=True)
    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    workflow_id: Mapped[str] = mapped_column(String(36))  # '' the top workflow, else its caller
    body: Mapped[str] = mapped_column(Text)  # the task's state as JSON


class ReportJob(Base):
    """Work on the LKj document that must not hold up the command that caused it (building
    a draft, building the year's archive): written in that command's transaction, leased and
    run by workers (`lkj worker`), retried with back-off. `payload` holds what to build from,
    as it stood when the job was written."""
    __tablename__ = "report_job"
    __table_args__ = (Index("ix_report_job_state_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))  # draft | archive
    process_instance_id: Mapped[str] = mapped_column(
        ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))  # the task a draft is for
    payload: Mapped[dict] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(20))  # pending | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    lease_owner: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None]


class ReportDraft(Base):
    """A draft of the LKj the engine assembled: a document of its instance, with the
    fingerprint (sha256) of the units' data it was built from."""
    __tablename__ = "report_draft"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"),
                                             unique=True)
    process_instance_id: Mapped[str] = mapped_column(
        ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    year: Mapped[int] = mapped_column(Integer)
    data_sha256: Mapped[str] = mapped_column(String(64))
    built_at: Mapped[datetime]


class LkjArchive(Base):
    """The archive of a year's LKj (standard §K.4), built when its instance ended; the file
    is in the document store under its sha256."""
    __tablename__ = "lkj_archive"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    process_instance_id: Mapped[str] = mapped_column(
        ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    built_at: Mapped[datetime]


class LkjPublication(Base):
    """A year's signed LKj, readable by everyone from the moment Biro TI completed its
    upload step (standard §J.3)."""
    __tablename__ = "lkj_publication"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    process_instance_id: Mapped[str] = mapped_column(
        ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    url: Mapped[str | None] = mapped_column(String(500))  # where Biro TI put it
    published_at: Mapped[datetime]


class EventSubscription(Base):
    """A message or signal catch an instance waits at (a catch event, a receive task, a
    boundary event, an event-based gateway's branch): rewritten with the instance's state,
    so a delivery finds its receivers without loading workflows."""
    __tablename__ = "event_subscription"
    __table_args__ = (Index("ix_event_subscription_kind_name", "kind", "name"),)

    process_instance_id: Mapped[str] = mapped_column(
        ForeignKey("process_instance.id", ondelete="CASCADE"), primary_key=True)
    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    element_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # message | signal
    name: Mapped[str] = mapped_column(String(255))


class StartTimer(Base):
    """The schedule of one timer start event of the latest version of a process. Starting
    an instance moves `due_at` on in the same transaction, on the condition that it still
    holds the due time the starter read: one instance per due time, however many workers."""
    __tablename__ = "start_timer"

    definition_key: Mapped[str] = mapped_column(String(120), primary_key=True)
    element_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    definition_id: Mapped[int] = mapped_column(Integer)  # the version the schedule is of
    due_at: Mapped[datetime | None] = mapped_column(index=True)  # None: nothing more to start
    interval_s: Mapped[int | None] = mapped_column(Integer)  # a cycle's period, seconds
    repeats_left: Mapped[int | None]  # a cycle's repetitions still to come (None: forever)
    started: Mapped[int] = mapped_column(Integer, default=0)  # instances started so far


class ExternalTask(Base):
    """A service task waiting for an external worker (engine/usecases/external_tasks.py):
    written with the instance's state, locked by one worker at a time until
    `lock_expires_at`, fetchable again after a failure from `fetchable_at`."""
    __tablename__ = "external_task"
    __table_args__ = (Index("ix_external_task_topic", "topic", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the workflow's task id
    process_instance_id: Mapped[str] = mapped_column(
        ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    element_id: Mapped[str] = mapped_column(String(255))
    topic: Mapped[str] = mapped_column(String(255))
    variables: Mapped[dict] = mapped_column(JSON)  # the task's data when it began to wait
    created_at: Mapped[datetime]
    worker_id: Mapped[str | None] = mapped_column(String(255))
    lock_expires_at: Mapped[datetime | None]
    fetchable_at: Mapped[datetime | None]
    retries: Mapped[int | None] = mapped_column(Integer)  # None until a worker reports a failure
    error_message: Mapped[str | None] = mapped_column(Text)
    error_details: Mapped[str | None] = mapped_column(Text)
