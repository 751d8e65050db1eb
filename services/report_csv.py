"""The org report's per-plan CSV, a chunk of plans at a time, every line made in the database.

Per chunk of CSV_CHUNK_PLANS plan ids, with statements compiled once per report: the plans
with their cached names and each closed plan's kept cells (services.report_facts), one
statement; then, for the plans with none (the open ones, mostly the newest ids), their
cells worked out from their check-ins and goals by a second statement over the ids from
the first such plan to the last. Each row comes back as its CSV line, quoted as csv.writer
quotes (QUOTE_MINIMAL) with the free-text cells made spreadsheet-safe, beside the numbers
the figures add up: Python only joins strings. report_rows selects the worked-out cells raw.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    FromClause,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    func,
    literal,
    select,
    true,
)
from sqlalchemy.orm import Session

from models import Plan, PlanReportFacts, SlackUser
from services.access import UNSENT_STATUSES, Actor, may_run_org_report
from services.errors import NotAllowed
from services.report_facts import joined, kept, tail_cells, worked_out

REFUSAL = "Only HR can run the report."
# A spreadsheet reads a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_CHUNK_PLANS = 2500  # plan ids per CSV chunk: bounded memory, one statement per chunk
# Connections /pip report reads CSV chunks on, side by side, by database, while the figures
# are worked out beside them on one more (services.report.write_report). PostgreSQL works in
# processes of its own, two readers keep two busy; SQLite works in this process's threads,
# where a second reader made the whole slower on two cores (bench/README.md).
CSV_READERS = {"postgresql": 2, "sqlite": 1}
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
# The first five columns (ids, names) hold what people or Slack chose, quoted as need be;
# every other column is made in the database (services.report_facts.tail_cells): it never
# starts with a formula prefix and never holds a comma, a double quote or a line break.


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


_AFTER, _UNTIL = bindparam("after", 0, Integer), bindparam("until", 0, Integer)


def _head(
    db: Session,
) -> tuple[tuple[Any, ...], Select[Any], tuple[ColumnElement[bool], ...]]:
    """The free-text cells (ids, cached names) and a statement over the sent plans with an id
    in (:after, :until], by id, with what they read joined, and its conditions (bound
    parameters `after` and `until` pick the chunk: the statement is compiled once per
    report)."""
    in_chunk = (Plan.id > _AFTER, Plan.id <= _UNTIL, Plan.status.not_in(UNSENT_STATUSES))
    employee, employee_found = _cached_name(db, Plan.employee_id, "employee")
    manager, manager_found = _cached_name(db, Plan.manager_id, "manager")
    head = (
        Plan.public_id,
        Plan.employee_id,
        func.coalesce(employee.c.name, ""),
        Plan.manager_id,
        func.coalesce(manager.c.name, ""),
    )
    statement = (
        select(Plan.id)
        .select_from(Plan)
        .outerjoin(employee, employee_found)
        .outerjoin(manager, manager_found)
        .where(*in_chunk)
        .order_by(Plan.id)
    )
    return head, statement, in_chunk


def chunk_query(db: Session, today: date, *, lines: bool = True) -> Select[Any]:
    """The statement of one chunk, every cell worked out from the plans, check-ins and goals.

    With `lines`, each row is (plan id, CSV line, due, completed, missed, final results in
    words); otherwise (plan id, the CSV_COLUMNS cells raw). bench/explain.py shows its plan.
    """
    head, statement, in_chunk = _head(db)
    facts = worked_out(db, today, in_chunk)
    tail = tail_cells(db, facts)
    if lines:
        line = _csv_line(db, [*(_csv_text(db, cell) for cell in head), joined(db, tail)])
        columns: tuple[Any, ...] = (line, facts.due, facts.completed, facts.missed)
        columns += (facts.final_results,)
    else:
        columns = (*head, *tail)
    return facts.join_onto(statement.add_columns(*columns))


def kept_query(db: Session, today: date) -> Select[Any]:
    """The statement of one chunk as chunk_query's with `lines`, from the closed plans'
    kept rows (services.report_facts) that hold on `today`: the line is NULL for any other
    plan, to be worked out by chunk_query."""
    head, statement, _ = _head(db)
    row = PlanReportFacts
    cells: list[Any] = [*(_csv_text(db, cell) for cell in head), row.csv_tail]
    line = _csv_line(db, cells)
    columns = (
        case((row.plan_id.is_not(None), line)),
        row.due,
        row.completed,
        row.missed,
        row.final_results,
    )
    # The chunk's range on the kept rows too: PostgreSQL otherwise hashes every kept row.
    in_range = and_(row.plan_id > _AFTER, row.plan_id <= _UNTIL, kept(today))
    return statement.add_columns(*columns).outerjoin(row, in_range)


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
    if db.get_bind().dialect.name == "postgresql":
        return func.concat(joined(db, cells), "\r\n")
    return joined(db, cells).concat("\r\n")


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


def others_see_the_store(db: Session) -> bool:
    """True when other pooled connections read the store `db` reads: not a SQLite memory
    database, which is its connection's own."""
    engine = db.connection().engine
    return engine.dialect.name != "sqlite" or engine.url.database not in (None, "", ":memory:")


@dataclass(frozen=True)
class _Compiled:
    """A chunk statement compiled once, with its parameters as the driver takes them."""

    sql: str
    params: dict[str, Any]
    names: Sequence[str] | None  # the order of positional parameters, when they are

    @classmethod
    def of(cls, connection: Connection, statement: Select[Any]) -> _Compiled:
        """`statement` compiled for `connection`'s driver."""
        compiled = statement.compile(connection, compile_kwargs={"render_postcompile": True})
        params = dict(compiled.params)
        if connection.dialect.name == "sqlite":  # the sqlite3 module's date adapter is deprecated
            params = {k: v.isoformat() if isinstance(v, date) else v for k, v in params.items()}
        names = compiled.positiontup if compiled.positional else None
        return cls(str(compiled), params, names)

    def run(self, cursor: Any, after: int, until: int) -> list[tuple[Any, ...]]:
        """The rows of the plans with an id in (after, until]."""
        values = {**self.params, "after": after, "until": until}
        cursor.execute(self.sql, [values[n] for n in self.names] if self.names else values)
        return list(cursor.fetchall())


def _chunks(
    db: Session, statement: Select[Any], readers: int = 1, worked: Select[Any] | None = None
) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of `statement` chunk by chunk, by plan id, as the driver returns them.

    The statements are compiled once and run per chunk with its `after` and `until` bound
    (psycopg prepares them on the server after a few runs). Every value is text or a number
    made in SQL, so the driver's plain tuples need no result objects around them; the
    parameters are ones both drivers take as they are (ints, strings). With `worked`, the
    rows whose second column is NULL are `worked`'s rows of those plans instead, read in one
    run over the ids from the first of them to the last.

    With `readers` > 1, that many pooled connections of their own read chunks side by side
    (the database's work is most of a chunk's time, and the sqlite3 module and psycopg let
    go of the GIL meanwhile): they see what is committed, not this session's own changes.
    """
    top = db.scalar(select(func.max(Plan.id)))
    if top is None:
        return
    connection = db.connection()
    first = _Compiled.of(connection, statement)
    then = _Compiled.of(connection, worked) if worked is not None else None

    def read(cursor: Any, after: int) -> list[tuple[Any, ...]]:
        rows = first.run(cursor, after, after + CSV_CHUNK_PLANS)
        missing = [row[0] for row in rows if row[1] is None]
        if then is None or not missing:
            return rows
        found = {row[0]: row for row in then.run(cursor, missing[0] - 1, missing[-1])}
        # A plan deleted between the two reads (they may see different commits) is left out.
        return [
            row if row[1] is not None else found[row[0]]
            for row in rows
            if row[0] in found or row[1] is not None
        ]

    starts = range(0, top, CSV_CHUNK_PLANS)
    if readers < 2 or not others_see_the_store(db):
        cursor = connection.connection.cursor()
        try:
            for after in starts:
                yield read(cursor, after)
        finally:
            cursor.close()
        return
    yield from _read_side_by_side(connection.engine, read, starts, readers)


def _read_side_by_side(
    engine: Engine,
    read: Callable[[Any, int], list[tuple[Any, ...]]],
    starts: Sequence[int],
    readers: int,
) -> Iterator[list[tuple[Any, ...]]]:
    """`read(cursor, after)` of each of `starts` on `readers` pooled connections, yielding the
    rows in the order of `starts` (at most readers + 1 chunks ahead)."""
    local = threading.local()
    opened: list[Any] = []
    guard = threading.Lock()

    def on_own_cursor(after: int) -> list[tuple[Any, ...]]:
        if not hasattr(local, "cursor"):
            raw = engine.raw_connection()
            with guard:
                opened.append(raw)
            local.cursor = raw.cursor()
        return read(local.cursor, after)

    pending: deque[Future[list[tuple[Any, ...]]]] = deque()
    with ThreadPoolExecutor(max_workers=readers, thread_name_prefix="report") as pool:
        try:
            for after in starts:
                pending.append(pool.submit(on_own_cursor, after))
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
    """Add a chunk's check-in counts and final results (columns 2 to 5) to `totals`."""
    totals.due += sum(row[2] for row in rows)
    totals.completed += sum(row[3] for row in rows)
    totals.missed += sum(row[4] for row in rows)
    # Plans share a handful of distinct results texts: count those, then read their words.
    for words, plans in Counter(row[5] for row in rows).items():
        for piece in words.split("; ") if words else ():
            label = piece.split(": ", 1)[1]
            totals.final_results[label] = totals.final_results.get(label, 0) + plans


def report_rows(db: Session, actor: Actor, today: date) -> list[dict[str, str]]:
    """One row of plain text per plan, keyed by CSV_COLUMNS, oldest plan first (HR only)."""
    require_report_access(actor)
    statement = chunk_query(db, today, lines=False)
    return [
        dict(zip(CSV_COLUMNS, row[1:], strict=True)) for c in _chunks(db, statement) for row in c
    ]


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
    worked = chunk_query(db, today)
    for rows in _chunks(db, kept_query(db, today), readers, worked):
        if totals is not None:
            _add_up(totals, rows)
        yield "".join([row[1] for row in rows])
