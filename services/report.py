"""The HR organisation report: every plan in figures, what is overdue, and a per-plan CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import Session

from models import (
    Author,
    Checkin,
    CheckinGoalStatus,
    CheckinKind,
    CheckinStatus,
    Goal,
    GoalStatus,
    Outcome,
    Plan,
    PlanStatus,
    SlackUser,
)
from services.access import UNSENT_STATUSES, Actor, may_run_org_report
from services.calendar import business_days_after
from services.checkins import STATUS_LABELS
from services.errors import NotAllowed
from services.plans import OPEN_STATUSES
from services.schedule import NOT_ACKNOWLEDGED_BUSINESS_DAYS
from services.users import Profile

REFUSAL = "Only HR can run the report."
# An answer waits for the manager's review this many business days before it counts as overdue.
REVIEW_OVERDUE_BUSINESS_DAYS = 2
COMPLETED_CHECKIN_STATUSES = (CheckinStatus.ANSWERED, CheckinStatus.REVIEWED)
# A spreadsheet reads a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

CSV_COLUMNS = (
    "plan_id",
    "employee_id",
    "employee_name",
    "manager_id",
    "manager_name",
    "status",
    "start_date",
    "end_date",
    "acknowledged",
    "acknowledged_on",
    "checkins_due",
    "checkins_completed",
    "checkins_missed",
    "latest_goal_statuses",
    "goal_statuses_as_of",
    "goal_statuses_by",
    "outcome",
    "outcome_effective_date",
)


@dataclass(frozen=True)
class Overdue:
    """Something late: how many items, and the public ids of the open plans they belong to."""

    count: int = 0  # items: plans, or check-ins (a plan may have several)
    plan_ids: tuple[str, ...] = ()  # distinct, sorted


@dataclass(frozen=True)
class OrgReport:
    """The organisation's plans in figures on `today`; every definition is beside its field."""

    today: date
    plans_total: int
    # Open plans (active, acknowledged, extended) by status; every open status is a key.
    open_by_status: dict[PlanStatus, int]
    open_total: int
    # Acknowledgement: plans whose *current* version the employee acknowledged (acknowledged_at
    # on or after ack_requested_at, as services.plans.is_acknowledged) over every plan sent,
    # except cancelled ones (often withdrawn before the employee could answer). None when 0.
    acknowledged: int
    acknowledgement_base: int
    acknowledgement_rate: float | None
    # Check-ins: scheduled check-ins (not unscheduled reviews) dated on or before `today` and
    # not skipped, over every plan, open or closed. Completed = answered or reviewed (a review
    # completes a check-in the employee did not answer). Rate = completed / due, None when 0.
    checkins_due: int
    checkins_completed: int
    checkins_missed: int
    checkin_completion_rate: float | None
    # Closed plans by outcome; every outcome is a key.
    outcomes: dict[Outcome, int]
    # successful / (successful + unsuccessful); cancelled plans decided nothing. None when 0.
    success_rate: float | None
    # Calendar days from start_date to outcome_effective_date (end_date when there is none),
    # averaged over every closed plan, cancelled ones included. None when none is closed.
    average_closed_length_days: float | None
    # Calendar days from start_date to the current end_date (extensions included), averaged
    # over every plan. A 60-day preset is 60. None when there are no plans.
    average_planned_length_days: float | None
    # Overdue lists look at open plans only: closed plans need no action.
    # Open plans whose current version is not acknowledged on or after the 5th business day
    # after the UTC date of ack_requested_at (the day the "not acknowledged" notice goes out).
    overdue_acknowledgements: Overdue
    # Scheduled check-ins of open plans with status missed (count = check-ins).
    missed_checkins: Overdue
    # Check-ins of open plans answered but not reviewed, when `today` is more than 2 business
    # days after the answer's UTC date (the occurrence date when the answer was a thread reply,
    # which stores no time). Count = check-ins.
    unreviewed_checkins: Overdue
    # Open plans whose end_date is before `today` (no outcome recorded, as they are open).
    past_end_date: Overdue


@dataclass
class _CheckinCounts:
    due: int = 0
    completed: int = 0
    missed: int = 0


@dataclass(frozen=True)
class _PlanFacts:
    id: int
    public_id: str
    employee_id: str
    manager_id: str
    status: PlanStatus
    outcome: Outcome | None
    start_date: date
    end_date: date
    outcome_effective_date: date | None
    ack_requested_at: datetime
    acknowledged_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_acknowledged(self) -> bool:
        # The rule of services.plans.is_acknowledged, on plain columns instead of a Plan.
        return self.acknowledged_at is not None and self.acknowledged_at >= self.ack_requested_at


@dataclass(frozen=True)
class _GoalMarks:
    as_of: date
    author: Author
    statuses: list[tuple[int, GoalStatus]] = field(default_factory=list)  # (position, status)


def _require_hr(actor: Actor) -> None:
    if not may_run_org_report(actor):
        raise NotAllowed(REFUSAL)


def _plans(db: Session) -> list[_PlanFacts]:
    """Every sent plan's reported columns in one query (no ORM objects, no relationships);
    drafts, withdrawn or not, never reached an employee and are not reported."""
    rows = db.execute(
        select(
            Plan.id,
            Plan.public_id,
            Plan.employee_id,
            Plan.manager_id,
            Plan.status,
            Plan.outcome,
            Plan.start_date,
            Plan.end_date,
            Plan.outcome_effective_date,
            Plan.ack_requested_at,
            Plan.acknowledged_at,
        )
        .where(Plan.status.not_in(UNSENT_STATUSES))
        .order_by(Plan.id)
    )
    return [_PlanFacts(*row) for row in rows]


def _checkin_counts(db: Session, today: date) -> dict[int, _CheckinCounts]:
    """Due, completed and missed scheduled check-ins of every plan, in one grouped query."""
    completed = func.sum(case((Checkin.status.in_(COMPLETED_CHECKIN_STATUSES), 1), else_=0))
    missed = func.sum(case((Checkin.status == CheckinStatus.MISSED, 1), else_=0))
    rows = db.execute(
        select(Checkin.plan_id, func.count(), completed, missed)
        .where(
            Checkin.kind == CheckinKind.SCHEDULED,
            Checkin.occurrence_date <= today,
            Checkin.status != CheckinStatus.SKIPPED,
        )
        .group_by(Checkin.plan_id)
    )
    return {
        plan_id: _CheckinCounts(int(due), int(done or 0), int(lost or 0))
        for plan_id, due, done, lost in rows
    }


def _unreviewed_overdue(db: Session, today: date) -> list[int]:
    """The plan id of each answered, unreviewed check-in of an open plan waiting too long."""
    rows = db.execute(
        select(Checkin.plan_id, Checkin.occurrence_date, Checkin.employee_submitted_at)
        .join(Plan, Plan.id == Checkin.plan_id)
        .where(Checkin.status == CheckinStatus.ANSWERED, Plan.status.in_(OPEN_STATUSES))
    )
    late: list[int] = []
    for plan_id, occurrence, submitted_at in rows:
        answered_on = submitted_at.date() if submitted_at is not None else occurrence
        if today > business_days_after(answered_on, REVIEW_OVERDUE_BUSINESS_DAYS):
            late.append(plan_id)
    return late


def _overdue(plan_ids: Iterable[int], public_ids: dict[int, str]) -> Overdue:
    """`plan_ids` has one entry per overdue item (repeats allowed)."""
    items = [public_ids[plan_id] for plan_id in plan_ids]
    return Overdue(count=len(items), plan_ids=tuple(sorted(set(items))))


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _mean(values: list[int]) -> float | None:
    return sum(values) / len(values) if values else None


def org_report(db: Session, actor: Actor, today: date) -> OrgReport:
    """The organisation report on `today` (HR only; NotAllowed for anyone else)."""
    _require_hr(actor)
    plans = _plans(db)
    counts = _checkin_counts(db, today)
    public_ids = {p.id: p.public_id for p in plans}
    open_plans = [p for p in plans if p.is_open]
    closed = [p for p in plans if p.status == PlanStatus.CLOSED]

    open_by_status = {status: 0 for status in OPEN_STATUSES}
    for plan in open_plans:
        open_by_status[plan.status] += 1

    sent = [p for p in plans if p.outcome != Outcome.CANCELLED]
    acknowledged = sum(1 for p in sent if p.is_acknowledged)

    totals = _CheckinCounts()
    for tally in counts.values():
        totals.due += tally.due
        totals.completed += tally.completed
        totals.missed += tally.missed

    outcomes = {outcome: 0 for outcome in Outcome}
    for plan in closed:
        if plan.outcome is not None:
            outcomes[plan.outcome] += 1
    decided = outcomes[Outcome.SUCCESSFUL] + outcomes[Outcome.UNSUCCESSFUL]

    ack_late = [
        p.id
        for p in open_plans
        if not p.is_acknowledged
        and today >= business_days_after(p.ack_requested_at.date(), NOT_ACKNOWLEDGED_BUSINESS_DAYS)
    ]
    missed = [p.id for p in open_plans for _ in range(counts.get(p.id, _CheckinCounts()).missed)]

    return OrgReport(
        today=today,
        plans_total=len(plans),
        open_by_status=open_by_status,
        open_total=len(open_plans),
        acknowledged=acknowledged,
        acknowledgement_base=len(sent),
        acknowledgement_rate=_rate(acknowledged, len(sent)),
        checkins_due=totals.due,
        checkins_completed=totals.completed,
        checkins_missed=totals.missed,
        checkin_completion_rate=_rate(totals.completed, totals.due),
        outcomes=outcomes,
        success_rate=_rate(outcomes[Outcome.SUCCESSFUL], decided),
        average_closed_length_days=_mean(
            [((p.outcome_effective_date or p.end_date) - p.start_date).days for p in closed]
        ),
        average_planned_length_days=_mean([(p.end_date - p.start_date).days for p in plans]),
        overdue_acknowledgements=_overdue(ack_late, public_ids),
        missed_checkins=_overdue(missed, public_ids),
        unreviewed_checkins=_overdue(_unreviewed_overdue(db, today), public_ids),
        past_end_date=_overdue([p.id for p in open_plans if p.end_date < today], public_ids),
    )


def _latest_goal_marks(db: Session) -> dict[int, _GoalMarks]:
    """Per plan, the goal statuses of its latest check-in that has any (one query).

    Latest is by occurrence date, then id; scheduled and unscheduled alike. When both people
    marked that check-in, the manager's review is shown rather than the self-assessment.
    """
    ranked = (
        select(
            Checkin.id.label("checkin_id"),
            Checkin.plan_id.label("plan_id"),
            Checkin.occurrence_date.label("occurrence_date"),
            func.row_number()
            .over(
                partition_by=Checkin.plan_id,
                order_by=(Checkin.occurrence_date.desc(), Checkin.id.desc()),
            )
            .label("rank"),
        )
        .where(exists().where(CheckinGoalStatus.checkin_id == Checkin.id))
        .subquery()
    )
    rows = db.execute(
        select(
            ranked.c.plan_id,
            ranked.c.occurrence_date,
            CheckinGoalStatus.author,
            CheckinGoalStatus.status,
            Goal.position,
        )
        .join(CheckinGoalStatus, CheckinGoalStatus.checkin_id == ranked.c.checkin_id)
        .join(Goal, Goal.id == CheckinGoalStatus.goal_id)
        .where(ranked.c.rank == 1)
        .order_by(ranked.c.plan_id, Goal.position)
    )
    by_author: dict[tuple[int, Author], _GoalMarks] = {}
    for plan_id, as_of, author, status, position in rows:
        marks = by_author.setdefault((plan_id, author), _GoalMarks(as_of=as_of, author=author))
        marks.statuses.append((position, status))
    latest: dict[int, _GoalMarks] = {}
    for (plan_id, author), marks in by_author.items():
        if author == Author.MANAGER or plan_id not in latest:
            latest[plan_id] = marks
    return latest


def _goal_summary(marks: _GoalMarks | None) -> str:
    if marks is None:
        return ""
    return "; ".join(
        f"Goal {position + 1}: {STATUS_LABELS[status]}" for position, status in marks.statuses
    )


def report_rows(db: Session, actor: Actor, today: date) -> list[dict[str, str]]:
    """One row of plain text per plan, keyed by CSV_COLUMNS, oldest plan first (HR only)."""
    _require_hr(actor)
    plans = _plans(db)
    counts = _checkin_counts(db, today)
    goal_marks = _latest_goal_marks(db)
    names = _names(db, {p.employee_id for p in plans} | {p.manager_id for p in plans})
    rows: list[dict[str, str]] = []
    for plan in plans:
        tally = counts.get(plan.id, _CheckinCounts())
        marks = goal_marks.get(plan.id)
        acknowledged_on = plan.acknowledged_at if plan.is_acknowledged else None
        rows.append(
            {
                "plan_id": plan.public_id,
                "employee_id": plan.employee_id,
                "employee_name": names.get(plan.employee_id, ""),
                "manager_id": plan.manager_id,
                "manager_name": names.get(plan.manager_id, ""),
                "status": plan.status.value,
                "start_date": plan.start_date.isoformat(),
                "end_date": plan.end_date.isoformat(),
                "acknowledged": "yes" if acknowledged_on else "no",
                "acknowledged_on": acknowledged_on.date().isoformat() if acknowledged_on else "",
                "checkins_due": str(tally.due),
                "checkins_completed": str(tally.completed),
                "checkins_missed": str(tally.missed),
                "latest_goal_statuses": _goal_summary(marks),
                "goal_statuses_as_of": marks.as_of.isoformat() if marks else "",
                "goal_statuses_by": marks.author.value if marks else "",
                "outcome": plan.outcome.value if plan.outcome else "",
                "outcome_effective_date": (
                    plan.outcome_effective_date.isoformat() if plan.outcome_effective_date else ""
                ),
            }
        )
    return rows


def _names(db: Session, user_ids: set[str]) -> dict[str, str]:
    """The names people know these users by, from the cached Slack profiles."""
    if not user_ids:
        return {}
    rows = db.scalars(select(SlackUser).where(SlackUser.user_id.in_(sorted(user_ids))))
    return {row.user_id: Profile.from_row(row).display_name for row in rows}


def spreadsheet_safe(value: str) -> str:
    """`value` with a leading `'` when a spreadsheet would run it as a formula."""
    return f"'{value}" if value.startswith(FORMULA_PREFIXES) else value


def report_csv(db: Session, actor: Actor, today: date) -> str:
    """The per-plan rows as CSV text with a header row, safe to open in a spreadsheet (HR only)."""
    rows = report_rows(db, actor, today)
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([spreadsheet_safe(row[column]) for column in CSV_COLUMNS])
    return out.getvalue()
