"""plans.form_id: the plan form that opened a plan, so that sending it again finds the plan

A plan form is acknowledged before its plan is written (PLAN_WRITER=process); a manager who
sends the same form again for the same employee, to another replica or after the writer
restarted, gets the plan it opened instead of a second one or an error. A unique index,
no table rebuild: SQLite keeps the triggers of migration 0018.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 08:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.add_column("plans", sa.Column("form_id", sa.String(length=32), nullable=True))
    op.create_index(
        "ix_plans_form_id_employee_id", "plans", ["form_id", "employee_id"], unique=True
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_plans_form_id_employee_id", table_name="plans")
    op.drop_column("plans", "form_id")
