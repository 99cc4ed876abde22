"""Timers and notifications: the next timer of each instance with its worker lease, user
e-mail addresses, and the notification outbox.

Revision ID: 0004_timers_and_outbox
Revises: 0003_process_start_rules
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_timers_and_outbox"
down_revision = "0003_process_start_rules"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("email", sa.String(254)))
    with op.batch_alter_table("process_instance") as batch:
        batch.add_column(sa.Column("next_timer_at", TZ))
        batch.add_column(sa.Column("timer_lease_owner", sa.String(80)))
        batch.add_column(sa.Column("timer_lease_until", TZ))
    op.create_index("ix_process_instance_next_timer_at", "process_instance", ["next_timer_at"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("recipient", sa.String(500), nullable=False),
        sa.Column("username", sa.String(80)),
        sa.Column("process_instance_id", sa.String(36)),
        sa.Column("task_id", sa.String(36)),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", TZ, nullable=False),
        sa.Column("lease_owner", sa.String(80)),
        sa.Column("lease_until", TZ),
        sa.Column("last_error", sa.Text),
        sa.Column("delivered_at", TZ),
    )
    op.create_index("ix_outbox_state_next", "outbox", ["state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("outbox")
    op.drop_index("ix_process_instance_next_timer_at", "process_instance")
    with op.batch_alter_table("process_instance") as batch:
        batch.drop_column("timer_lease_until")
        batch.drop_column("timer_lease_owner")
        batch.drop_column("next_timer_at")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("email")
