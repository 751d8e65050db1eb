"""Reading plans: lists with what needs doing, and the whole of one plan."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from models import (
    Author,
    Checkin,
    CheckinStatus,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    GoalStatus,
    Plan,
    PlanEvent,
    PlanPause,
    PlanStatus,
)
from services.access import Action, Actor, may, may_run_org_report
from services.calendar import add_business_days
from services.errors import NotAllowed, UsageError
from services.pauses import open_pause, pauses_of
from services.plans import OPEN_STATUSES, get_plan, is_acknowledged
from services.schedule import NOT_ACKNOWLEDGED_BUSINESS_DAYS

PAGE_SIZE = 15
ENDING_SOON_DAYS = 7


class Scope(StrEnum):
    """Which plans a list shows."""

    MINE = "mine"
    ALL = "all"
    ACTIVE = "active"
    CLOSED = "closed"


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


@dataclass(frozen=True)
class PlanPage:
    """One page of a plan list."""

    scope: Scope
    page: int
    pages: int
    total: int
    lines: list[PlanLine]
    viewer_id: str = ""


def parse_scope(text: str) -> tuple[Scope, int]:
    """`/pip list [all|active|closed] [page]` arguments; UsageError for anything else."""
    scope, page = Scope.MINE, 1
    for word in text.lower().split():
        if word.isdigit() and int(word) >= 1:
            page = int(word)
        elif word in {s.value for s in Scope if s != Scope.MINE}:
            scope = Scope(word)
        else:
            raise UsageError(
                f"“{word}” is not something I can list. Try `/pip list`, or for HR "
                "`/pip list all`, `/pip list active` or `/pip list closed` (add a page number "
                "to skip ahead)."
            )
    return scope, page


def list_plans(
    db: Session, actor: Actor, scope: Scope, page: int, now: datetime, page_size: int = PAGE_SIZE
) -> PlanPage:
    """A page of the plans `actor` may list: their own, or (HR) all, active or closed."""
    query = select(Plan)
    if scope == Scope.MINE:
        query = query.where(
            or_(Plan.manager_id == actor.user_id, Plan.employee_id == actor.user_id)
        )
    elif not may_run_org_report(actor):
        raise NotAllowed("Only HR can list every plan. `/pip list` shows yours.")
    elif scope == Scope.ACTIVE:
        query = query.where(Plan.status.in_(OPEN_STATUSES))
    elif scope == Scope.CLOSED:
        query = query.where(Plan.status == PlanStatus.CLOSED)
    total = int(db.scalar(select(func.count()).select_from(query.subquery())) or 0)
    pages = max(1, -(-total // page_size))
    page = min(max(page, 1), pages)
    plans = list(
        db.scalars(
            query.order_by(Plan.status == PlanStatus.CLOSED, Plan.end_date, Plan.id)
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
    )
    lines = [plan_line(db, p, now) for p in plans]
    return PlanPage(scope, page, pages, total, lines, actor.user_id)


def _next_prompt(db: Session, plan: Plan) -> datetime | None:
    return db.scalar(
        select(func.min(Delivery.due_at)).where(
            Delivery.plan_id == plan.id,
            Delivery.kind == DeliveryKind.CHECKIN_PROMPT,
            Delivery.status == DeliveryStatus.PENDING,
        )
    )


EMPLOYEE_ITEMS = ("not acknowledged", "missed check-in(s)")


def overdue_items(db: Session, plan: Plan, now: datetime) -> list[str]:
    """What is late on `plan`, in words a manager acts on (EMPLOYEE_ITEMS concern both)."""
    if plan.status == PlanStatus.CLOSED:
        return []
    items: list[str] = []
    late_ack = add_business_days(plan.ack_requested_at, NOT_ACKNOWLEDGED_BUSINESS_DAYS, "UTC")
    paused = plan.status == PlanStatus.PAUSED  # its clock stands still: nothing runs late
    if not is_acknowledged(plan) and now >= late_ack and not paused:
        items.append("not acknowledged")
    counts = dict(
        db.execute(
            select(Checkin.status, func.count())
            .where(Checkin.plan_id == plan.id)
            .group_by(Checkin.status)
        ).all()
    )
    if counts.get(CheckinStatus.ANSWERED):
        items.append(f"{counts[CheckinStatus.ANSWERED]} check-in(s) to review")
    if counts.get(CheckinStatus.MISSED):
        items.append(f"{counts[CheckinStatus.MISSED]} missed check-in(s)")
    if plan.end_date < now.date() and not paused:
        items.append("outcome not recorded")
    return items


def plan_line(db: Session, plan: Plan, now: datetime) -> PlanLine:
    """`plan` with its acknowledgement, next check-in and what is overdue."""
    is_open = plan.status != PlanStatus.CLOSED
    days_left = (plan.end_date - now.date()).days
    overdue = overdue_items(db, plan, now)
    return PlanLine(
        plan=plan,
        acknowledged=is_acknowledged(plan),
        next_checkin=_next_prompt(db, plan) if is_open else None,
        overdue=overdue,
        ends_in_days=days_left if is_open and 0 <= days_left <= ENDING_SOON_DAYS else None,
        overdue_for_employee=[i for i in overdue if i.endswith(EMPLOYEE_ITEMS)],
        pause=open_pause(db, plan) if plan.status == PlanStatus.PAUSED else None,
    )


@dataclass(frozen=True)
class GoalProgress:
    """A goal with its statuses across check-ins, oldest first (None where not rated)."""

    goal_id: int
    trend: list[GoalStatus | None]

    @property
    def latest(self) -> GoalStatus | None:
        """The most recent status given."""
        rated = [s for s in self.trend if s is not None]
        return rated[-1] if rated else None


@dataclass
class PlanDetail:
    """Everything one person may see of one plan."""

    plan: Plan
    checkins: list[Checkin]
    goals: list[GoalProgress]
    amendments: list[PlanEvent]
    include_private: bool
    today: date = field(default_factory=date.today)
    pauses: list[PlanPause] = field(default_factory=list)


def plan_detail(db: Session, actor: Actor, public_id: str) -> PlanDetail:
    """The plan with its check-ins, goal trends and amendments, as `actor` may see it."""
    plan = get_plan(db, actor, public_id, Action.VIEW)
    checkins = list(
        db.scalars(
            select(Checkin)
            .where(Checkin.plan_id == plan.id)
            .options(selectinload(Checkin.goal_statuses))
            .order_by(Checkin.occurrence_date, Checkin.id)
        )
    )
    goals = []
    for goal in plan.goals:
        trend: list[GoalStatus | None] = []
        for checkin in checkins:
            marks = {(m.goal_id, m.author): m.status for m in checkin.goal_statuses}
            trend.append(
                marks.get((goal.id, Author.MANAGER)) or marks.get((goal.id, Author.EMPLOYEE))
            )
        goals.append(GoalProgress(goal.id, trend))
    amendments = list(
        db.scalars(
            select(PlanEvent)
            .where(PlanEvent.plan_id == plan.id, PlanEvent.kind.in_(["amended", "extended"]))
            .order_by(PlanEvent.sequence)
        )
    )
    return PlanDetail(
        plan=plan,
        checkins=checkins,
        goals=goals,
        amendments=amendments,
        include_private=may(actor, Action.VIEW_PRIVATE_NOTES, plan),
        pauses=pauses_of(db, plan),
    )
