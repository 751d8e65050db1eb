"""plan_report_facts: a closed plan's line of the report's CSV (after the names), kept

The table starts empty: the report works out a plan without a row from its check-ins, as
before, and the daily housekeeping (a minute after start) writes the closed plans' rows.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "plan_report_facts",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("last_checkin_on", sa.Date(), nullable=True),
        sa.Column("due", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.Column("missed", sa.Integer(), nullable=False),
        sa.Column("final_results", sa.Text(), nullable=False),
        sa.Column("csv_tail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plans.id"],
            name=op.f("fk_plan_report_facts_plan_id_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("plan_id", name=op.f("pk_plan_report_facts")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("plan_report_facts")
