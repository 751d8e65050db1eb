"""The org report's per-plan cells after the people's ids and names: worked out from the
plan, its check-ins and goals, or, for a closed plan, read from the row written when it
closed (`plan_report_facts`).

A closed plan, its check-ins and goals no longer change (services.checkins.require_open,
services.amend, services.plans.acknowledge), so its cells are worked out once: when it
closes (settle_plan) and by the daily housekeeping (settle), which writes any row missing
and, for the plans closed in the last week, any row disagreeing with what it is worked out
from (what was in flight at the close may land after it). The report reads a row only while
its `version` is VERSION and every counted check-in is on or before the report's day; any
other plan's cells are worked out by the same statements that write the rows. Bump VERSION
when what they write changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Select,
    String,
    and_,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, sessionmaker

from db import begin_read
from models import (
    Checkin,
    CheckinGoalStatus,
    CheckinKind,
    CheckinStatus,
    Goal,
    Plan,
    PlanReportFacts,
    PlanStatus,
)
from services.checkins import STATUS_LABELS
from services.status_text import FINAL_RESULT_LABELS, NO_FINAL_RESULT

VERSION = 1  # of the statements below: rows of another version are worked out again
SETTLE_CHUNK_PLANS = 500  # plans written per transaction by the housekeeping: short writes
RECHECK_DAYS = 7  # a plan closed this recently has its row checked by each housekeeping
COMPLETED_CHECKIN_STATUSES = (CheckinStatus.ANSWERED, CheckinStatus.REVIEWED)
_EVERY_DAY = date(9999, 12, 31)  # a settled row counts every check-in, whatever its date
_LABELS = {status.value: label for status, label in STATUS_LABELS.items()}


@dataclass(frozen=True)
class Facts:
    """A plan's columns from its check-ins and goals (no NULLs), and what to outer-join onto
    `plans` for them."""

    due: ColumnElement[int]
    completed: ColumnElement[int]
    missed: ColumnElement[int]
    goal_statuses: ColumnElement[str]
    as_of: ColumnElement[str]
    by: ColumnElement[str]
    final_results: ColumnElement[str]
    last_checkin_on: ColumnElement[Any]
    joins: tuple[tuple[FromClause, ColumnElement[bool]], ...]

    def join_onto(self, statement: Select[Any]) -> Select[Any]:
        """`statement` (selecting from `plans`) with what the columns read outer-joined."""
        for table, on in self.joins:
            statement = statement.outerjoin(table, on)
        return statement


def due_checkins(today: date) -> tuple[ColumnElement[bool], ...]:
    """Scheduled check-ins dated on or before `today` and not skipped."""
    return (
        Checkin.kind == CheckinKind.SCHEDULED,
        Checkin.occurrence_date <= today,
        Checkin.status != CheckinStatus.SKIPPED,
    )


def iso_day(db: Session, column: Any) -> ColumnElement[str]:
    """A DATE column as ISO text, in the database."""
    if db.get_bind().dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM-DD")
    return type_coerce(column, String)  # SQLite stores dates as ISO text


def utc_day(db: Session, column: Any) -> ColumnElement[str]:
    """A UTC timestamp column's date as ISO text, in the database."""
    if db.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.substr(type_coerce(column, String), 1, 10)  # stored as UTC ISO text


def joined(db: Session, cells: Sequence[ColumnElement[str]]) -> ColumnElement[str]:
    """The cells joined by commas, in the database (no cell is NULL)."""
    if db.get_bind().dialect.name == "postgresql":  # one call, where || copies the line each time
        return func.concat_ws(",", *cells)
    line = cells[0]  # SQLite has concat_ws from 3.44 only
    for cell in cells[1:]:
        line = line.concat(",").concat(cell)
    return line


def tail_cells(db: Session, facts: Facts) -> tuple[ColumnElement[str], ...]:
    """The CSV's cells from `status` to `final_results` of the plan and its `facts`, as text;
    made here (fixed words, ISO dates, counts), none needs quoting."""
    current = and_(Plan.acknowledged_at.is_not(None), Plan.acknowledged_at >= Plan.ack_requested_at)
    return (
        type_coerce(Plan.status, String),
        iso_day(db, Plan.start_date),
        iso_day(db, Plan.end_date),
        case((current, "yes"), else_="no"),
        case((current, utc_day(db, Plan.acknowledged_at)), else_=""),
        cast(facts.due, String),
        cast(facts.completed, String),
        cast(facts.missed, String),
        facts.goal_statuses,
        facts.as_of,
        facts.by,
        func.coalesce(type_coerce(Plan.outcome, String), ""),
        func.coalesce(iso_day(db, Plan.outcome_effective_date), ""),
        facts.final_results,
    )


def kept(today: date) -> ColumnElement[bool]:
    """The condition on which a plan's `plan_report_facts` row (joined to `plans`) is its
    report's on `today`: the plan is closed, the row of this VERSION, and no check-in it
    counts is after `today`."""
    row = PlanReportFacts
    return and_(
        row.plan_id == Plan.id,
        row.version == VERSION,
        or_(row.last_checkin_on.is_(None), row.last_checkin_on <= today),
        Plan.status == PlanStatus.CLOSED,
    )


def worked_out(db: Session, today: date, chosen: Sequence[ColumnElement[bool]]) -> Facts:
    """The cells on `today` of the plans that meet `chosen`, from their check-ins and goals."""
    counts = _counts(today, chosen)
    marks = _latest_marks(db, chosen)
    results = _final_results(chosen)
    finals = case((Plan.status == PlanStatus.CLOSED, func.coalesce(results.c.words, "")), else_="")
    return Facts(
        due=func.coalesce(counts.c.due, 0),
        completed=func.coalesce(counts.c.completed, 0),
        missed=func.coalesce(counts.c.missed, 0),
        goal_statuses=func.coalesce(marks.c.summary, ""),
        as_of=func.coalesce(marks.c.as_of, ""),
        by=func.coalesce(marks.c.author, ""),
        final_results=finals,
        last_checkin_on=counts.c.last,
        joins=(
            (counts, counts.c.plan_id == Plan.id),
            (marks, marks.c.plan_id == Plan.id),
            (results, results.c.plan_id == Plan.id),
        ),
    )


def _counts(today: date, chosen: Sequence[ColumnElement[bool]]) -> FromClause:
    """Due, completed and missed scheduled check-ins per chosen plan, and the last one's
    date: a probe per plan of `ix_checkins_plan_id_occurrence_date_id_kind_status`."""
    completed = func.count().filter(Checkin.status.in_(COMPLETED_CHECKIN_STATUSES))
    missed = func.count().filter(Checkin.status == CheckinStatus.MISSED)
    return (
        select(
            Plan.id.label("plan_id"),
            func.count().label("due"),
            completed.label("completed"),
            missed.label("missed"),
            func.max(Checkin.occurrence_date).label("last"),
        )
        .select_from(Plan)
        .join(Checkin, Checkin.plan_id == Plan.id)
        .where(*chosen, *due_checkins(today))
        .group_by(Plan.id)
        .subquery("counts")
    )


def _latest_marks(db: Session, chosen: Sequence[ColumnElement[bool]]) -> FromClause:
    """Per chosen plan: (plan_id, summary, as_of, author) of the goal statuses of its
    latest check-in that has any, `Goal 1: On track; Goal 2: At risk` in goal order.

    Latest is by occurrence date, then id; scheduled and unscheduled alike. When both people
    marked that check-in, the manager's review is shown rather than the self-assessment.
    The check-in is a walk back from the plan's newest (the index
    `ix_checkins_plan_id_occurrence_date_id_kind_status`, a probe of the marks per step):
    a LATERAL join on PostgreSQL (as a scalar subquery it would hash-join every check-in and
    mark instead), a scalar subquery per plan on SQLite, which has no LATERAL.
    """
    newest_marked = (
        select(Checkin.id, Checkin.occurrence_date)
        .where(
            Checkin.plan_id == Plan.id,
            exists().where(CheckinGoalStatus.checkin_id == Checkin.id),
        )
        .order_by(Checkin.occurrence_date.desc(), Checkin.id.desc())
        .limit(1)
        .correlate(Plan)
    )
    author = type_coerce(CheckinGoalStatus.author, String)
    label = case(_LABELS, value=type_coerce(CheckinGoalStatus.status, String))
    piece = literal("Goal ").concat(cast(Goal.position + 1, String)).concat(": ").concat(label)
    if db.get_bind().dialect.name == "postgresql":
        # Per plan a LATERAL walk; then the marks of the chosen check-ins by plan and
        # author in goal order, and per plan the last author ("manager" sorts after
        # "employee"): the review when there is one.
        walk = newest_marked.lateral("newest")
        by_author = (
            select(
                Plan.id.label("plan_id"),
                func.aggregate_strings(piece, "; ")
                .aggregate_order_by(Goal.position)
                .label("summary"),
                iso_day(db, walk.c.occurrence_date).label("as_of"),
                author.label("author"),
            )
            .select_from(Plan)
            .join(walk, true())
            .join(CheckinGoalStatus, CheckinGoalStatus.checkin_id == walk.c.id)
            .join(Goal, Goal.id == CheckinGoalStatus.goal_id)
            .where(*chosen)
            .group_by(Plan.id, walk.c.occurrence_date, author)
            .subquery("by_author")
        )
        return (
            select(by_author)
            .ext(distinct_on(by_author.c.plan_id))
            .order_by(by_author.c.plan_id, by_author.c.author.desc())
            .subquery("marks")
        )
    # SQLite: the walk as a scalar subquery per plan, then the preferred author's marks in
    # goal order by a window (see _in_goal_order), one row per plan.
    newest = newest_marked.with_only_columns(Checkin.id).scalar_subquery()
    latest = select(Plan.id.label("plan_id"), newest.label("checkin_id")).where(*chosen)
    picked = latest.subquery("latest")
    reviewer = aliased(CheckinGoalStatus)
    # "manager" sorts after "employee": the review when there is one.
    preferred = select(func.max(reviewer.author)).where(reviewer.checkin_id == Checkin.id)
    marked = (
        select(
            picked.c.plan_id,
            _in_goal_order(piece, picked.c.plan_id).label("summary"),
            iso_day(db, Checkin.occurrence_date).label("as_of"),
            author.label("author"),
            _first_in_goal_order(picked.c.plan_id),
        )
        # Joined on Checkin.id, not on picked's column: SQLite would copy the walk there too.
        .join(Checkin, Checkin.id == picked.c.checkin_id)
        .join(
            CheckinGoalStatus,
            and_(
                CheckinGoalStatus.checkin_id == Checkin.id,
                CheckinGoalStatus.author == preferred.scalar_subquery(),
            ),
        )
        .join(Goal, Goal.id == CheckinGoalStatus.goal_id)
        .subquery("marked")
    )
    return (
        select(marked.c.plan_id, marked.c.summary, marked.c.as_of, marked.c.author)
        .where(marked.c.first == 1)
        .subquery("marks")
    )


def _first_in_goal_order(partition: Any) -> ColumnElement[int]:
    """1 on the partition's first goal (the same window as _in_goal_order: one sort)."""
    return func.row_number().over(partition_by=partition, order_by=Goal.position).label("first")


def _in_goal_order(piece: ColumnElement[str], partition: Any = None) -> ColumnElement[str]:
    """`piece` of every row of the partition joined by "; " in goal order, on every row.

    A window, not an ordered aggregate: SQLite before 3.44 has no ORDER BY in group_concat
    and leaves the order of an aggregate's input undefined; a window's frame is in order.
    """
    return func.aggregate_strings(piece, "; ").over(
        partition_by=partition, order_by=Goal.position, rows=(None, None)
    )


def _final_results(chosen: Sequence[ColumnElement[bool]]) -> FromClause:
    """Per chosen plan with any: (plan_id, words) of its goals' final results at close in
    goal order and words (final_result_label, values of the earlier scale included)."""
    label = case(FINAL_RESULT_LABELS, value=Goal.final_result, else_=NO_FINAL_RESULT)
    piece = literal("Goal ").concat(cast(Goal.position + 1, String)).concat(": ").concat(label)
    ranked = (
        select(
            Goal.plan_id,
            _in_goal_order(piece, Goal.plan_id).label("words"),
            _first_in_goal_order(Goal.plan_id),
        )
        .select_from(Plan)
        .join(Goal, Goal.plan_id == Plan.id)
        .where(*chosen, Goal.final_result.is_not(None))
        .subquery("ranked_results")
    )
    return select(ranked.c.plan_id, ranked.c.words).where(ranked.c.first == 1).subquery("results")


_COLUMNS = (
    "plan_id",
    "version",
    "last_checkin_on",
    "due",
    "completed",
    "missed",
    "final_results",
    "csv_tail",
)


def _closed(db: Session) -> ColumnElement[bool]:
    """The plan is closed; on SQLite in a form no index serves: its planner, with no
    statistics, would walk every closed plan in `ix_plans_status_end_date_id` instead of
    the few plan ids chosen."""
    if db.get_bind().dialect.name == "postgresql":
        return Plan.status == PlanStatus.CLOSED
    return type_coerce(Plan.status, String).concat("") == PlanStatus.CLOSED.value


def _rows(db: Session, chosen: Sequence[ColumnElement[bool]]) -> Select[Any]:
    """The plan_report_facts rows, worked out now, of the closed plans that meet `chosen`."""
    chosen = (*chosen, _closed(db))
    facts = worked_out(db, _EVERY_DAY, chosen)
    cells: tuple[Any, ...] = (
        Plan.id,
        literal(VERSION),
        facts.last_checkin_on,
        facts.due,
        facts.completed,
        facts.missed,
        facts.final_results,
        joined(db, tail_cells(db, facts)),
    )
    labelled: list[Any] = [c.label(n) for c, n in zip(cells, _COLUMNS, strict=True)]
    statement: Select[Any] = select(*labelled)
    return facts.join_onto(statement.select_from(Plan)).where(*chosen)


def _write(db: Session, plan_ids: Sequence[int]) -> None:
    """Work out again and write the rows of the closed plans among `plan_ids` (the caller
    commits); any row of theirs that was there goes."""
    db.execute(delete(PlanReportFacts).where(PlanReportFacts.plan_id.in_(plan_ids)))
    rows = _rows(db, (Plan.id.in_(plan_ids),)).order_by(Plan.id)  # one lock order for all
    db.execute(insert(PlanReportFacts).from_select(list(_COLUMNS), rows))


def settle_plan(db: Session, plan: Plan) -> None:
    """Write the row of `plan` as it closes (flushed first; the caller commits)."""
    db.flush()
    _write(db, [plan.id])


def settle(sessions: sessionmaker[Session], now: datetime) -> int:
    """Write the row of every closed plan that has none of this VERSION, and again the row
    of each plan closed in the last RECHECK_DAYS that disagrees with what it is worked out
    from (what was in flight at the close, a summary of missed check-ins being sent, may land
    after it). Reads find them; the writes are short, SETTLE_CHUNK_PLANS plans each. How
    many rows were written."""
    row = PlanReportFacts
    with sessions() as db:
        begin_read(db)
        missing = select(Plan.id).outerjoin(
            row, and_(row.plan_id == Plan.id, row.version == VERSION)
        )
        stale = list(db.scalars(missing.where(_closed(db), row.plan_id.is_(None))))
        since = Plan.closed_at >= now - timedelta(days=RECHECK_DAYS)
        columns = PlanReportFacts.__table__.c
        stored = select(*(columns[name] for name in _COLUMNS)).join(Plan, Plan.id == row.plan_id)
        differing = _rows(db, (since,)).except_(stored.where(since)).subquery()
        seen = set(stale)
        stale += [i for i in db.scalars(select(differing.c.plan_id)) if i not in seen]
    written = 0
    for first in range(0, len(stale), SETTLE_CHUNK_PLANS):
        plan_ids = stale[first : first + SETTLE_CHUNK_PLANS]
        with sessions() as db:
            try:
                _write(db, plan_ids)
                db.commit()
            except IntegrityError:
                # Another process wrote one of them first, or deleted its plan (retention):
                # until the next run, these plans' lines are worked out.
                db.rollback()
                continue
        written += len(plan_ids)
    return written
