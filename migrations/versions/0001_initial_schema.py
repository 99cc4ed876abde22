"""Initial schema: users and roles, units, deployments and process definitions,
process instances, user-task rows for the role queues, documents.

Revision ID: 0001_initial_schema
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001_initial_schema"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(80), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("full_name", sa.String(200)),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "user_role",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("app_user.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("role", sa.String(120), primary_key=True),
    )
    op.create_table(
        "unit",
        sa.Column("code", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "deployment",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("deployed_at", TZ, nullable=False),
        sa.Column("deployed_by", sa.String(80)),
    )
    op.create_table(
        "deployment_file",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("deployment_id", sa.Integer, sa.ForeignKey("deployment.id"), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.UniqueConstraint("deployment_id", "filename"),
    )
    op.create_index("ix_deployment_file_deployment_id", "deployment_file", ["deployment_id"])
    op.create_table(
        "process_definition",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("deployment_id", sa.Integer, sa.ForeignKey("deployment.id"), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("spec_json", sa.Text, nullable=False),
        sa.Column("user_tasks", sa.JSON, nullable=False),
        sa.Column("forms", sa.JSON, nullable=False),
        sa.Column("files", sa.JSON, nullable=False),
        sa.Column("startable_by", sa.JSON, nullable=False),
        sa.Column("deployed_at", TZ, nullable=False),
        sa.UniqueConstraint("key", "version"),
    )
    op.create_index("ix_process_definition_key", "process_definition", ["key"])
    op.create_table(
        "process_instance",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("definition_id", sa.Integer, sa.ForeignKey("process_definition.id"),
                  nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("state_json", sa.Text, nullable=False),
        sa.Column("state_format", sa.String(20), nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("started_by", sa.String(80)),
        sa.Column("ended_at", TZ),
        sa.Column("error", sa.Text),
    )
    op.create_index("ix_process_instance_definition_id", "process_instance", ["definition_id"])
    op.create_index("ix_instance_status_definition", "process_instance",
                    ["status", "definition_id"])
    op.create_table(
        "task",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("process_instance_id", sa.String(36),
                  sa.ForeignKey("process_instance.id", ondelete="CASCADE"), nullable=False),
        sa.Column("definition_key", sa.String(120), nullable=False),
        sa.Column("process_id", sa.String(120), nullable=False),
        sa.Column("element_id", sa.String(120), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("role", sa.String(120), nullable=False),
        sa.Column("assignee", sa.String(80)),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("form_key", sa.String(120), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("due_at", TZ),
        sa.Column("claimed_at", TZ),
        sa.Column("completed_at", TZ),
        sa.Column("completed_by", sa.String(80)),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_task_role_state_due", "task", ["role", "state", "due_at"])
    op.create_index("ix_task_assignee_state", "task", ["assignee", "state"])
    op.create_index("ix_task_instance_state", "task", ["process_instance_id", "state"])
    op.create_table(
        "document",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("process_instance_id", sa.String(36),
                  sa.ForeignKey("process_instance.id", ondelete="CASCADE"), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(255), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("uploaded_by", sa.String(80), nullable=False),
        sa.Column("uploaded_at", TZ, nullable=False),
    )
    op.create_index("ix_document_process_instance_id", "document", ["process_instance_id"])


def downgrade() -> None:
    for table in ("document", "task", "process_instance", "process_definition",
                  "deployment_file", "deployment", "unit", "user_role", "app_user"):
        op.drop_table(table)
