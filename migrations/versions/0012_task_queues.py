"""A task several queues may work (Camunda's candidate users and groups): one `task_queue`
row per queue, only for such tasks; a task of one queue keeps it in `task.role`.

Revision ID: 0012_task_queues
Revises: 0011_deployments_and_groups
"""
import sqlalchemy as sa
from alembic import op

revision = "0012_task_queues"
down_revision = "0011_deployments_and_groups"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "task_queue",
        sa.Column("task_id", sa.String(36), sa.ForeignKey("task.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("queue", sa.String(120), primary_key=True),
    )
    op.create_index("ix_task_queue_queue", "task_queue", ["queue", "task_id"])


def downgrade() -> None:
    op.drop_index("ix_task_queue_queue", table_name="task_queue")
    op.drop_table("task_queue")
