"""goals: the final result recorded at close (Met / Partly met / Not met)

Earlier closes recorded each goal's final state on the check-in scale (on_track, at_risk,
off_track) in the `closed` event only. This copies them onto the goal as they were: the
history is hash-chained and is not rewritten, and the readers label the old values as the
earlier scale (services/status_text.py) instead of guessing a Met / Not met they never said.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 03:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("goals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("final_result", sa.String(length=20), nullable=True))
    events = sa.table(
        "plan_events",
        sa.column("plan_id", sa.Integer),
        sa.column("sequence", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("data", sa.JSON),
    )
    goals = sa.table(
        "goals",
        sa.column("id", sa.Integer),
        sa.column("plan_id", sa.Integer),
        sa.column("final_result", sa.String),
    )
    bind = op.get_bind()
    latest: dict[int, list[dict[str, object]]] = {}
    rows = bind.execute(
        sa.select(events.c.plan_id, events.c.data)
        .where(events.c.kind == "closed")
        .order_by(events.c.plan_id, events.c.sequence)
    )
    for plan_id, data in rows:
        latest[plan_id] = list((data or {}).get("goals") or [])
    for plan_id, marks in latest.items():
        for mark in marks:
            if mark.get("goal_id") is None or not mark.get("status"):
                continue
            bind.execute(
                goals.update()
                .where(goals.c.id == mark["goal_id"], goals.c.plan_id == plan_id)
                .values(final_result=str(mark["status"])[:20])
            )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("goals", schema=None) as batch_op:
        batch_op.drop_column("final_result")
