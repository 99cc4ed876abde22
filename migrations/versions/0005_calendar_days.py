"""The admin's changes to the working calendar (days closed or opened again).

Revision ID: 0005_calendar_days
Revises: 0004_timers_and_outbox
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_calendar_days"
down_revision = "0004_timers_and_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_day",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("closed", sa.Boolean, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("changed_by", sa.String(80), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("calendar_day")
