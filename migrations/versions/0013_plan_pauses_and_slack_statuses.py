"""plan pauses and slack statuses (issue 13: a fair clock)

Revision ID: 0013
Revises: 0001
Create Date: 2026-12-01 22:45:45.290855
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "slack_statuses",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("emoji", sa.String(length=100), nullable=False),
        sa.Column("text", sa.String(length=255), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_slack_statuses")),
    )
    op.create_table(
        "plan_pauses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("paused_by", sa.String(length=32), nullable=False),
        sa.Column("paused_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paused_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("tell_employee", sa.Boolean(), nullable=False),
        sa.Column("resume_on", sa.Date(), nullable=True),
        sa.Column(
            "status_before",
            sa.Enum(
                "active",
                "acknowledged",
                "extended",
                "paused",
                "closed",
                name="planstatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("resumed_by", sa.String(length=32), nullable=True),
        sa.Column("resumed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resumed_on", sa.Date(), nullable=True),
        sa.Column("restart_on", sa.Date(), nullable=True),
        sa.Column("business_days", sa.Integer(), nullable=True),
        sa.Column("end_before", sa.Date(), nullable=True),
        sa.Column("end_after", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_plan_pauses_plan_id_plans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_pauses")),
    )
    with op.batch_alter_table("plan_pauses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_pauses_plan_id"), ["plan_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("plan_pauses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_pauses_plan_id"))

    op.drop_table("plan_pauses")
    op.drop_table("slack_statuses")
