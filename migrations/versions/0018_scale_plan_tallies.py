"""scale: plan_tallies, running totals kept by triggers on plans and check-ins, backfilled;
an index of each plan's check-ins newest first for the report

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 03:30:00

Each trigger adds one row of deltas in the statement that moves a total; the totals are
the column sums (services/tallies.py), folded into one row by the daily housekeeping. The
SQL is written out here (not imported) so that this revision stays what it was.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("draft", "withdrawn", "active", "acknowledged", "extended", "paused", "closed")
OPEN = "('active', 'acknowledged', 'extended', 'paused')"
COLUMNS = (*STATUSES, "not_acknowledged", "missed_checkins", "awaiting_review", "legal_hold")
PLAN_COLUMNS_WATCHED = "status, acknowledged_at, ack_requested_at, legal_hold_at"


def _flag(condition: str) -> str:
    return f"(CASE WHEN {condition} THEN 1 ELSE 0 END)"


def _plan_vector(row: str) -> dict[str, str]:
    """What one plan row adds to each total."""
    vector = {status: _flag(f"{row}.status = '{status}'") for status in STATUSES}
    is_open = f"{row}.status IN {OPEN}"
    vector["not_acknowledged"] = _flag(
        f"{is_open} AND ({row}.acknowledged_at IS NULL"
        f" OR {row}.acknowledged_at < {row}.ack_requested_at)"
    )
    for column, status in (("missed_checkins", "missed"), ("awaiting_review", "answered")):
        vector[column] = (
            f"(CASE WHEN {is_open} THEN (SELECT count(*) FROM checkins"
            f" WHERE checkins.plan_id = {row}.id AND checkins.status = '{status}') ELSE 0 END)"
        )
    vector["legal_hold"] = _flag(f"{row}.legal_hold_at IS NOT NULL")
    return vector


def _checkin_vector(row: str) -> dict[str, str]:
    """What one check-in row adds to each total."""
    plan_open = f"(SELECT plans.status FROM plans WHERE plans.id = {row}.plan_id) IN {OPEN}"
    vector = {column: "0" for column in COLUMNS}
    vector["missed_checkins"] = _flag(f"{row}.status = 'missed' AND {plan_open}")
    vector["awaiting_review"] = _flag(f"{row}.status = 'answered' AND {plan_open}")
    return vector


def _insert(new: dict[str, str] | None, old: dict[str, str] | None) -> str:
    """INSERT of new - old, only when some total moves."""
    deltas = []
    for column in COLUMNS:
        plus = new[column] if new else "0"
        minus = old[column] if old else "0"
        deltas.append(f"({plus}) - ({minus}) AS {column}")
    moved = " OR ".join(f"d.{column} <> 0" for column in COLUMNS)
    names = ", ".join(COLUMNS)
    return (
        f"INSERT INTO plan_tallies ({names}) SELECT {names} FROM"
        f" (SELECT {', '.join(deltas)}) AS d WHERE {moved};"
    )


def _triggers() -> list[tuple[str, str, str, str]]:
    """(name, table, event, body) of every trigger."""
    return [
        ("plan_tallies_plan_insert", "plans", "INSERT", _insert(_plan_vector("NEW"), None)),
        (
            "plan_tallies_plan_update",
            "plans",
            f"UPDATE OF {PLAN_COLUMNS_WATCHED}",
            _insert(_plan_vector("NEW"), _plan_vector("OLD")),
        ),
        ("plan_tallies_plan_delete", "plans", "DELETE", _insert(None, _plan_vector("OLD"))),
        (
            "plan_tallies_checkin_insert",
            "checkins",
            "INSERT",
            _insert(_checkin_vector("NEW"), None),
        ),
        (
            "plan_tallies_checkin_update",
            "checkins",
            "UPDATE OF status, plan_id",
            _insert(_checkin_vector("NEW"), _checkin_vector("OLD")),
        ),
        (
            "plan_tallies_checkin_delete",
            "checkins",
            "DELETE",
            _insert(None, _checkin_vector("OLD")),
        ),
    ]


def _backfill() -> str:
    """One row with every total counted from scratch."""
    counts = [f"(SELECT count(*) FROM plans WHERE status = '{s}')" for s in STATUSES]
    counts.append(
        f"(SELECT count(*) FROM plans WHERE status IN {OPEN}"
        " AND (acknowledged_at IS NULL OR acknowledged_at < ack_requested_at))"
    )
    for status in ("missed", "answered"):
        counts.append(
            "(SELECT count(*) FROM checkins JOIN plans ON plans.id = checkins.plan_id"
            f" WHERE checkins.status = '{status}' AND plans.status IN {OPEN})"
        )
    counts.append("(SELECT count(*) FROM plans WHERE legal_hold_at IS NOT NULL)")
    return f"INSERT INTO plan_tallies ({', '.join(COLUMNS)}) SELECT {', '.join(counts)}"


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "plan_tallies",
        sa.Column("id", sa.Integer(), nullable=False),
        *(sa.Column(column, sa.Integer(), nullable=False) for column in COLUMNS),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_tallies")),
    )
    op.create_index(
        "ix_checkins_plan_id_occurrence_date_id_kind_status",
        "checkins",
        ["plan_id", "occurrence_date", "id", "kind", "status"],
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, table, event, body in _triggers():
        if postgres:
            op.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$"
                f" BEGIN {body} RETURN NULL; END $$"
            )
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {table}"
                f" FOR EACH ROW EXECUTE FUNCTION {name}()"
            )
        else:
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {body} END")
    op.execute(_backfill())


def downgrade() -> None:
    """Revert this revision."""
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, table, _event, _body in _triggers():
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgres else ""))
        if postgres:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.drop_table("plan_tallies")
    op.drop_index("ix_checkins_plan_id_occurrence_date_id_kind_status", table_name="checkins")
