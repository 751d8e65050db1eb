"""plans.form_digest: what the plan form held when it opened the plan

A form sent again after its plan was saved gets that plan; the digest tells whether it was
sent again as it was, or changed (and the changes were not applied: the form says so). A
column added, no table rebuild: SQLite keeps the triggers of migration 0018.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 14:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.add_column("plans", sa.Column("form_digest", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    op.drop_column("plans", "form_digest")
