"""What a task is about and where in the procedure it sits: `task.subject` (the document
title or the unit its sub-process was called for) and `task.phase` (the top-level call
activity it runs under), written when the task is created, so a queue shows and searches
them without loading a workflow. Tasks created before this revision have neither.

Revision ID: 0010_task_subject_phase
Revises: 0009_lkj_report_outputs
"""
import sqlalchemy as sa
from alembic import op

revision = "0010_task_subject_phase"
down_revision = "0009_lkj_report_outputs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("task") as batch:
        batch.add_column(sa.Column("subject", sa.String(300), nullable=True))
        batch.add_column(sa.Column("phase", sa.String(255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("task") as batch:
        batch.drop_column("phase")
        batch.drop_column("subject")
