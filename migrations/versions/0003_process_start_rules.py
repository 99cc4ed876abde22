"""Process definitions keep their start rules (start form, units variable, starter's unit).

Revision ID: 0003_process_start_rules
Revises: 0002_append_only_event_log
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_process_start_rules"
down_revision = "0002_append_only_event_log"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("process_definition") as batch:
        batch.add_column(sa.Column("start_rules", sa.JSON, nullable=False,
                                   server_default=sa.text("'{}'")))


def downgrade() -> None:
    with op.batch_alter_table("process_definition") as batch:
        batch.drop_column("start_rules")
