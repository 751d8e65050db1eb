"""The org report's per-plan CSV, a chunk of plans at a time, computed in the database.

Per chunk of CSV_CHUNK_PLANS plans (keyset on the plan id) three statements: the plans
with their dates already as text (and a closed plan's goals' final results at close), their
check-in counts (read from one index, `ix_checkins_plan_id_occurrence_date_id_kind_status`),
and the goal marks of each plan's latest marked check-in (a short walk back in that index
per plan); then the names. Values come back as plain text, so the rows go to the CSV writer
without an object per value.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    select,
    true,
    type_coerce,
)
from sqlalchemy.orm import Session, aliased

from models import (
    Checkin,
    CheckinGoalStatus,
    CheckinKind,
    CheckinStatus,
    Goal,
    Plan,
    PlanStatus,
    SlackUser,
)
from services.access import UNSENT_STATUSES, Actor, may_run_org_report
from services.checkins import STATUS_LABELS
from services.errors import NotAllowed
from services.status_text import final_result_label

REFUSAL = "Only HR can run the report."
COMPLETED_CHECKIN_STATUSES = (CheckinStatus.ANSWERED, CheckinStatus.REVIEWED)
# A spreadsheet reads a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_CHUNK_PLANS = 2500  # plans per CSV chunk: bounded memory, a few queries per chunk

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
    "final_results",
)
# The columns that can hold what people or Slack chose (ids, names); every other column is
# made here (fixed words, ISO dates, counts) and never starts with a formula prefix.
_FREE_TEXT = tuple(
    CSV_COLUMNS.index(c)
    for c in ("plan_id", "employee_id", "employee_name", "manager_id", "manager_name")
)
_RISKY = frozenset(FORMULA_PREFIXES)
_LABELS = {status.value: label for status, label in STATUS_LABELS.items()}


@dataclass
class CheckinTotals:
    """Scheduled check-ins due, completed and missed, added up over the plans of a CSV, and
    the closed plans' goals by final result in words (final_result_label)."""

    due: int = 0
    completed: int = 0
    missed: int = 0
    final_results: dict[str, int] = field(default_factory=dict)


def require_report_access(actor: Actor) -> None:
    """Refuse (NotAllowed) anyone who may not run the org report."""
    if not may_run_org_report(actor):
        raise NotAllowed(REFUSAL)


def spreadsheet_safe(value: str) -> str:
    """`value` with a leading `'` when a spreadsheet would run it as a formula."""
    return f"'{value}" if value.startswith(FORMULA_PREFIXES) else value


def due_checkins(today: date) -> tuple[ColumnElement[bool], ...]:
    """Scheduled check-ins dated on or before `today` and not skipped."""
    return (
        Checkin.kind == CheckinKind.SCHEDULED,
        Checkin.occurrence_date <= today,
        Checkin.status != CheckinStatus.SKIPPED,
    )


def _day(db: Session, column: Any) -> ColumnElement[str]:
    """A DATE column as ISO text, in the database."""
    if db.get_bind().dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM-DD")
    return type_coerce(column, String)  # SQLite stores dates as ISO text


def _utc_day(db: Session, column: Any) -> ColumnElement[str]:
    """A UTC timestamp column's date as ISO text, in the database."""
    if db.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.substr(type_coerce(column, String), 1, 10)  # stored as UTC ISO text


def _plans(db: Session, after: int) -> Sequence[Any]:
    """The next chunk of plans, every value as the CSV shows it, names joined in."""
    return _rows(db, plans_query(db, after))


def plans_query(db: Session, after: int) -> Any:
    """The statement of `_plans` (bench/explain.py shows its plan)."""
    current = and_(Plan.acknowledged_at.is_not(None), Plan.acknowledged_at >= Plan.ack_requested_at)
    employee = aliased(SlackUser)
    manager = aliased(SlackUser)
    return (
        select(
            Plan.id,
            Plan.public_id,
            Plan.employee_id,
            _name(employee),
            Plan.manager_id,
            _name(manager),
            type_coerce(Plan.status, String),
            _day(db, Plan.start_date),
            _day(db, Plan.end_date),
            case((current, _utc_day(db, Plan.acknowledged_at)), else_=""),
            func.coalesce(type_coerce(Plan.outcome, String), ""),
            func.coalesce(_day(db, Plan.outcome_effective_date), ""),
            case((Plan.status == PlanStatus.CLOSED, _final_results(db)), else_=""),
        )
        .outerjoin(employee, employee.user_id == Plan.employee_id)
        .outerjoin(manager, manager.user_id == Plan.manager_id)
        .where(Plan.id > after, Plan.status.not_in(UNSENT_STATUSES))
        .order_by(Plan.id)
        .limit(CSV_CHUNK_PLANS)
    )


def _final_results(db: Session) -> ColumnElement[str]:
    """A plan's goals' final results at close as `position:value,...` text ("" for none), in
    the plans statement; final_results_words puts them in goal order and words."""
    pair = cast(Goal.position, String).concat(":").concat(Goal.final_result)
    joined = (
        func.string_agg(pair, ",")
        if db.get_bind().dialect.name == "postgresql"
        else func.group_concat(pair, ",")
    )
    return func.coalesce(
        select(joined)
        .where(Goal.plan_id == Plan.id, Goal.final_result.is_not(None))
        .correlate(Plan)
        .scalar_subquery(),
        "",
    )


def final_results_words(pairs: str) -> list[tuple[int, str]]:
    """(goal number, final result in words) in goal order, from `_final_results`' text;
    values of the earlier scale read as final_result_label says them."""
    if not pairs:
        return []
    marks = sorted(
        (int(position), value)
        for position, value in (pair.split(":", 1) for pair in pairs.split(","))
    )
    return [(position + 1, final_result_label(value)) for position, value in marks]


def _rows(db: Session, statement: Any) -> list[tuple[Any, ...]]:
    """The rows of `statement` as the driver returns them: plain tuples, no result objects.

    Every value these statements return is text or a number made in SQL, so there is
    nothing for SQLAlchemy to convert on the way out; for 100,000 plans that saves a
    result row object per row. The parameters are ones the driver takes as they are
    (ints, dates, strings).
    """
    connection = db.connection()
    compiled = statement.compile(connection, compile_kwargs={"render_postcompile": True})
    params = compiled.params
    cursor = connection.connection.cursor()
    try:
        if compiled.positional:
            cursor.execute(str(compiled), [params[name] for name in compiled.positiontup])
        else:
            cursor.execute(str(compiled), params)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _name(user: Any) -> ColumnElement[str]:
    """The name people know a cached user by: the real name, else the handle ("" unknown)."""
    return func.coalesce(
        func.nullif(user.real_name, ""), func.nullif(user.name, ""), user.user_id, ""
    )


def checkin_counts(
    db: Session, today: date, first: int, last: int
) -> dict[int, tuple[int, int, int]]:
    """Due, completed and missed scheduled check-ins per plan with an id in [first, last]."""
    rows = _rows(db, counts_query(today, first, last))
    return {
        plan_id: (int(due), int(done or 0), int(lost or 0)) for plan_id, due, done, lost in rows
    }


def counts_query(today: date, first: int, last: int) -> Any:
    """The statement of `checkin_counts` (bench/explain.py shows its plan)."""
    completed = func.sum(case((Checkin.status.in_(COMPLETED_CHECKIN_STATUSES), 1), else_=0))
    missed = func.sum(case((Checkin.status == CheckinStatus.MISSED, 1), else_=0))
    return (
        select(Checkin.plan_id, func.count(), completed, missed)
        .where(Checkin.plan_id.between(first, last), *due_checkins(today))
        .group_by(Checkin.plan_id)
    )


def latest_goal_marks(db: Session, first: int, last: int) -> dict[int, tuple[str, str, str]]:
    """Per plan with an id in [first, last]: (summary, as of, by) of the goal statuses of its
    latest check-in that has any.

    Latest is by occurrence date, then id; scheduled and unscheduled alike. When both people
    marked that check-in, the manager's review is shown rather than the self-assessment.
    """
    rows = _rows(db, latest_marks_query(db, first, last))
    by_author: dict[tuple[int, str], tuple[str, list[str]]] = {}
    for plan_id, as_of, author, status, position in rows:
        _, parts = by_author.setdefault((plan_id, author), (as_of, []))
        parts.append(f"Goal {position + 1}: {_LABELS[status]}")
    latest_marks: dict[int, tuple[str, str, str]] = {}
    for (plan_id, author), (as_of, parts) in by_author.items():
        if author == "manager" or plan_id not in latest_marks:
            latest_marks[plan_id] = ("; ".join(parts), as_of, author)
    return latest_marks


def latest_marks_query(db: Session, first: int, last: int) -> Any:
    """(plan id, as of, author, status, goal position) of each plan's latest marked check-in.

    Per plan, a walk back from its newest check-in to the first with marks (the index
    `ix_checkins_plan_id_occurrence_date_id_kind_status`, a probe of the marks per step).
    PostgreSQL runs it as a LATERAL join; as a scalar subquery it would hash-join every
    check-in and mark instead. SQLite has no LATERAL and walks the scalar subquery per plan.
    """
    newest_marked = (
        select(Checkin.id, Checkin.occurrence_date)
        .where(
            Checkin.plan_id == Plan.id,
            exists().where(CheckinGoalStatus.checkin_id == Checkin.id),
        )
        .order_by(Checkin.occurrence_date.desc(), Checkin.id.desc())
        .limit(1)
    )
    author = type_coerce(CheckinGoalStatus.author, String)
    columns = (author, type_coerce(CheckinGoalStatus.status, String), Goal.position)
    in_chunk = Plan.id.between(first, last)
    if db.get_bind().dialect.name == "postgresql":
        latest = newest_marked.correlate(Plan).lateral()
        return (
            select(Plan.id, _day(db, latest.c.occurrence_date), *columns)
            .select_from(Plan)
            .join(latest, true())
            .join(CheckinGoalStatus, CheckinGoalStatus.checkin_id == latest.c.id)
            .join(Goal, Goal.id == CheckinGoalStatus.goal_id)
            .where(in_chunk)
            .order_by(Plan.id, author, Goal.position)
        )
    chosen = (
        select(
            Plan.id.label("plan_id"),
            newest_marked.with_only_columns(Checkin.id)
            .correlate(Plan)
            .scalar_subquery()
            .label("checkin_id"),
        )
        .where(in_chunk)
        .subquery()
    )
    return (
        select(chosen.c.plan_id, _day(db, Checkin.occurrence_date), *columns)
        .join(Checkin, Checkin.id == chosen.c.checkin_id)
        .join(CheckinGoalStatus, CheckinGoalStatus.checkin_id == chosen.c.checkin_id)
        .join(Goal, Goal.id == CheckinGoalStatus.goal_id)
        .order_by(chosen.c.plan_id, author, Goal.position)
    )


def row_chunks(
    db: Session, today: date, totals: CheckinTotals | None = None
) -> Iterator[list[tuple[str, ...]]]:
    """The rows as tuples in CSV_COLUMNS order, CSV_CHUNK_PLANS plans at a time, by plan id;
    the check-in counts are added to `totals` on the way."""
    after = 0
    no_marks = ("", "", "")
    while True:
        plans = _plans(db, after)
        if not plans:
            return
        first, last = plans[0][0], plans[-1][0]
        counts = checkin_counts(db, today, first, last)
        if totals is not None:
            for due, done, missed in counts.values():
                totals.due += due
                totals.completed += done
                totals.missed += missed
        marks = latest_goal_marks(db, first, last)
        chunk: list[tuple[str, ...]] = []
        for (
            plan_id,
            public_id,
            employee,
            employee_name,
            manager,
            manager_name,
            status,
            start,
            end,
            acked,
            outcome,
            effective,
            finals,
        ) in plans:
            due, done, missed = counts.get(plan_id, (0, 0, 0))
            summary, as_of, by = marks.get(plan_id, no_marks)
            results = final_results_words(finals)
            if totals is not None:
                for _, label in results:
                    totals.final_results[label] = totals.final_results.get(label, 0) + 1
            chunk.append(
                (
                    public_id,
                    employee,
                    employee_name,
                    manager,
                    manager_name,
                    status,
                    start,
                    end,
                    "yes" if acked else "no",
                    acked,
                    str(due),
                    str(done),
                    str(missed),
                    summary,
                    as_of,
                    by,
                    outcome,
                    effective,
                    "; ".join(f"Goal {n}: {label}" for n, label in results),
                )
            )
        yield chunk
        if len(plans) < CSV_CHUNK_PLANS:
            return
        after = last


def _safe(row: tuple[str, ...]) -> tuple[str, ...]:
    """`row` with its free-text cells made spreadsheet-safe (most rows need nothing)."""
    if _RISKY.isdisjoint([row[i][:1] for i in _FREE_TEXT]):
        return row
    return tuple(spreadsheet_safe(v) if i in _FREE_TEXT else v for i, v in enumerate(row))


def report_rows(db: Session, actor: Actor, today: date) -> list[dict[str, str]]:
    """One row of plain text per plan, keyed by CSV_COLUMNS, oldest plan first (HR only)."""
    require_report_access(actor)
    return [dict(zip(CSV_COLUMNS, row, strict=True)) for c in row_chunks(db, today) for row in c]


def report_csv(db: Session, actor: Actor, today: date) -> str:
    """The per-plan rows as CSV text with a header row, safe to open in a spreadsheet (HR only)."""
    return "".join(csv_chunks(db, actor, today))


def csv_chunks(
    db: Session, actor: Actor, today: date, totals: CheckinTotals | None = None
) -> Iterator[str]:
    """The CSV of report_csv, a header and then CSV_CHUNK_PLANS plans at a time (HR only).

    Memory stays bounded whatever the number of plans: write the chunks to a file. When
    `totals` is given, the check-in counts of every plan are added to it (for org_report).
    """
    require_report_access(actor)
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(CSV_COLUMNS)
    yield out.getvalue()
    for rows in row_chunks(db, today, totals):
        out.seek(0)
        out.truncate()
        writer.writerows(_safe(row) for row in rows)
        yield out.getvalue()
