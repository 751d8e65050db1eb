"""The organisation's totals from `plan_tallies` (kept by triggers, migration 0018).

Reading them is one sum over a few rows, whatever the number of plans: HR Home's counts
and the totals behind "Page N of M" come from here instead of counting plans and their
check-ins. `settle` (daily housekeeping) recounts them from the plans and check-ins and
leaves one row, which also mends any drift.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from sqlalchemy import delete, func, insert, or_, select, text
from sqlalchemy.orm import Session

from models import Checkin, CheckinStatus, Plan, PlanStatus, PlanTally
from services.plans import OPEN_STATUSES


@dataclass(frozen=True)
class Tallies:
    """Plans by status, and the open plans' figures HR Home shows."""

    draft: int = 0
    withdrawn: int = 0
    active: int = 0
    acknowledged: int = 0
    extended: int = 0
    paused: int = 0
    closed: int = 0
    not_acknowledged: int = 0  # open plans whose current version is not acknowledged
    missed_checkins: int = 0  # missed check-ins of open plans
    awaiting_review: int = 0  # answered check-ins of open plans
    legal_hold: int = 0  # plans on legal hold

    def by_status(self, status: PlanStatus) -> int:
        """Plans with `status`."""
        return int(getattr(self, status.value))

    @property
    def open_plans(self) -> int:
        """Plans active, acknowledged, extended or paused."""
        return sum(self.by_status(status) for status in OPEN_STATUSES)

    @property
    def plans(self) -> int:
        """Every plan, drafts and withdrawn ones included."""
        return sum(self.by_status(status) for status in PlanStatus)


COLUMNS = tuple(f.name for f in fields(Tallies))


def read(db: Session) -> Tallies:
    """The totals now (the sums of every delta row)."""
    sums = db.execute(
        select(*(func.coalesce(func.sum(getattr(PlanTally, c)), 0) for c in COLUMNS))
    ).one()
    return Tallies(*(int(n) for n in sums))


def recount(db: Session) -> Tallies:
    """The totals counted from the plans and check-ins themselves (slow: every plan)."""
    by_status = {
        status: n
        for status, n in db.execute(select(Plan.status, func.count()).group_by(Plan.status))
    }
    open_plan = Plan.status.in_(OPEN_STATUSES)
    unacknowledged = or_(
        Plan.acknowledged_at.is_(None), Plan.acknowledged_at < Plan.ack_requested_at
    )
    of_open = {
        status: n
        for status, n in db.execute(
            select(Checkin.status, func.count())
            .join(Plan, Plan.id == Checkin.plan_id)
            .where(open_plan, Checkin.status.in_([CheckinStatus.MISSED, CheckinStatus.ANSWERED]))
            .group_by(Checkin.status)
        )
    }
    return Tallies(
        **{status.value: int(by_status.get(status, 0)) for status in PlanStatus},
        not_acknowledged=int(db.scalar(select(func.count()).where(open_plan, unacknowledged)) or 0),
        missed_checkins=int(of_open.get(CheckinStatus.MISSED, 0)),
        awaiting_review=int(of_open.get(CheckinStatus.ANSWERED, 0)),
        legal_hold=int(db.scalar(select(func.count()).where(Plan.legal_hold_at.is_not(None))) or 0),
    )


def settle(db: Session) -> Tallies:
    """Replace the delta rows by one row of totals recounted from scratch (the caller commits).

    On PostgreSQL the table is locked against new deltas first, which waits for every
    transaction that added one to end: the recount then sees all of their changes, and a
    change made later adds its delta after the lock is released.
    """
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("LOCK TABLE plan_tallies IN EXCLUSIVE MODE"))
    totals = recount(db)
    db.execute(delete(PlanTally))
    db.execute(insert(PlanTally).values({c: getattr(totals, c) for c in COLUMNS}))
    return totals
