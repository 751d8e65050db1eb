"""drafts and HR approval: the review of a draft, its round, and when a plan was sent

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 22:46:03.863297
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "review",
                sa.Enum(
                    "pending",
                    "changes_requested",
                    "approved",
                    name="review",
                    native_enum=False,
                    length=24,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column("review_round", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("decided_by", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("send_after_meeting", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
    # Every plan before drafts existed went to its employee when it was opened.
    op.execute("UPDATE plans SET sent_at = created_at")


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.drop_column("sent_at")
        batch_op.drop_column("send_after_meeting")
        batch_op.drop_column("decided_at")
        batch_op.drop_column("decided_by")
        batch_op.drop_column("review_round")
        batch_op.drop_column("review")
