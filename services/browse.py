"""Reading plans: lists with what needs doing, and the whole of one plan."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from models import Author, Checkin, GoalStatus, Plan, PlanEvent, PlanPause, PlanStatus
from services import lists, tallies
from services.access import UNSENT_STATUSES, Action, Actor, may, may_run_org_report
from services.errors import NotAllowed, UsageError
from services.lists import ListKey
from services.pauses import pauses_of
from services.plan_facts import PlanLine, plan_lines
from services.plans import OPEN_STATUSES, get_plan

PAGE_SIZE = 15


class Scope(StrEnum):
    """Which plans a list shows."""

    MINE = "mine"
    ALL = "all"
    ACTIVE = "active"
    CLOSED = "closed"
    DRAFTS = "drafts"


@dataclass(frozen=True)
class PlanPage:
    """One page of a plan list."""

    scope: Scope
    page: int
    pages: int
    total: int
    lines: list[PlanLine]
    viewer_id: str = ""

    @property
    def first_key(self) -> ListKey | None:
        """The list key of the first line (what Previous seeks before)."""
        return lists.key_of(self.lines[0].plan) if self.lines else None

    @property
    def last_key(self) -> ListKey | None:
        """The list key of the last line (what More seeks after)."""
        return lists.key_of(self.lines[-1].plan) if self.lines else None


def parse_scope(text: str) -> tuple[Scope, int]:
    """`/pip list [all|active|closed|drafts] [page]` arguments; UsageError for anything else."""
    scope, page = Scope.MINE, 1
    for word in text.lower().split():
        if word.isdigit() and int(word) >= 1:
            page = int(word)
        elif word in {s.value for s in Scope if s != Scope.MINE}:
            scope = Scope(word)
        else:
            raise UsageError(
                f"“{word}” is not something I can list. Try `/pip list`, or for HR "
                "`/pip list all`, `/pip list active`, `/pip list closed` or `/pip list drafts` "
                "(add a page number to skip ahead)."
            )
    return scope, page


def list_plans(
    db: Session,
    actor: Actor,
    scope: Scope,
    page: int,
    now: datetime,
    page_size: int = PAGE_SIZE,
    *,
    after: ListKey | None = None,
    before: ListKey | None = None,
) -> PlanPage:
    """A page of the plans `actor` may list: their own, or (HR) all, active or closed.

    Plans are in list order (open before closed, then by end date and id). The page
    buttons carry the key of the line next to the page they ask for (`after`, `before`),
    so turning a page is an index seek however many plans there are (lists.py); a page
    number typed by hand is found from the nearer end.
    """
    where: list[ColumnElement[bool]] = []
    if scope == Scope.MINE:
        # An employee's own plan is listed only once it was sent; drafts are the manager's.
        where.append(
            or_(
                Plan.manager_id == actor.user_id,
                and_(Plan.employee_id == actor.user_id, Plan.status.not_in(UNSENT_STATUSES)),
            )
        )
    elif not may_run_org_report(actor):
        raise NotAllowed("Only HR can list every plan. `/pip list` shows yours.")
    elif scope == Scope.ACTIVE:
        where.append(Plan.status.in_(OPEN_STATUSES))
    elif scope == Scope.CLOSED:
        where.append(Plan.status == PlanStatus.CLOSED)
    elif scope == Scope.DRAFTS:
        where.append(Plan.status == PlanStatus.DRAFT)
    if scope != Scope.MINE:  # a draft about an HR person is never shown to them
        where.append(or_(Plan.employee_id != actor.user_id, Plan.status.not_in(UNSENT_STATUSES)))
    total = _total(db, actor, scope, where)
    pages = max(1, -(-total // page_size))
    page = min(max(page, 1), pages)
    plans = lists.page_of(db, where, page, pages, total, page_size, after=after, before=before)
    lines = plan_lines(db, plans, now)
    return PlanPage(scope, page, pages, total, lines, actor.user_id)


def _total(db: Session, actor: Actor, scope: Scope, where: list[ColumnElement[bool]]) -> int:
    """How many plans the list has. HR's lists start from the running totals (a sum over a
    few rows, services/tallies.py) less the HR person's own unsent plans (an index seek),
    so "Page N of M" does not count every plan; a person's own list is counted."""
    if scope == Scope.MINE:
        return int(db.scalar(select(func.count()).select_from(Plan).where(*where)) or 0)
    totals = tallies.read(db)
    if scope == Scope.ACTIVE:
        return totals.open_plans
    if scope == Scope.CLOSED:
        return totals.closed
    hidden = (
        Plan.status == PlanStatus.DRAFT
        if scope == Scope.DRAFTS
        else Plan.status.in_(UNSENT_STATUSES)
    )
    own = int(db.scalar(select(func.count()).where(Plan.employee_id == actor.user_id, hidden)) or 0)
    everything = totals.draft if scope == Scope.DRAFTS else totals.plans
    return everything - own


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
    for_hr: bool = False  # HR sees the legal hold
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
        for_hr=may(actor, Action.HOLD, plan),
        pauses=pauses_of(db, plan),
    )
