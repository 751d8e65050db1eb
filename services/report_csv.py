"""The org report's per-plan CSV, a chunk of plans at a time, every line made in the database.

One statement per chunk of CSV_CHUNK_PLANS plan ids, compiled once per report: the plans
with their cached names, their check-in counts (a GROUP BY over one index range,
`ix_checkins_plan_id_occurrence_date_id_kind_status`), the goal marks of each plan's latest
marked check-in (a short walk back in that index per plan) and a closed plan's goals' final
results. Each row comes back as its CSV line, quoted as csv.writer quotes (QUOTE_MINIMAL)
with the free-text cells made spreadsheet-safe, beside the numbers the figures add up:
Python only joins strings. report_rows selects the same cells raw.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Engine,
    FromClause,
    Integer,
    Select,
    String,
    Subquery,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    select,
    true,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import distinct_on
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
from services.status_text import FINAL_RESULT_LABELS, NO_FINAL_RESULT

REFUSAL = "Only HR can run the report."
COMPLETED_CHECKIN_STATUSES = (CheckinStatus.ANSWERED, CheckinStatus.REVIEWED)
# A spreadsheet reads a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_CHUNK_PLANS = 2500  # plan ids per CSV chunk: bounded memory, one statement per chunk
CSV_READERS = 2  # connections /pip report reads CSV chunks on, side by side
# csv.writer (QUOTE_MINIMAL) puts a cell in double quotes when it holds one of these.
_CSV_SPECIAL = ',"\r\n'

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
# made here (fixed words, ISO dates, counts): it never starts with a formula prefix and never
# holds a comma, a double quote or a line break, so it needs no quoting.
_FREE_TEXT = tuple(
    CSV_COLUMNS.index(c)
    for c in ("plan_id", "employee_id", "employee_name", "manager_id", "manager_name")
)
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


def chunk_query(db: Session, today: date, *, lines: bool = True) -> Select[Any]:
    """The statement of one chunk: the sent plans with an id in (:after, :until], by id.

    With `lines`, each row is (CSV line, due, completed, missed, final results in words);
    otherwise the CSV_COLUMNS cells, raw. Bound parameters `after` and `until` pick the
    chunk, so the statement is compiled once per report (bench/explain.py shows its plan).
    """
    after, until = bindparam("after", 0, Integer), bindparam("until", 0, Integer)
    current = and_(Plan.acknowledged_at.is_not(None), Plan.acknowledged_at >= Plan.ack_requested_at)
    employee, employee_found = _cached_name(db, Plan.employee_id, "employee")
    manager, manager_found = _cached_name(db, Plan.manager_id, "manager")
    counts = _counts(today, after, until)
    marks = _latest_marks(db, after, until)
    due = func.coalesce(counts.c.due, 0)
    completed = func.coalesce(counts.c.completed, 0)
    missed = func.coalesce(counts.c.missed, 0)
    results = _final_results(after, until)
    finals = case((Plan.status == PlanStatus.CLOSED, func.coalesce(results.c.words, "")), else_="")
    cells: tuple[Any, ...] = (
        Plan.public_id,
        Plan.employee_id,
        func.coalesce(employee.c.name, ""),
        Plan.manager_id,
        func.coalesce(manager.c.name, ""),
        type_coerce(Plan.status, String),
        _day(db, Plan.start_date),
        _day(db, Plan.end_date),
        case((current, "yes"), else_="no"),
        case((current, _utc_day(db, Plan.acknowledged_at)), else_=""),
        cast(due, String),
        cast(completed, String),
        cast(missed, String),
        func.coalesce(marks.c.summary, ""),
        func.coalesce(marks.c.as_of, ""),
        func.coalesce(marks.c.author, ""),
        func.coalesce(type_coerce(Plan.outcome, String), ""),
        func.coalesce(_day(db, Plan.outcome_effective_date), ""),
        finals,
    )
    columns: tuple[ColumnElement[Any], ...] = cells
    if lines:
        texts = [_csv_text(db, c) if i in _FREE_TEXT else c for i, c in enumerate(cells)]
        line = _csv_line(db, texts)
        columns = (line, due, completed, missed, finals)
    return (
        select(*columns)
        .select_from(Plan)
        .outerjoin(employee, employee_found)
        .outerjoin(manager, manager_found)
        .outerjoin(counts, counts.c.plan_id == Plan.id)
        .outerjoin(marks, marks.c.plan_id == Plan.id)
        .outerjoin(results, results.c.plan_id == Plan.id)
        .where(Plan.id > after, Plan.id <= until, Plan.status.not_in(UNSENT_STATUSES))
        .order_by(Plan.id)
    )


def _csv_text(db: Session, value: ColumnElement[str]) -> ColumnElement[str]:
    """A free-text cell as csv.writer writes it after spreadsheet_safe, in the database:
    a `'` before a formula prefix, and in double quotes (doubled inside) when it holds a
    comma, a double quote, a CR or a LF (QUOTE_MINIMAL, the only characters it quotes for)."""
    safe = case((func.substr(value, 1, 1).in_(FORMULA_PREFIXES), "'"), else_="")
    if db.get_bind().dialect.name == "postgresql":
        special = value.regexp_match(f"[{_CSV_SPECIAL}]")
    else:  # one GLOB: SQLAlchemy's REGEXP on SQLite calls back into Python for every row
        special = value.op("GLOB")(f"*[{_CSV_SPECIAL}]*")
    quoted = literal('"').concat(safe).concat(func.replace(value, '"', '""')).concat('"')
    return case((special, quoted), else_=safe.concat(value))


def _csv_line(db: Session, cells: Sequence[ColumnElement[str]]) -> ColumnElement[str]:
    """The cells joined by commas, ended as csv.writer ends a line (CRLF), in the database
    (no cell is NULL)."""
    if db.get_bind().dialect.name == "postgresql":  # one call, where || copies the line each time
        return func.concat(func.concat_ws(",", *cells), "\r\n")
    line = cells[0]  # SQLite has concat_ws from 3.44 only
    for cell in cells[1:]:
        line = line.concat(",").concat(cell)
    return line.concat("\r\n")


def _counts(today: date, after: BindParameter[int], until: BindParameter[int]) -> Subquery:
    """Due, completed and missed scheduled check-ins per plan of the chunk, read from one
    index range (`ix_checkins_plan_id_occurrence_date_id_kind_status`)."""
    completed = func.count().filter(Checkin.status.in_(COMPLETED_CHECKIN_STATUSES))
    missed = func.count().filter(Checkin.status == CheckinStatus.MISSED)
    return (
        select(
            Checkin.plan_id,
            func.count().label("due"),
            completed.label("completed"),
            missed.label("missed"),
        )
        .where(Checkin.plan_id > after, Checkin.plan_id <= until, *due_checkins(today))
        .group_by(Checkin.plan_id)
        .subquery("counts")
    )


def _latest_marks(db: Session, after: BindParameter[int], until: BindParameter[int]) -> Subquery:
    """Per plan of the chunk: (plan_id, summary, as_of, author) of the goal statuses of its
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
    in_chunk = (Plan.id > after, Plan.id <= until)
    author = type_coerce(CheckinGoalStatus.author, String)
    label = case(_LABELS, value=type_coerce(CheckinGoalStatus.status, String))
    piece = literal("Goal ").concat(cast(Goal.position + 1, String)).concat(": ").concat(label)
    if db.get_bind().dialect.name == "postgresql":
        # Per plan a LATERAL walk; then the marks of the chunk's check-ins by plan and
        # author in goal order, and per plan the last author ("manager" sorts after
        # "employee"): the review when there is one.
        walk = newest_marked.lateral("newest")
        by_author = (
            select(
                Plan.id.label("plan_id"),
                func.aggregate_strings(piece, "; ")
                .aggregate_order_by(Goal.position)
                .label("summary"),
                _day(db, walk.c.occurrence_date).label("as_of"),
                author.label("author"),
            )
            .select_from(Plan)
            .join(walk, true())
            .join(CheckinGoalStatus, CheckinGoalStatus.checkin_id == walk.c.id)
            .join(Goal, Goal.id == CheckinGoalStatus.goal_id)
            .where(*in_chunk)
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
    latest = select(Plan.id.label("plan_id"), newest.label("checkin_id")).where(*in_chunk)
    chosen = latest.subquery("latest")
    reviewer = aliased(CheckinGoalStatus)
    # "manager" sorts after "employee": the review when there is one.
    preferred = select(func.max(reviewer.author)).where(reviewer.checkin_id == Checkin.id)
    marked = (
        select(
            chosen.c.plan_id,
            _in_goal_order(piece, chosen.c.plan_id).label("summary"),
            _day(db, Checkin.occurrence_date).label("as_of"),
            author.label("author"),
            _first_in_goal_order(chosen.c.plan_id),
        )
        # Joined on Checkin.id, not on chosen's column: SQLite would copy the walk there too.
        .join(Checkin, Checkin.id == chosen.c.checkin_id)
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


def _final_results(after: BindParameter[int], until: BindParameter[int]) -> Subquery:
    """Per plan of the chunk with any: (plan_id, words) of its goals' final results at close
    in goal order and words (final_result_label, values of the earlier scale included)."""
    label = case(FINAL_RESULT_LABELS, value=Goal.final_result, else_=NO_FINAL_RESULT)
    piece = literal("Goal ").concat(cast(Goal.position + 1, String)).concat(": ").concat(label)
    ranked = (
        select(
            Goal.plan_id,
            _in_goal_order(piece, Goal.plan_id).label("words"),
            _first_in_goal_order(Goal.plan_id),
        )
        .where(Goal.plan_id > after, Goal.plan_id <= until, Goal.final_result.is_not(None))
        .subquery("ranked_results")
    )
    return select(ranked.c.plan_id, ranked.c.words).where(ranked.c.first == 1).subquery("results")


def _cached_name(db: Session, user_id: Any, alias: str) -> tuple[FromClause, ColumnElement[bool]]:
    """The cached profile of `user_id` as a `name` column to outer-join, and the join's
    condition: the name people know them by, the real name, else the handle, else the id.

    A lookup by primary key per plan: PostgreSQL, given a plain join, hashes every cached
    profile for each chunk, so there it is a LATERAL subquery (LIMIT 1 keeps PostgreSQL from
    pulling it up into that join; user_id is the primary key).
    """
    name = func.coalesce(
        func.nullif(SlackUser.real_name, ""), func.nullif(SlackUser.name, ""), SlackUser.user_id
    ).label("name")
    if db.get_bind().dialect.name == "postgresql":
        found = (
            select(name).where(SlackUser.user_id == user_id).limit(1).correlate(Plan).lateral(alias)
        )
        return found, true()
    profiles = select(SlackUser.user_id, name).subquery(alias)
    return profiles, profiles.c.user_id == user_id


def _chunks(
    db: Session, statement: Select[Any], readers: int = 1
) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of `statement` chunk by chunk, by plan id, as the driver returns them.

    The statement is compiled once and run per chunk with its `after` and `until` bound
    (psycopg prepares it on the server after a few runs). Every value is text or a number
    made in SQL, so the driver's plain tuples need no result objects around them; the
    parameters are ones both drivers take as they are (ints, strings).

    With `readers` > 1, that many pooled connections of their own read chunks side by side
    (the database's work is most of a chunk's time, and the sqlite3 module and psycopg let
    go of the GIL meanwhile): they see what is committed, not this session's own changes.
    """
    top = db.scalar(select(func.max(Plan.id)))
    if top is None:
        return
    connection = db.connection()
    compiled = statement.compile(connection, compile_kwargs={"render_postcompile": True})
    sql, params = str(compiled), dict(compiled.params)
    if connection.dialect.name == "sqlite":  # the sqlite3 module's date adapter is deprecated
        params = {k: v.isoformat() if isinstance(v, date) else v for k, v in params.items()}
    names = compiled.positiontup if compiled.positional else None

    def bound(after: int) -> Any:
        values = {**params, "after": after, "until": after + CSV_CHUNK_PLANS}
        return [values[name] for name in names] if names is not None else values

    starts = range(0, top, CSV_CHUNK_PLANS)
    database = connection.engine.url.database
    memory = connection.dialect.name == "sqlite" and database in (None, "", ":memory:")
    if readers < 2 or memory:  # a memory database is this connection's own
        cursor = connection.connection.cursor()
        try:
            for after in starts:
                cursor.execute(sql, bound(after))
                yield list(cursor.fetchall())
        finally:
            cursor.close()
        return
    yield from _read_side_by_side(
        connection.engine, sql, [bound(after) for after in starts], readers
    )


def _read_side_by_side(
    engine: Engine, sql: str, chunks: Sequence[Any], readers: int
) -> Iterator[list[tuple[Any, ...]]]:
    """Run `sql` once per bound parameters of `chunks` on `readers` pooled connections,
    yielding the rows in the order of `chunks` (at most readers + 1 chunks ahead)."""
    local = threading.local()
    opened: list[Any] = []
    guard = threading.Lock()

    def read(parameters: Any) -> list[tuple[Any, ...]]:
        if not hasattr(local, "cursor"):
            raw = engine.raw_connection()
            with guard:
                opened.append(raw)
            local.cursor = raw.cursor()
        local.cursor.execute(sql, parameters)
        return list(local.cursor.fetchall())

    pending: deque[Future[list[tuple[Any, ...]]]] = deque()
    with ThreadPoolExecutor(max_workers=readers, thread_name_prefix="report") as pool:
        try:
            for parameters in chunks:
                pending.append(pool.submit(read, parameters))
                if len(pending) > readers + 1:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
            pool.shutdown(wait=True)
            for raw in opened:
                raw.close()  # back to the pool (rolled back there)


def _add_up(totals: CheckinTotals, rows: list[tuple[Any, ...]]) -> None:
    """Add a chunk's check-in counts and final results (columns 1 to 4) to `totals`."""
    totals.due += sum(row[1] for row in rows)
    totals.completed += sum(row[2] for row in rows)
    totals.missed += sum(row[3] for row in rows)
    # Plans share a handful of distinct results texts: count those, then read their words.
    for words, plans in Counter(row[4] for row in rows).items():
        for piece in words.split("; ") if words else ():
            label = piece.split(": ", 1)[1]
            totals.final_results[label] = totals.final_results.get(label, 0) + plans


def report_rows(db: Session, actor: Actor, today: date) -> list[dict[str, str]]:
    """One row of plain text per plan, keyed by CSV_COLUMNS, oldest plan first (HR only)."""
    require_report_access(actor)
    statement = chunk_query(db, today, lines=False)
    return [dict(zip(CSV_COLUMNS, row, strict=True)) for c in _chunks(db, statement) for row in c]


def report_csv(db: Session, actor: Actor, today: date) -> str:
    """The per-plan rows as CSV text with a header row, safe to open in a spreadsheet (HR only)."""
    return "".join(csv_chunks(db, actor, today))


def csv_chunks(
    db: Session,
    actor: Actor,
    today: date,
    totals: CheckinTotals | None = None,
    *,
    readers: int = 1,
) -> Iterator[str]:
    """The CSV of report_csv, a header and then CSV_CHUNK_PLANS plans at a time (HR only).

    Memory stays bounded whatever the number of plans: write the chunks to a file. When
    `totals` is given, the check-in counts and final results of every plan are added to it
    (for org_report). The database makes each line; here they are only joined. With
    `readers` > 1 (CSV_READERS for /pip report), that many connections read chunks side by
    side, seeing what is committed.
    """
    require_report_access(actor)
    yield ",".join(CSV_COLUMNS) + "\r\n"  # the names need no quoting
    for rows in _chunks(db, chunk_query(db, today), readers):
        if totals is not None:
            _add_up(totals, rows)
        yield "".join([row[0] for row in rows])
