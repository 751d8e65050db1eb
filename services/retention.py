"""Retention and legal hold: closed plans deleted after RETENTION_DAYS, unless HR holds them.

A deletion removes the plan and every row that belongs to it (goals, steps, check-ins and
their statuses, history events, deliveries, and whatever later tables point at a plan), found
through the schema's foreign keys so that a new table is never forgotten. A tombstone stays.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Table, delete, func, select
from sqlalchemy.orm import Session

from models import Base, DeliveryKind, EventKind, Plan, PlanStatus, Tombstone
from services import audit, locks
from services.access import Actor, Permission
from services.errors import UsageError
from services.outbox import enqueue
from services.plans import get_plan

REASON_MAX = 500
LOCK = "pip:retention"


def hold(db: Session, actor: Actor, public_id: str, reason: str, now: datetime) -> Plan:
    """Put a plan on legal hold, with a reason (HR only; recorded in the history)."""
    plan = get_plan(db, actor, public_id, Permission.HOLD)
    cleaned = " ".join(reason.split())
    if not cleaned:
        raise UsageError(
            f"Say why plan {plan.public_id} is held: `/pip hold {plan.public_id} <reason>`."
        )
    if len(cleaned) > REASON_MAX:
        raise UsageError(f"Keep the reason to {REASON_MAX} characters (it has {len(cleaned)}).")
    locks.hold(db, f"pip:plan:{plan.id}:hold")
    db.refresh(plan)
    if plan.legal_hold_at is not None:
        raise UsageError(
            f"Plan {plan.public_id} is already on legal hold. To change the reason, release it "
            "with `/pip release` and hold it again."
        )
    plan.legal_hold_at = now
    plan.legal_hold_by = actor.user_id
    plan.legal_hold_reason = cleaned
    audit.append_event(db, plan, actor.user_id, EventKind.LEGAL_HOLD, {"reason": cleaned})
    return plan


def release(db: Session, actor: Actor, public_id: str, now: datetime) -> Plan:
    """End a plan's legal hold (HR only; recorded in the history)."""
    plan = get_plan(db, actor, public_id, Permission.HOLD)
    locks.hold(db, f"pip:plan:{plan.id}:hold")
    db.refresh(plan)
    if plan.legal_hold_at is None:
        raise UsageError(f"Plan {plan.public_id} is not on legal hold.")
    held_since = plan.legal_hold_at
    plan.legal_hold_at = None
    plan.legal_hold_by = None
    plan.legal_hold_reason = None
    audit.append_event(db, plan, actor.user_id, EventKind.HOLD_RELEASED, {"held_since": held_since})
    return plan


def policy_name(days: int) -> str:
    """The policy as people say it: "7-year", "30-day"."""
    if days % 365 == 0:
        return f"{days // 365}-year"
    return f"{days}-day"


def cutoff(now: datetime, days: int) -> datetime:
    """Plans closed before this instant are past retention."""
    return now - timedelta(days=days)


def due(db: Session, now: datetime, days: int) -> list[Plan]:
    """Closed plans past retention and not on legal hold, oldest close first."""
    return list(
        db.scalars(
            select(Plan)
            .where(
                Plan.status == PlanStatus.CLOSED,
                Plan.closed_at.is_not(None),
                Plan.closed_at < cutoff(now, days),
                Plan.legal_hold_at.is_(None),
            )
            .order_by(Plan.closed_at, Plan.id)
        )
    )


def held_past_retention(db: Session, now: datetime, days: int) -> int:
    """How many closed plans past retention are kept only by a legal hold."""
    return int(
        db.scalar(
            select(func.count()).where(
                Plan.status == PlanStatus.CLOSED,
                Plan.closed_at < cutoff(now, days),
                Plan.legal_hold_at.is_not(None),
            )
        )
        or 0
    )


def _owned(table: Table, ids: Any) -> Iterator[tuple[Table, Any]]:
    """(table, where clause) for every row that hangs off `table` rows whose id is in `ids`,
    children before their parents, found through the foreign keys."""
    for child in Base.metadata.sorted_tables:
        for key in child.foreign_keys:
            if key.column.table is not table or key.parent.table is not child:
                continue
            where = key.parent.in_(ids)
            primary = list(child.primary_key.columns)
            if len(primary) == 1:
                yield from _owned(child, select(primary[0]).where(where).scalar_subquery())
            yield child, where


@dataclass(frozen=True)
class Deleted:
    """One plan deleted: its tombstone and how many rows went, per table."""

    tombstone: Tombstone
    rows: dict[str, int]


def delete_plan(db: Session, plan: Plan, now: datetime, policy: str) -> Deleted:
    """Delete `plan` and everything that belongs to it, leaving a tombstone (caller commits)."""
    events = audit.history(db, plan)
    tombstone = Tombstone(
        public_id=plan.public_id,
        team_id=plan.team_id,
        start_date=plan.start_date,
        end_date=plan.end_date,
        outcome=plan.outcome.value if plan.outcome else None,
        closed_at=plan.closed_at,
        deleted_at=now,
        policy=policy,
        events=len(events),
        last_hash=events[-1].hash if events else audit.GENESIS,
    )
    plan_id = plan.id
    plans = Base.metadata.tables["plans"]
    rows: dict[str, int] = {}
    db.expunge(plan)  # the ORM's own cascade and the append-only guard are not involved
    for table, where in _owned(plans, select(plans.c.id).where(plans.c.id == plan_id)):
        result = db.execute(delete(table).where(where))
        rows[table.name] = rows.get(table.name, 0) + int(getattr(result, "rowcount", 0) or 0)
    db.execute(delete(plans).where(plans.c.id == plan_id))
    rows["plans"] = 1
    db.add(tombstone)
    db.flush()
    return Deleted(tombstone, rows)


@dataclass(frozen=True)
class PurgeRun:
    """What one retention run deleted (or, dry, would delete)."""

    days: int
    before: date
    deleted: list[str]
    held: int


def purge(
    db: Session,
    now: datetime,
    days: int,
    *,
    hr_channel_id: str | None,
    dry_run: bool = False,
) -> PurgeRun:
    """Delete every closed plan past retention and not held; one HR line per run that deleted.

    The caller commits. `dry_run` changes nothing and says what a run would delete.
    """
    if not dry_run:
        locks.hold(db, LOCK)  # replicas running housekeeping together take turns
    plans = due(db, now, days)
    before = cutoff(now, days).date()
    found = PurgeRun(days, before, [p.public_id for p in plans], held_past_retention(db, now, days))
    if dry_run or not plans:
        return found
    policy = f"{policy_name(days)} retention policy (RETENTION_DAYS={days})"
    for plan in plans:
        delete_plan(db, plan, now, policy)
    if hr_channel_id:
        enqueue(
            db,
            key=f"retention:{hr_channel_id}:{now:%Y%m%dT%H%M%S}",
            kind=DeliveryKind.RETENTION_NOTICE,
            recipient_id=hr_channel_id,
            due_at=now,
            plan_id=None,
            payload={
                "deleted": len(plans),
                "before": before.isoformat(),
                "days": days,
                "held": found.held,
            },
        )
    return found
