"""Instance state in two parts: the workflow-level part stays in process_instance.state_json,
each SpiffWorkflow task moves to a row of instance_task_state, so a command rewrites only
the tasks it changed (engine/state_store.py). Existing states are split here.

Revision ID: 0006_task_state_rows
Revises: 0005_calendar_days
"""
import json

import sqlalchemy as sa
from alembic import op

revision = "0006_task_state_rows"
down_revision = "0005_calendar_days"
branch_labels = None
depends_on = None

instances = sa.table("process_instance", sa.column("id", sa.String),
                     sa.column("state_json", sa.Text))
rows = sa.table("instance_task_state", sa.column("process_instance_id", sa.String),
                sa.column("task_id", sa.String), sa.column("seq", sa.Integer),
                sa.column("workflow_id", sa.String), sa.column("body", sa.Text))


def _dumps(value) -> str:
    return json.dumps(value, separators=(",", ":"))


def _workflows(state: dict) -> dict:
    """The top workflow ('') and each subprocess, by the id of the task that calls it."""
    return {"": state, **state.get("subprocesses", {})}


def upgrade() -> None:
    op.create_table(
        "instance_task_state",
        sa.Column("process_instance_id", sa.String(36),
                  sa.ForeignKey("process_instance.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("task_id", sa.String(36), primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("workflow_id", sa.String(36), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )
    connection = op.get_bind()
    for instance_id, state_json in connection.execute(
            sa.select(instances.c.id, instances.c.state_json)).all():
        state = json.loads(state_json)
        if "tasks" not in state:
            continue  # not a workflow state (nothing to split)
        task_rows, seq = [], 0
        for workflow_id, workflow in _workflows(state).items():
            for task_id, task in workflow["tasks"].items():  # creation order: restore order
                seq += 1
                task_rows.append({"process_instance_id": instance_id, "task_id": task_id,
                                  "seq": seq, "workflow_id": workflow_id, "body": _dumps(task)})
            workflow["tasks"] = {}
        if task_rows:
            connection.execute(rows.insert(), task_rows)
        connection.execute(instances.update().where(instances.c.id == instance_id)
                           .values(state_json=_dumps(state)))


def downgrade() -> None:
    connection = op.get_bind()
    for instance_id, state_json in connection.execute(
            sa.select(instances.c.id, instances.c.state_json)).all():
        state = json.loads(state_json)
        workflows = _workflows(state)
        for workflow_id, task_id, body in connection.execute(
                sa.select(rows.c.workflow_id, rows.c.task_id, rows.c.body)
                .where(rows.c.process_instance_id == instance_id).order_by(rows.c.seq)):
            workflows[workflow_id]["tasks"][task_id] = json.loads(body)
        connection.execute(instances.update().where(instances.c.id == instance_id)
                           .values(state_json=_dumps(state)))
    op.drop_table("instance_task_state")
