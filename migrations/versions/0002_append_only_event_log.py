"""Append-only event log with a hash chain per instance; triggers refuse UPDATE and DELETE.

Revision ID: 0002_append_only_event_log
Revises: 0001_initial_schema
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_append_only_event_log"
down_revision = "0001_initial_schema"
branch_labels = None
depends_on = None

PG_FUNCTION = """
CREATE FUNCTION event_is_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the event log is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    op.create_table(
        "event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("process_instance_id", sa.String(36), sa.ForeignKey("process_instance.id"),
                  nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("element_id", sa.String(120)),
        sa.Column("task_id", sa.String(36)),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("process_instance_id", "seq"),
    )
    op.create_index("ix_event_type_time", "event", ["type", "occurred_at"])
    if op.get_context().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute("CREATE TRIGGER event_append_only BEFORE UPDATE OR DELETE ON event "
                   "FOR EACH ROW EXECUTE FUNCTION event_is_append_only()")
    else:
        for operation in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER event_no_{operation.lower()} BEFORE {operation} ON event "
                       f"BEGIN SELECT RAISE(ABORT, 'the event log is append-only: "
                       f"{operation} refused'); END")


def downgrade() -> None:
    op.drop_table("event")
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS event_is_append_only()")
