"""indexes that keep lists, Home, DM replies and the claim fast at any history size

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 22:49:50.914023

- plans: list order in two segments (services/lists.py): closed plans by
  (status, end_date, id), open plans by a partial index on (end_date, id).
  (status, end_date, id) replaces (status, end_date).
- checkins: (plan_id, status), for per-plan counts by status; it replaces (plan_id).
- deliveries: (channel_id, sent_at), for the prompt a plain DM reply answers;
  (status, lease_expires_at), for the claim's expired leases.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_PLANS = sa.text("status <> 'closed'")


def upgrade() -> None:
    """Apply this revision."""
    op.drop_index("ix_checkins_plan_id", table_name="checkins")
    op.create_index("ix_checkins_plan_id_status", "checkins", ["plan_id", "status"])
    op.create_index("ix_deliveries_channel_id_sent_at", "deliveries", ["channel_id", "sent_at"])
    op.create_index(
        "ix_deliveries_status_lease_expires_at", "deliveries", ["status", "lease_expires_at"]
    )
    op.drop_index("ix_plans_status_end_date", table_name="plans")
    op.create_index("ix_plans_status_end_date_id", "plans", ["status", "end_date", "id"])
    op.create_index(
        "ix_plans_open_end_date_id",
        "plans",
        ["end_date", "id"],
        postgresql_where=OPEN_PLANS,
        sqlite_where=OPEN_PLANS,
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_plans_open_end_date_id", table_name="plans")
    op.drop_index("ix_plans_status_end_date_id", table_name="plans")
    op.create_index("ix_plans_status_end_date", "plans", ["status", "end_date"])
    op.drop_index("ix_deliveries_status_lease_expires_at", table_name="deliveries")
    op.drop_index("ix_deliveries_channel_id_sent_at", table_name="deliveries")
    op.drop_index("ix_checkins_plan_id_status", table_name="checkins")
    op.create_index("ix_checkins_plan_id", "checkins", ["plan_id"])
