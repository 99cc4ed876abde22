"""Events that cross an instance's border: business keys on instances (messages correlate
by them), the message and signal catches instances wait at (`event_subscription`, rewritten
with the instance's state, so a delivery finds its receivers without loading workflows),
and the schedule of timer start events (`start_timer`: one row per process and start event,
its next due time advanced in the same transaction as the instance it starts, so each due
time starts one instance whatever the number of workers), and the service tasks waiting
for external workers (`external_task`: topic, the variables they start with, the lock of
the worker that fetched one, retries and the last failure).

Revision ID: 0013_bpmn_events
Revises: 0012_task_queues
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0013_bpmn_events"
down_revision = "0012_task_queues"
branch_labels = None
depends_on = None


WORKER_GROUP = "worker"  # accounts of systems that send messages and signals, run service tasks


def upgrade() -> None:
    # Groups are rows since 0011: the role worker accounts hold is one of them.
    now = datetime.now(timezone.utc)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # as the engine stores times on SQLite
    op.execute(sa.text("INSERT INTO role_group (name, description, created_at) "
                       "VALUES (:name, :description, :now)").bindparams(
        name=WORKER_GROUP, description="Systems: messages, signals, service tasks", now=now))
    op.add_column("process_instance", sa.Column("business_key", sa.String(200), nullable=True))
    op.create_index("ix_process_instance_business_key", "process_instance", ["business_key"])
    op.create_table(
        "event_subscription",
        sa.Column("process_instance_id", sa.String(36),
                  sa.ForeignKey("process_instance.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("task_id", sa.String(36), primary_key=True),
        sa.Column("element_id", sa.String(255), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
    )
    op.create_index("ix_event_subscription_kind_name", "event_subscription", ["kind", "name"])
    op.create_table(
        "start_timer",
        sa.Column("definition_key", sa.String(120), primary_key=True),
        sa.Column("element_id", sa.String(255), primary_key=True),
        sa.Column("definition_id", sa.Integer, nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("interval_s", sa.Integer, nullable=True),
        sa.Column("repeats_left", sa.Integer, nullable=True),
        sa.Column("started", sa.Integer, nullable=False),
    )
    op.create_index("ix_start_timer_due_at", "start_timer", ["due_at"])
    op.create_table(
        "external_task",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("process_instance_id", sa.String(36),
                  sa.ForeignKey("process_instance.id", ondelete="CASCADE"), nullable=False),
        sa.Column("element_id", sa.String(255), nullable=False),
        sa.Column("topic", sa.String(255), nullable=False),
        sa.Column("variables", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("worker_id", sa.String(255), nullable=True),
        sa.Column("lock_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fetchable_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retries", sa.Integer, nullable=True),
        sa.Column("error_message", sa.Text, nullable=True),
        sa.Column("error_details", sa.Text, nullable=True),
    )
    op.create_index("ix_external_task_topic", "external_task", ["topic", "created_at"])
    op.create_index("ix_external_task_process_instance_id", "external_task",
                    ["process_instance_id"])


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM user_role WHERE role = :name").bindparams(name=WORKER_GROUP))
    op.execute(sa.text("DELETE FROM role_group WHERE name = :name").bindparams(name=WORKER_GROUP))
    op.drop_index("ix_external_task_process_instance_id", "external_task")
    op.drop_index("ix_external_task_topic", "external_task")
    op.drop_table("external_task")
    op.drop_index("ix_start_timer_due_at", "start_timer")
    op.drop_table("start_timer")
    op.drop_index("ix_event_subscription_kind_name", "event_subscription")
    op.drop_table("event_subscription")
    op.drop_index("ix_process_instance_business_key", "process_instance")
    # Not a batch (a copy of the table): rows of other tables refer to the instances.
    # SQLite drops a column itself since 3.35.
    op.execute("ALTER TABLE process_instance DROP COLUMN business_key")
