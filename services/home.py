"""What a person's App Home shows: their plan, the plans they run, the organisation (HR)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from models import Checkin, CheckinStatus, Plan, PlanStatus, Review
from services import tallies
from services.access import Actor, may_run_org_report
from services.plan_facts import PlanLine, plan_line, plan_lines
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


def _status(db: Session) -> ColumnElement[Any] | InstrumentedAttribute[CheckinStatus]:
    """Checkin.status for a filter that must not pick the (status, date) index on SQLite.

    SQLite would rather walk every check-in with that status in date order (it serves the
    ORDER BY) than look up this person's few plans; `status || ''` is the documented way to
    keep a term from using an index there. PostgreSQL chooses well on its own.
    """
    if db.get_bind().dialect.name == "sqlite":
        return Checkin.status.concat("")
    return Checkin.status


def home_data(db: Session, actor: Actor, now: datetime) -> HomeData:
    """The Home tab's content for `actor`, bounded whatever the number of plans."""
    data = HomeData()
    open_plan = Plan.status.in_(OPEN_STATUSES)
    for plan in db.scalars(select(Plan).where(Plan.employee_id == actor.user_id, open_plan)):
        checkin = db.scalar(
            select(Checkin)
            .where(
                Checkin.plan_id == plan.id,
                _status(db).in_([CheckinStatus.PENDING, CheckinStatus.ANSWERED]),
            )
            .order_by(Checkin.occurrence_date.desc())
            .limit(1)
        )
        data.own.append(OwnPlan(plan_line(db, plan, now), checkin))
    managed = select(Plan).where(Plan.manager_id == actor.user_id, open_plan)
    data.managing_total = int(db.scalar(select(func.count()).select_from(managed.subquery())) or 0)
    data.managing = plan_lines(
        db, list(db.scalars(managed.order_by(Plan.end_date, Plan.id).limit(HOME_LIST_LIMIT))), now
    )
    # From the manager's open plans to their answered check-ins (plans by manager, then
    # check-ins by plan and status), never from every answered check-in there is.
    mine = select(Plan.id).where(Plan.manager_id == actor.user_id, open_plan)
    data.to_review = list(
        db.scalars(
            select(Checkin)
            .where(Checkin.plan_id.in_(mine), _status(db).in_([CheckinStatus.ANSWERED]))
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
    """Open plans, not acknowledged, missed and unreviewed check-ins, ending within 7 days.

    The counts are the running totals (services/tallies.py: one sum over a few rows); the
    plans ending this week and the three short lists seek the open plans in end-date order
    (`ix_plans_open_end_date_id`) and stop early. None reads the history of closed plans,
    and none counts the open plans one by one.
    """
    today = now.date()
    totals = tallies.read(db)
    # `status <> 'closed'` is the partial index's own condition: with it, SQLite too knows
    # the index holds every row asked for.
    open_plan = and_(Plan.status != PlanStatus.CLOSED, Plan.status.in_(OPEN_STATUSES))
    unacknowledged = or_(
        Plan.acknowledged_at.is_(None), Plan.acknowledged_at < Plan.ack_requested_at
    )
    ending = and_(Plan.end_date >= today, Plan.end_date <= today + timedelta(days=7))
    ending_this_week = db.scalar(select(func.count()).where(open_plan, ending))
    with_missed = (
        select(Checkin.id)
        .where(Checkin.plan_id == Plan.id, Checkin.status == CheckinStatus.MISSED)
        .exists()
    )
    attention: list[tuple[str, Plan]] = []
    for label, where in (
        ("missed check-ins", with_missed),
        ("not acknowledged", unacknowledged),
        ("ending within 7 days", ending),
    ):
        query = (
            select(Plan)
            .where(open_plan, where)
            .order_by(Plan.end_date, Plan.id)
            .limit(ATTENTION_LIMIT)
        )
        attention += [(label, plan) for plan in db.scalars(query)]
    return OrgCounts(
        open_plans=totals.open_plans,
        not_acknowledged=totals.not_acknowledged,
        missed_checkins=totals.missed_checkins,
        awaiting_review=totals.awaiting_review,
        ending_this_week=int(ending_this_week or 0),
        attention=attention,
        on_legal_hold=totals.legal_hold,
    )
