"""What a list line says about each plan, computed for a whole page in two queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import (
    Checkin,
    CheckinStatus,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Plan,
    PlanPause,
    PlanStatus,
)
from services.calendar import add_business_days
from services.pauses import open_pauses
from services.plans import is_acknowledged
from services.schedule import NOT_ACKNOWLEDGED_BUSINESS_DAYS

ENDING_SOON_DAYS = 7
EMPLOYEE_ITEMS = ("not acknowledged", "missed check-in(s)")


@dataclass(frozen=True)
class PlanLine:
    """One plan in a list, with what is next and what is overdue."""

    plan: Plan
    acknowledged: bool
    next_checkin: datetime | None
    overdue: list[str]
    ends_in_days: int | None = None  # for an open plan ending within a week
    overdue_for_employee: list[str] = field(default_factory=list)
    pause: PlanPause | None = None  # the open pause of a paused plan


def plan_lines(db: Session, plans: Sequence[Plan], now: datetime) -> list[PlanLine]:
    """Each of `plans` with its acknowledgement, next check-in and what is overdue.

    Two queries for the whole page, whatever its length: the next pending prompt of each
    plan (deliveries by plan and status) and each plan's check-ins counted by status
    (checkins by plan and status); a third for the open pauses when the page has paused plans.
    """
    open_ids = [p.id for p in plans if p.status != PlanStatus.CLOSED]
    next_prompt: dict[int, datetime] = {}
    counts: dict[int, dict[CheckinStatus, int]] = defaultdict(dict)
    if open_ids:
        next_prompt = {
            plan_id: due
            for plan_id, due in db.execute(
                select(Delivery.plan_id, func.min(Delivery.due_at))
                .where(
                    Delivery.plan_id.in_(open_ids),
                    Delivery.status == DeliveryStatus.PENDING,
                    Delivery.kind == DeliveryKind.CHECKIN_PROMPT,
                )
                .group_by(Delivery.plan_id)
            )
            if plan_id is not None
        }
        for plan_id, status, count in db.execute(
            select(Checkin.plan_id, Checkin.status, func.count())
            .where(
                Checkin.plan_id.in_(open_ids),
                Checkin.status.in_([CheckinStatus.ANSWERED, CheckinStatus.MISSED]),
            )
            .group_by(Checkin.plan_id, Checkin.status)
        ):
            counts[plan_id][status] = int(count)
    pauses = open_pauses(db, [p.id for p in plans if p.status == PlanStatus.PAUSED])
    return [
        _line(p, now, next_prompt.get(p.id), counts.get(p.id, {}), pauses.get(p.id)) for p in plans
    ]


def plan_line(db: Session, plan: Plan, now: datetime) -> PlanLine:
    """`plan` with its acknowledgement, next check-in and what is overdue."""
    return plan_lines(db, [plan], now)[0]


def _overdue(plan: Plan, now: datetime, counts: dict[CheckinStatus, int]) -> list[str]:
    if plan.status in (PlanStatus.CLOSED, PlanStatus.DRAFT, PlanStatus.WITHDRAWN):
        return []
    items: list[str] = []
    late_ack = add_business_days(plan.ack_requested_at, NOT_ACKNOWLEDGED_BUSINESS_DAYS, "UTC")
    paused = plan.status == PlanStatus.PAUSED  # its clock stands still: nothing runs late
    if not is_acknowledged(plan) and now >= late_ack and not paused:
        items.append("not acknowledged")
    if counts.get(CheckinStatus.ANSWERED):
        items.append(f"{counts[CheckinStatus.ANSWERED]} check-in(s) to review")
    if counts.get(CheckinStatus.MISSED):
        items.append(f"{counts[CheckinStatus.MISSED]} missed check-in(s)")
    if plan.end_date < now.date() and not paused:
        items.append("outcome not recorded")
    return items


def _line(
    plan: Plan,
    now: datetime,
    next_prompt: datetime | None,
    counts: dict[CheckinStatus, int],
    pause: PlanPause | None,
) -> PlanLine:
    is_open = plan.status not in (PlanStatus.CLOSED, PlanStatus.DRAFT, PlanStatus.WITHDRAWN)
    days_left = (plan.end_date - now.date()).days
    overdue = _overdue(plan, now, counts)
    return PlanLine(
        plan=plan,
        acknowledged=is_acknowledged(plan),
        next_checkin=next_prompt if is_open else None,
        overdue=overdue,
        ends_in_days=days_left if is_open and 0 <= days_left <= ENDING_SOON_DAYS else None,
        overdue_for_employee=[i for i in overdue if i.endswith(EMPLOYEE_ITEMS)],
        pause=pause,
    )
