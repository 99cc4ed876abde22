"""Failed sign-ins, counted per user name and client address to throttle password guessing,
and a token generation per user, so a password or role change or a deactivation ends the
tokens issued before it.

Revision ID: 0008_signin_throttle_token_gen
Revises: 0007_queue_order_index
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_signin_throttle_token_gen"
down_revision = "0007_queue_order_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("token_generation", sa.Integer, nullable=False,
                                   server_default="0"))
    op.create_table(
        "sign_in_failure",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("username", sa.String(80), nullable=False),
        sa.Column("client_address", sa.String(64), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_sign_in_failure_username_time", "sign_in_failure",
                    ["username", "failed_at"])
    op.create_index("ix_sign_in_failure_address_time", "sign_in_failure",
                    ["client_address", "failed_at"])
    op.create_index("ix_sign_in_failure_time", "sign_in_failure", ["failed_at"])


def downgrade() -> None:
    op.drop_table("sign_in_failure")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("token_generation")
