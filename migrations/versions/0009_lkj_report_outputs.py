"""The LKj document's outputs: jobs that build drafts and archives in the background, the
drafts the engine assembled (each with the fingerprint of the data it was built from), the
yearly archives and the publications readable without signing in.

Revision ID: 0009_lkj_report_outputs
Revises: 0008_signin_throttle_token_gen
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_lkj_report_outputs"
down_revision = "0008_signin_throttle_token_gen"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def _instance():
    return sa.Column("process_instance_id", sa.String(36),
                     sa.ForeignKey("process_instance.id", ondelete="CASCADE"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "report_job",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("kind", sa.String(20), nullable=False),
        _instance(),
        sa.Column("task_id", sa.String(36)),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("next_attempt_at", TZ, nullable=False),
        sa.Column("lease_owner", sa.String(80)),
        sa.Column("lease_until", TZ),
        sa.Column("last_error", sa.Text),
        sa.Column("done_at", TZ),
    )
    op.create_index("ix_report_job_state_next", "report_job", ["state", "next_attempt_at"])
    op.create_index("ix_report_job_process_instance_id", "report_job", ["process_instance_id"])
    op.create_table(
        "report_draft",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("document_id", sa.String(36),
                  sa.ForeignKey("document.id", ondelete="CASCADE"), nullable=False,
                  unique=True),
        _instance(),
        sa.Column("task_id", sa.String(36)),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("data_sha256", sa.String(64), nullable=False),
        sa.Column("built_at", TZ, nullable=False),
    )
    op.create_index("ix_report_draft_process_instance_id", "report_draft",
                    ["process_instance_id"])
    op.create_table(
        "lkj_archive",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _instance(),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("built_at", TZ, nullable=False),
    )
    op.create_index("ix_lkj_archive_process_instance_id", "lkj_archive", ["process_instance_id"])
    op.create_index("ix_lkj_archive_year", "lkj_archive", ["year"])
    op.create_table(
        "lkj_publication",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _instance(),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("document_id", sa.String(36),
                  sa.ForeignKey("document.id", ondelete="CASCADE"), nullable=False),
        sa.Column("url", sa.String(500)),
        sa.Column("published_at", TZ, nullable=False),
    )
    op.create_index("ix_lkj_publication_process_instance_id", "lkj_publication",
                    ["process_instance_id"])
    op.create_index("ix_lkj_publication_year", "lkj_publication", ["year"])


def downgrade() -> None:
    op.drop_table("lkj_publication")
    op.drop_table("lkj_archive")
    op.drop_table("report_draft")
    op.drop_table("report_job")
