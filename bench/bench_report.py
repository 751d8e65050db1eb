"""Benchmark: the `/pip report` work between its acknowledgement and the upload.

Run: `.venv/bin/python -m bench.bench_report [--plans 100000] [--postgres] [--runs 7]`
or against a store filled before: `--store URL` (the store is left as it is). `--keep`
fills a fresh store and keeps it, printing its URL for later `--store` runs.

A fresh store gets, after bench/fill.py, cached names for the managers and a third of the
employees (commas, quotes, CR/LF, formula prefixes, accents, emoji: the CSV quotes and
escapes them), final results on the goals (earlier-scale and unknown values too) and a
second goal on a quarter of the plans.

In the bench process (no bot, no Slack), as handlers/report.py does it
(services.report.write_report): the CSV written to a file chunk by chunk while a connection
of its own works out the figures and the breakdowns. Each run is a new session. The closed
plans' lines are kept (services.report_facts, written after the typed names and results as
the daily housekeeping would); `--live` times the report with none kept, every line worked
out. It prints p50, min and max in ms, the CSV's size and rows, and the load. It asserts
nothing.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, Table, case, delete, insert, select, update
from sqlalchemy.engine import make_url

from bench.fill import Filled, fill, settle_report_lines
from db import begin_read, make_engine, make_session_factory, migrate
from models import Goal, PlanReportFacts, SlackUser
from services.access import Actor
from services.report import write_report

HR = "UHRBENCH"


def _fresh(plans: int, postgres: bool, folder: Path) -> str:
    """A new store filled with `plans` plans; its URL."""
    if postgres:
        admin = make_engine(os.environ["PIP_TEST_POSTGRES_URL"], isolation_level="AUTOCOMMIT")
        name = f"pip_bench_report_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        admin.dispose()
        url = (
            make_url(os.environ["PIP_TEST_POSTGRES_URL"])
            .set(drivername="postgresql+psycopg", database=name)
            .render_as_string(hide_password=False)
        )
    else:
        url = f"sqlite:///{folder}/bench-report-{plans}.db"
    engine = make_engine(url)
    migrate(engine)
    started = time.monotonic()
    filled = fill(engine, plans, datetime.now(UTC).date())
    _typed(engine, filled)
    with engine.begin() as conn:  # the final results changed after the fill's settle
        conn.execute(delete(PlanReportFacts))
    settle_report_lines(engine)
    print(f"filled {plans:,} plans in {time.monotonic() - started:.0f} s")
    engine.dispose()
    return url


NAMES = (
    'Maria "M" Manager',
    "Smith, John",
    '=HYPERLINK("x")',
    "+44 20",
    "-minus",
    "@at",
    "\tTab",
    "\rCR start",
    "line\nbreak",
    "Zoë Ünïcode",
    "plain",
    "",
    "a\r\nb",
    "'quoted'",
    "trailing ",
    " leading",
    "semi;colon",
    "é中😀",
)
RESULTS = ("met", "partly_met", "not_met", "on_track", "at_risk", "off_track", "", None, "bogus")


def _typed(engine: Engine, filled: Filled) -> None:
    """Cached names people could have typed, final results and second goals (see above)."""
    now = datetime.now(UTC)
    profiles = [(Filled.manager(i), f"m{i}", NAMES[i % len(NAMES)]) for i in range(filled.managers)]
    profiles += [
        (Filled.employee(p), "" if p % 2 else f"h{p}", NAMES[p % len(NAMES)])
        for p in range(1, filled.plans + 1, 3)
    ]
    goals: Table = Goal.__table__  # type: ignore[assignment]
    with engine.begin() as conn:
        for first in range(0, len(profiles), 5_000):
            conn.execute(
                insert(SlackUser),
                [
                    {"user_id": u, "name": n, "real_name": r, "tz": "UTC", "fetched_at": now}
                    for u, n, r in profiles[first : first + 5_000]
                ],
            )
        conn.execute(
            update(goals).values(
                final_result=case(
                    *((goals.c.plan_id % len(RESULTS) == i, v) for i, v in enumerate(RESULTS)),
                    else_=None,
                )
            )
        )
        second = conn.execute(
            select(goals.c.plan_id, goals.c.due_date).where(goals.c.plan_id % 4 == 0)
        )
        rows = [
            {
                "plan_id": plan_id,
                "position": 1,
                "description": "Second",
                "measure": "m",
                "target": "t",
                "due_date": due,
                "final_result": ("met", "not_met", None)[plan_id % 3],
            }
            for plan_id, due in second
        ]
        for first in range(0, len(rows), 5_000):
            conn.execute(insert(goals), rows[first : first + 5_000])


def _drop(url: str) -> None:
    """Drop a PostgreSQL store made by `_fresh` (a SQLite file goes with its folder)."""
    if not url.startswith("postgresql"):
        return
    admin = make_engine(os.environ["PIP_TEST_POSTGRES_URL"], isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    admin.dispose()


def _one(engine: Engine, folder: Path) -> tuple[float, int, int]:
    """One report as the handler makes it: (seconds, CSV bytes, CSV rows)."""
    sessions = make_session_factory(engine)
    today = datetime.now(UTC).date()
    path = folder / "report.csv"
    with sessions() as db:
        begin_read(db)
        started = time.perf_counter()
        with path.open("w", newline="", encoding="utf-8") as out:
            write_report(db, Actor(HR, is_hr=True), today, out)
        done = time.perf_counter()
    with path.open(newline="", encoding="utf-8") as csv_file:
        rows = sum(1 for _ in csv.reader(csv_file))
    return done - started, path.stat().st_size, rows


def main() -> None:
    """Time the report's CSV and figures on a filled store and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plans", type=int, default=100_000)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--store", help="the URL of a store filled before (left as it is)")
    parser.add_argument("--keep", action="store_true", help="keep the fresh store")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--live", action="store_true", help="no closed plan's line kept: every line worked out"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        keep_folder = Path(tempfile.mkdtemp(prefix="pip-bench-report-")) if args.keep else folder
        url = args.store or _fresh(args.plans, args.postgres, keep_folder)
        if args.keep and not args.store:
            print(f"kept: --store '{url}'")
        engine = make_engine(url)
        try:
            if args.live:
                with engine.begin() as conn:
                    conn.execute(update(PlanReportFacts).values(version=0))
            _one(engine, folder)  # warm: the caches, the connection
            runs = [_one(engine, folder) for _ in range(args.runs)]
        finally:
            if args.live:  # the store as it was: the housekeeping writes every row again
                settle_report_lines(engine)
            engine.dispose()
            if not args.store and not args.keep:
                _drop(url)
    seconds = [r[0] for r in runs]
    kept = "none kept (--live)" if args.live else "closed plans' lines kept"
    print(f"{make_url(url).get_backend_name()}, {runs[0][2] - 1:,} plans in the CSV, {kept}")
    print(f"CSV {runs[0][1] / 1e6:.1f} MB; load: {os.getloadavg()[0]:.2f} (1 min)")
    print("| step | p50 ms | min ms | max ms | n |\n| --- | --- | --- | --- | --- |")
    print(
        f"| CSV to a file, figures beside | {statistics.median(seconds) * 1000:.0f} "
        f"| {min(seconds) * 1000:.0f} | {max(seconds) * 1000:.0f} | {len(seconds)} |"
    )


if __name__ == "__main__":
    main()
