"""The HR organisation report: every plan in figures, what is overdue, and a per-plan CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select, true
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


def require_report_access(actor: Actor) -> None:
    """Refuse (NotAllowed) anyone who may not run the org report."""
    if not may_run_org_report(actor):
        raise NotAllowed(REFUSAL)


_require_hr = require_report_access


_PLAN_COLUMNS = (
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
CSV_CHUNK_PLANS = 2000  # plans per CSV chunk: bounded memory, a few queries per chunk


def _due_checkins(today: date) -> tuple[ColumnElement[bool], ...]:
    return (
        Checkin.kind == CheckinKind.SCHEDULED,
        Checkin.occurrence_date <= today,
        Checkin.status != CheckinStatus.SKIPPED,
    )


def _checkin_counts(
    db: Session, today: date, *where: ColumnElement[bool]
) -> dict[int, _CheckinCounts]:
    """Due, completed and missed scheduled check-ins per plan (of `where`), one grouped query."""
    completed = func.sum(case((Checkin.status.in_(COMPLETED_CHECKIN_STATUSES), 1), else_=0))
    missed = func.sum(case((Checkin.status == CheckinStatus.MISSED, 1), else_=0))
    rows = db.execute(
        select(Checkin.plan_id, func.count(), completed, missed)
        .where(*_due_checkins(today), *where)
        .group_by(Checkin.plan_id)
    )
    return {
        plan_id: _CheckinCounts(int(due), int(done or 0), int(lost or 0))
        for plan_id, due, done, lost in rows
    }


def _open_checkins() -> ColumnElement[bool]:
    """Check-ins that can belong to an open plan: on or after the oldest open plan's start.

    Exact, not an estimate (a plan's check-ins fall within its dates), and it lets the
    (status, occurrence_date) index skip the history of plans closed long ago.
    """
    oldest = select(func.min(Plan.start_date)).where(Plan.status.in_(OPEN_STATUSES))
    return Checkin.occurrence_date >= oldest.scalar_subquery()


def _unreviewed_overdue(db: Session, today: date, public_ids: dict[int, str]) -> list[int]:
    """The plan id of each answered, unreviewed check-in of an open plan waiting too long
    (their public ids are added to `public_ids`)."""
    rows = db.execute(
        select(
            Checkin.plan_id, Plan.public_id, Checkin.occurrence_date, Checkin.employee_submitted_at
        )
        .join(Plan, Plan.id == Checkin.plan_id)
        .where(
            Checkin.status == CheckinStatus.ANSWERED,
            _open_checkins(),
            Plan.status.in_(OPEN_STATUSES),
        )
    )
    late: list[int] = []
    for plan_id, public_id, occurrence, submitted_at in rows:
        answered_on = submitted_at.date() if submitted_at is not None else occurrence
        if today > business_days_after(answered_on, REVIEW_OVERDUE_BUSINESS_DAYS):
            late.append(plan_id)
            public_ids[plan_id] = public_id
    return late


def _days(db: Session, later: Any, earlier: Any) -> Any:
    """`later - earlier` in days, as each database subtracts dates."""
    if db.get_bind().dialect.name == "postgresql":
        return later - earlier
    return func.julianday(later) - func.julianday(earlier)


def _overdue(plan_ids: Iterable[int], public_ids: dict[int, str]) -> Overdue:
    """`plan_ids` has one entry per overdue item (repeats allowed)."""
    items = [public_ids[plan_id] for plan_id in plan_ids]
    return Overdue(count=len(items), plan_ids=tuple(sorted(set(items))))


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _mean(values: list[int]) -> float | None:
    return sum(values) / len(values) if values else None


def org_report(db: Session, actor: Actor, today: date) -> OrgReport:
    """The organisation report on `today` (HR only; NotAllowed for anyone else).

    Three statements whatever the number of plans: the plans' figures grouped by status and
    outcome (with the check-in totals), the open plans with something overdue (with their
    missed check-ins counted), and the answered check-ins of open plans. Only the last two return
    rows, and only for open plans: "business days after" is calendar logic in Python.
    """
    _require_hr(actor)
    current = and_(Plan.acknowledged_at.is_not(None), Plan.acknowledged_at >= Plan.ack_requested_at)
    # The check-in totals ride along as a one-row derived table (computed once): with no
    # plans there are no check-ins either.
    completed = func.sum(case((Checkin.status.in_(COMPLETED_CHECKIN_STATUSES), 1), else_=0))
    missed_sum = func.sum(case((Checkin.status == CheckinStatus.MISSED, 1), else_=0))
    checkin_totals = (
        select(
            func.count().label("due"),
            func.coalesce(completed, 0).label("completed"),
            func.coalesce(missed_sum, 0).label("missed"),
        )
        .where(*_due_checkins(today))
        .subquery()
    )
    by_status: dict[PlanStatus, int] = {}
    outcomes = {outcome: 0 for outcome in Outcome}
    base = acknowledged = closed_count = 0
    closed_days = planned_days = 0.0
    totals = _CheckinCounts()
    for status, outcome, n, acked, lasted, planned, due, done, lost in db.execute(
        select(
            Plan.status,
            Plan.outcome,
            func.count(),
            func.sum(case((current, 1), else_=0)),
            func.sum(
                _days(
                    db, func.coalesce(Plan.outcome_effective_date, Plan.end_date), Plan.start_date
                )
            ),
            func.sum(_days(db, Plan.end_date, Plan.start_date)),
            checkin_totals.c.due,
            checkin_totals.c.completed,
            checkin_totals.c.missed,
        )
        .select_from(Plan)
        .join(checkin_totals, true())
        .where(Plan.status.not_in(UNSENT_STATUSES))  # drafts never reached an employee
        .group_by(
            Plan.status,
            Plan.outcome,
            checkin_totals.c.due,
            checkin_totals.c.completed,
            checkin_totals.c.missed,
        )
    ):
        totals = _CheckinCounts(int(due), int(done), int(lost))
        by_status[status] = by_status.get(status, 0) + int(n)
        planned_days += float(planned or 0)
        if outcome != Outcome.CANCELLED:
            base += int(n)
            acknowledged += int(acked or 0)
        if status == PlanStatus.CLOSED:
            closed_count += int(n)
            closed_days += float(lasted or 0)
            if outcome is not None:
                outcomes[outcome] += int(n)
    open_by_status = {status: by_status.get(status, 0) for status in OPEN_STATUSES}
    plans_total = sum(by_status.values())
    decided = outcomes[Outcome.SUCCESSFUL] + outcomes[Outcome.UNSUCCESSFUL]

    attention = _open_attention(db, today, current)
    public_ids = {plan.id: plan.public_id for plan, _ in attention}
    ack_late = [
        plan.id
        for plan, _ in attention
        if not plan.is_acknowledged
        and today
        >= business_days_after(plan.ack_requested_at.date(), NOT_ACKNOWLEDGED_BUSINESS_DAYS)
    ]
    missed = [plan.id for plan, n in attention for _ in range(n)]
    unreviewed = _unreviewed_overdue(db, today, public_ids)

    return OrgReport(
        today=today,
        plans_total=plans_total,
        open_by_status=open_by_status,
        open_total=sum(open_by_status.values()),
        acknowledged=acknowledged,
        acknowledgement_base=base,
        acknowledgement_rate=_rate(acknowledged, base),
        checkins_due=totals.due,
        checkins_completed=totals.completed,
        checkins_missed=totals.missed,
        checkin_completion_rate=_rate(totals.completed, totals.due),
        outcomes=outcomes,
        success_rate=_rate(outcomes[Outcome.SUCCESSFUL], decided),
        average_closed_length_days=closed_days / closed_count if closed_count else None,
        average_planned_length_days=planned_days / plans_total if plans_total else None,
        overdue_acknowledgements=_overdue(ack_late, public_ids),
        missed_checkins=_overdue(missed, public_ids),
        unreviewed_checkins=_overdue(unreviewed, public_ids),
        past_end_date=_overdue([p.id for p, _ in attention if p.end_date < today], public_ids),
    )


def _open_attention(
    db: Session, today: date, current: ColumnElement[bool]
) -> list[tuple[_PlanFacts, int]]:
    """Open plans not acknowledged, past their end date or with missed check-ins, each with
    its number of missed scheduled check-ins (one statement)."""
    missed = (
        select(Checkin.plan_id, func.count().label("n"))
        .where(Checkin.status == CheckinStatus.MISSED, _open_checkins(), *_due_checkins(today))
        .group_by(Checkin.plan_id)
        .subquery()
    )
    count = func.coalesce(missed.c.n, 0)
    rows = db.execute(
        select(*_PLAN_COLUMNS, count)
        .outerjoin(missed, missed.c.plan_id == Plan.id)
        .where(Plan.status.in_(OPEN_STATUSES), or_(~current, Plan.end_date < today, count > 0))
        .order_by(Plan.id)
    )
    return [(_PlanFacts(*cast(tuple[Any, ...], row[:-1])), int(cast(int, row[-1]))) for row in rows]


def _latest_goal_marks(db: Session, first: int, last: int) -> dict[int, _GoalMarks]:
    """Per plan with an id in [first, last], the goal statuses of its latest check-in that
    has any (one query, ranked within those plans only).

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
        .where(
            Checkin.plan_id.between(first, last),
            exists().where(CheckinGoalStatus.checkin_id == Checkin.id),
        )
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
    return [row for chunk in _row_chunks(db, today) for row in chunk]


def _row_chunks(db: Session, today: date) -> Iterator[list[dict[str, str]]]:
    """The rows CSV_CHUNK_PLANS plans at a time, in id order (keyset on the plan id)."""
    after = 0
    while True:
        plans = list(
            db.execute(
                select(*_PLAN_COLUMNS)
                .where(Plan.id > after, Plan.status.not_in(UNSENT_STATUSES))
                .order_by(Plan.id)
                .limit(CSV_CHUNK_PLANS)
            )
        )
        if not plans:
            return
        facts = [_PlanFacts(*row) for row in plans]
        first, last = facts[0].id, facts[-1].id
        counts = _checkin_counts(db, today, Checkin.plan_id.between(first, last))
        goal_marks = _latest_goal_marks(db, first, last)
        names = _names(db, {p.employee_id for p in facts} | {p.manager_id for p in facts})
        yield [_row(plan, counts.get(plan.id), goal_marks.get(plan.id), names) for plan in facts]
        if len(facts) < CSV_CHUNK_PLANS:
            return
        after = last


def _row(
    plan: _PlanFacts,
    tally: _CheckinCounts | None,
    marks: _GoalMarks | None,
    names: dict[str, str],
) -> dict[str, str]:
    tally = tally or _CheckinCounts()
    acknowledged_on = plan.acknowledged_at if plan.is_acknowledged else None
    return {
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
    return "".join(csv_chunks(db, actor, today))


def csv_chunks(db: Session, actor: Actor, today: date) -> Iterator[str]:
    """The CSV of report_csv, a header and then CSV_CHUNK_PLANS plans at a time (HR only).

    Memory stays bounded whatever the number of plans: write the chunks to a file.
    """
    _require_hr(actor)
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(CSV_COLUMNS)
    yield out.getvalue()
    for rows in _row_chunks(db, today):
        out.seek(0)
        out.truncate()
        for row in rows:
            writer.writerow([spreadsheet_safe(row[column]) for column in CSV_COLUMNS])
        yield out.getvalue()
