"""The HR organisation report: every plan in figures and what is overdue (the per-plan CSV
is services/report_csv.py)."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, TextIO, cast

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select, true
from sqlalchemy.orm import Session

from db import begin_read
from models import Checkin, CheckinStatus, Goal, Outcome, Plan, PlanStatus
from services.access import UNSENT_STATUSES, Actor
from services.calendar import business_days_after
from services.plans import OPEN_STATUSES
from services.report_breakdown import Breakdown, breakdown
from services.report_csv import (
    CSV_CHUNK_PLANS,
    CSV_COLUMNS,
    CSV_READERS,
    FORMULA_PREFIXES,
    REFUSAL,
    CheckinTotals,
    csv_chunks,
    others_see_the_store,
    report_csv,
    report_rows,
    require_report_access,
    spreadsheet_safe,
)
from services.report_facts import COMPLETED_CHECKIN_STATUSES, due_checkins
from services.schedule import NOT_ACKNOWLEDGED_BUSINESS_DAYS
from services.status_text import FINAL_RESULT_LABELS, final_result_label

__all__ = [  # the CSV lives in services/report_csv.py; its names are still found here
    "COMPLETED_CHECKIN_STATUSES",
    "CSV_CHUNK_PLANS",
    "CSV_COLUMNS",
    "CSV_READERS",
    "FORMULA_PREFIXES",
    "REFUSAL",
    "Overdue",
    "OrgReport",
    "csv_chunks",
    "org_report",
    "report_csv",
    "report_rows",
    "require_report_access",
    "spreadsheet_safe",
    "with_checkins",
    "write_report",
]

# An answer waits for the manager's review this many business days before it counts as overdue.
REVIEW_OVERDUE_BUSINESS_DAYS = 2


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
    # Goals of closed plans by their final result at close, in words (final_result_label,
    # values of the earlier scale included): every label is a key, in the scale's order.
    # Goals with no final result recorded are not counted.
    final_results: dict[str, int]
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


def org_report(
    db: Session, actor: Actor, today: date, *, counted: CheckinTotals | None = None
) -> OrgReport:
    """The organisation report on `today` (HR only; NotAllowed for anyone else).

    `counted` is the check-in totals when the CSV's pass already added them up plan by plan
    (services.report_csv.csv_chunks): then no statement reads every check-in a second time.

    Three statements whatever the number of plans: the plans' figures grouped by status and
    outcome (with the check-in totals and the closed plans' goals by final result), the open
    plans with something overdue (with their missed check-ins counted), and the answered
    check-ins of open plans. Only the last two return rows, and only for open plans:
    "business days after" is calendar logic in Python.
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
        .where(*due_checkins(today))
        .subquery()
        if counted is None
        else select(
            literal(counted.due).label("due"),
            literal(counted.completed).label("completed"),
            literal(counted.missed).label("missed"),
        ).subquery()
    )
    # The closed plans' goals by final result, one column per stored value, ride along too
    # (unless the CSV's pass already added them up).
    stored = list(FINAL_RESULT_LABELS)
    final_results = {final_result_label(value): 0 for value in stored}
    finals_columns: list[Any] = []
    finals = None
    if counted is None:
        finals = (
            select(
                *(
                    func.coalesce(func.sum(case((Goal.final_result == value, 1), else_=0)), 0)
                    for value in stored
                )
            )
            .select_from(Goal)
            .join(Plan, Plan.id == Goal.plan_id)
            .where(Plan.status == PlanStatus.CLOSED)
            .subquery()
        )
        finals_columns = list(finals.c)
    else:
        final_results = {label: counted.final_results.get(label, 0) for label in final_results}
    by_status: dict[PlanStatus, int] = {}
    outcomes = {outcome: 0 for outcome in Outcome}
    base = acknowledged = closed_count = 0
    closed_days = planned_days = 0.0
    totals = _CheckinCounts()
    figures = (
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
            *finals_columns,
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
            *finals_columns,
        )
    )
    if finals is not None:
        figures = figures.join(finals, true())
    for status, outcome, n, acked, lasted, planned, due, done, lost, *results in db.execute(
        figures
    ):
        totals = _CheckinCounts(int(due), int(done), int(lost))
        for value, count in zip(stored if results else (), results, strict=True):
            final_results[final_result_label(value)] = int(count)
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
        final_results=final_results,
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
        .where(Checkin.status == CheckinStatus.MISSED, _open_checkins(), *due_checkins(today))
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


def with_checkins(report: OrgReport, totals: CheckinTotals) -> OrgReport:
    """`report` with the check-in figures and the final results of `totals` (added up by
    the CSV's pass, services.report_csv.csv_chunks)."""
    return replace(
        report,
        checkins_due=totals.due,
        checkins_completed=totals.completed,
        checkins_missed=totals.missed,
        checkin_completion_rate=_rate(totals.completed, totals.due),
        final_results={label: totals.final_results.get(label, 0) for label in report.final_results},
    )


def write_report(
    db: Session, actor: Actor, today: date, out: TextIO
) -> tuple[OrgReport, Breakdown]:
    """The whole `/pip report` (HR only): the per-plan CSV written to `out` (CSV_READERS
    connections reading its chunks), while a connection of its own works out the figures and
    the breakdowns; the check-in figures come from the CSV's pass. All of it reads what is
    committed (commit first)."""
    require_report_access(actor)

    def figures() -> tuple[OrgReport, Breakdown]:
        with Session(db.get_bind()) as beside:
            begin_read(beside)
            return org_report(beside, actor, today, counted=CheckinTotals()), breakdown(
                beside, actor, today
            )

    counted = CheckinTotals()
    if not others_see_the_store(db):  # one connection: one thing after the other
        for chunk in csv_chunks(db, actor, today, counted):
            out.write(chunk)
        return org_report(db, actor, today, counted=counted), breakdown(db, actor, today)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="report-figures") as pool:
        later = pool.submit(figures)
        readers = CSV_READERS.get(db.connection().dialect.name, 1)
        for chunk in csv_chunks(db, actor, today, counted, readers=readers):
            out.write(chunk)
        report, groups = later.result()
    return with_checkins(report, counted), groups
