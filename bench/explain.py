"""Print PostgreSQL's plans for the queries behind lists, Home, DM replies, the report and the
claim, as the real functions issue them (EXPLAIN ANALYZE of each captured statement).

Run against a filled database (bench/fill.py), e.g.
`.venv/bin/python -m bench.explain postgresql+psycopg://postgres@127.0.0.1:5432/NAME`.
Statements that write (the claim) run inside a transaction that is rolled back.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from bench.fill import Filled
from db import make_engine, make_session_factory
from models import Delivery, DeliveryStatus
from services import report_csv
from services.access import Actor
from services.browse import Scope, list_plans
from services.home import home_data
from services.lists import ListKey
from services.outbox import claim_due, prompt_for_message
from services.report import org_report
from services.report_breakdown import breakdown

HR = Actor("UHR", is_hr=True)


def _explained(db: Session, statement: Any, **values: Any) -> None:
    """Run `statement` through the engine (so it is captured), as report_csv runs it raw,
    with `values` for some of its bound parameters."""
    compiled = statement.compile(db.connection(), compile_kwargs={"render_postcompile": True})
    db.connection().exec_driver_sql(str(compiled), {**compiled.params, **values})


def main() -> None:
    """EXPLAIN ANALYZE every statement of each surface and print the plans."""
    engine = make_engine(sys.argv[1])
    sessions = make_session_factory(engine)
    captured: list[tuple[str, Any]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def capture(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if not statement.startswith("EXPLAIN"):
            captured.append((statement, params))

    now = datetime.now(UTC)
    with sessions() as db:
        total = list_plans(db, HR, Scope.ALL, 1, now).pages
        late = list_plans(db, HR, Scope.ALL, total - 2, now).last_key
        channel, ts = db.execute(
            select(Delivery.channel_id, Delivery.message_ts)
            .where(Delivery.status == DeliveryStatus.SENT)
            .order_by(Delivery.id.desc())
            .limit(1)
        ).one()
    surfaces: list[tuple[str, Callable[[Session], Any]]] = [
        ("HR `/pip list all`, page 1", lambda db: list_plans(db, HR, Scope.ALL, 1, now)),
        ("HR `/pip list all`, last page", lambda db: list_plans(db, HR, Scope.ALL, total, now)),
        (
            "HR list, More from a late page (keyset)",
            lambda db: list_plans(db, HR, Scope.ALL, total - 1, now, after=late),
        ),
        ("HR Home", lambda db: home_data(db, HR, now)),
        ("manager Home", lambda db: home_data(db, Actor(Filled.manager(0)), now)),
        (
            "employee's plain DM reply: the prompt it answers",
            lambda db: prompt_for_message(
                db, channel, "U", thread_ts=None, ts=f"{float(ts) + 60:.6f}"
            ),
        ),
        ("`/pip report` figures", lambda db: org_report(db, HR, now.date())),
        ("`/pip report` breakdowns", lambda db: breakdown(db, HR, now.date())),
        (
            "`/pip report` CSV, one chunk of 2,500 plan ids, the closed plans' kept lines",
            lambda db: _explained(
                db, report_csv.kept_query(db, now.date()), after=40_000, until=42_500
            ),
        ),
        (
            "`/pip report` CSV, one chunk of 2,500 plan ids, each line worked out in SQL "
            "(the open plans, and a closed plan with no kept line)",
            lambda db: _explained(
                db, report_csv.chunk_query(db, now.date()), after=40_000, until=42_500
            ),
        ),
        (
            "the dispatcher's claim",
            lambda db: claim_due(db, "explain", now, timedelta(minutes=5), 50),
        ),
    ]
    assert isinstance(late, ListKey)
    for title, run in surfaces:
        print(f"\n### {title}\n")
        with sessions() as db:
            captured.clear()
            run(db)
            statements = list(captured)
            for statement, params in statements:
                if statement.startswith(("BEGIN", "SELECT pg_advisory")):
                    continue
                raw = db.connection().exec_driver_sql(
                    "EXPLAIN (ANALYZE, COSTS OFF, BUFFERS OFF) " + statement, params
                )
                print("```")
                print(" ".join(statement.split())[:300])
                print("\n".join(row[0] for row in raw))
                print("```")
            db.rollback()


if __name__ == "__main__":
    main()
