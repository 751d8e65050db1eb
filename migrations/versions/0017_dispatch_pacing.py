"""dispatcher: attempt times, remembered DM channels, fleet heartbeats

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("first_attempt_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("slack_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dm_channel_id", sa.String(length=32), nullable=True))
    op.create_table(
        "dispatcher_heartbeats",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_dispatcher_heartbeats")),
    )
    with op.batch_alter_table("dispatcher_heartbeats", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dispatcher_heartbeats_seen_at"), ["seen_at"], unique=False
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("dispatcher_heartbeats", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispatcher_heartbeats_seen_at"))
    op.drop_table("dispatcher_heartbeats")
    with op.batch_alter_table("slack_users", schema=None) as batch_op:
        batch_op.drop_column("dm_channel_id")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("last_attempt_at")
        batch_op.drop_column("first_attempt_at")
