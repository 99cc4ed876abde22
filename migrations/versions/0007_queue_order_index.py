"""The queue index in the queue's full order: (role, state, due_at, created_at, id).

A role's queue is read in due-date order with created_at and id as tie-breaks. With only
(role, state, due_at) indexed, every read sorted the tasks sharing a due date; now the first
rows of a (role, state) range come straight from the index, which also covers the columns
the queue query reads first (ids and sort keys) and the count of the range. It replaces the
narrower index, a prefix of it.

Revision ID: 0007_queue_order_index
Revises: 0006_task_state_rows
"""
from alembic import op

revision = "0007_queue_order_index"
down_revision = "0006_task_state_rows"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_task_queue_order", "task", ["role", "state", "due_at", "created_at", "id"])
    op.drop_index("ix_task_role_state_due", table_name="task")


def downgrade() -> None:
    op.create_index("ix_task_role_state_due", "task", ["role", "state", "due_at"])
    op.drop_index("ix_task_queue_order", table_name="task")
