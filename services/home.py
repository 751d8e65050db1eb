"""What a person's App Home shows: their plan, the plans they run, the organisation (HR)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from models import Checkin, CheckinStatus, Plan, PlanStatus, Review
from services.access import Actor, may_run_org_report
from services.browse import PlanLine, plan_line
from services.plans import OPEN_STATUSES

HOME_LIST_LIMIT = 15
REVIEW_LIMIT = 5
ATTENTION_LIMIT = 5


@dataclass(frozen=True)
class OwnPlan:
    """The employee's own open plan, with the check-in they can answer now (if any)."""

    line: PlanLine
    open_checkin: Checkin | None


@dataclass(frozen=True)
class OrgCounts:
    """HR's figures for the whole organisation."""

    open_plans: int
    not_acknowledged: int
    missed_checkins: int
    awaiting_review: int
    ending_this_week: int
    attention: list[tuple[str, Plan]] = field(default_factory=list)
    on_legal_hold: int = 0


@dataclass
class HomeData:
    """Everything one person's Home tab shows."""

    own: list[OwnPlan] = field(default_factory=list)
    managing: list[PlanLine] = field(default_factory=list)
    managing_total: int = 0
    to_review: list[Checkin] = field(default_factory=list)
    org: OrgCounts | None = None
    drafts: list[Plan] = field(default_factory=list)  # the person's own unsent drafts
    awaiting_approval: list[Plan] = field(default_factory=list)  # HR: drafts to decide
    awaiting_approval_total: int = 0


def home_data(db: Session, actor: Actor, now: datetime) -> HomeData:
    """The Home tab's content for `actor`, bounded whatever the number of plans."""
    data = HomeData()
    open_plan = Plan.status.in_(OPEN_STATUSES)
    for plan in db.scalars(select(Plan).where(Plan.employee_id == actor.user_id, open_plan)):
        checkin = db.scalar(
            select(Checkin)
            .where(
                Checkin.plan_id == plan.id,
                Checkin.status.in_([CheckinStatus.PENDING, CheckinStatus.ANSWERED]),
            )
            .order_by(Checkin.occurrence_date.desc())
            .limit(1)
        )
        data.own.append(OwnPlan(plan_line(db, plan, now), checkin))
    managed = select(Plan).where(Plan.manager_id == actor.user_id, open_plan)
    data.managing_total = int(db.scalar(select(func.count()).select_from(managed.subquery())) or 0)
    data.managing = [
        plan_line(db, p, now)
        for p in db.scalars(managed.order_by(Plan.end_date, Plan.id).limit(HOME_LIST_LIMIT))
    ]
    data.to_review = list(
        db.scalars(
            select(Checkin)
            .join(Plan, Plan.id == Checkin.plan_id)
            .where(Plan.manager_id == actor.user_id, open_plan)
            .where(Checkin.status == CheckinStatus.ANSWERED)
            .order_by(Checkin.occurrence_date)
            .limit(REVIEW_LIMIT)
        )
    )
    data.drafts = list(
        db.scalars(
            select(Plan)
            .where(Plan.manager_id == actor.user_id, Plan.status == PlanStatus.DRAFT)
            .order_by(Plan.created_at, Plan.id)
            .limit(HOME_LIST_LIMIT)
        )
    )
    if may_run_org_report(actor):
        data.org = org_counts(db, now)
        waiting = select(Plan).where(
            Plan.status == PlanStatus.DRAFT,
            Plan.review == Review.PENDING,
            Plan.manager_id != actor.user_id,
            Plan.employee_id != actor.user_id,
        )
        data.awaiting_approval_total = int(
            db.scalar(select(func.count()).select_from(waiting.subquery())) or 0
        )
        data.awaiting_approval = list(
            db.scalars(waiting.order_by(Plan.updated_at, Plan.id).limit(ATTENTION_LIMIT))
        )
    return data


def org_counts(db: Session, now: datetime) -> OrgCounts:
    """Open plans, not acknowledged, missed and unreviewed check-ins, ending within 7 days."""
    today = now.date()
    open_plan = Plan.status.in_(OPEN_STATUSES)

    def count(*where: object) -> int:
        return int(db.scalar(select(func.count()).select_from(Plan).where(*where)) or 0)  # type: ignore[arg-type]

    def checkins(status: CheckinStatus) -> int:
        query = (
            select(func.count())
            .select_from(Checkin)
            .join(Plan, Plan.id == Checkin.plan_id)
            .where(open_plan, Checkin.status == status)
        )
        return int(db.scalar(query) or 0)

    unacknowledged = or_(
        Plan.acknowledged_at.is_(None), Plan.acknowledged_at < Plan.ack_requested_at
    )
    ending = (Plan.end_date >= today, Plan.end_date <= today + timedelta(days=7))
    with_missed = Plan.id.in_(select(Checkin.plan_id).where(Checkin.status == CheckinStatus.MISSED))
    attention: list[tuple[str, Plan]] = []
    for label, where in (
        ("missed check-ins", (with_missed,)),
        ("not acknowledged", (unacknowledged,)),
        ("ending within 7 days", ending),
    ):
        query = select(Plan).where(open_plan, *where).order_by(Plan.end_date).limit(ATTENTION_LIMIT)
        attention += [(label, plan) for plan in db.scalars(query)]
    return OrgCounts(
        open_plans=count(open_plan),
        not_acknowledged=count(open_plan, unacknowledged),
        missed_checkins=checkins(CheckinStatus.MISSED),
        awaiting_review=checkins(CheckinStatus.ANSWERED),
        ending_this_week=count(open_plan, *ending),
        attention=attention,
        on_legal_hold=int(
            db.scalar(select(func.count()).where(Plan.legal_hold_at.is_not(None))) or 0
        ),
    )
