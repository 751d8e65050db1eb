"""Benchmark: the surfaces people wait on, with the store filled to N plans.

Run: `.venv/bin/python -m bench.bench_scale [--plans 1000,100000] [--postgres] [--samples 30]
[--only export|report]`.

For each size it fills a fresh database (a SQLite file, or with --postgres a throw-away
database on the PIP_TEST_POSTGRES_URL server, dropped afterwards) with bench/fill.py, starts
the real `python bot.py` against a fake Slack on 127.0.0.1 and times, from the request sent
to what the person sees arriving at Slack:

- HR `/pip list all`, page 1 and the last page (typed), and a late page by its More button;
- HR Home and a manager's Home (app_home_opened until views.publish);
- `/pip show` (until views.open), an employee's plain DM reply (until the thread answer);
- `/pip report` (its acknowledgement, and until the CSV is uploaded);
- `/pip export` of a plan with 100 check-ins (until uploaded; and the render alone).

It prints p50/p99 in ms, the bot's RSS before and after, "database is locked" lines and
lines logged at ERROR in the bot's log, and with two sizes a growth table. `--only export`
times the export alone, `--samples` times (the full run takes a third of that); `--only
report` the report alone, `--samples` times (the full run takes three). It asserts nothing.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bench.fill import Filled, fill
from bench.harness import TOKEN, Bot, Requests, TimedFakeSlack, cpu_s, rss_mb, summary_ms
from db import make_engine, make_session_factory, migrate
from models import (
    Author,
    Cadence,
    Checkin,
    CheckinGoalStatus,
    CheckinKind,
    CheckinStatus,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Goal,
    GoalStatus,
    Plan,
    PlanStatus,
)
from services import audit
from services.access import Actor
from services.export import plan_record, render_html, render_markdown
from services.export_pdf import render_pdf
from views.ids import Action, Block

HR = "UHRBENCH"
LONG_PLAN = "PIP-LONG01"
GROWTH_ROWS = ("HR list, page 1", "HR list, last page", "HR list, More", "HR Home", "manager Home")


def _long_plan(db: Session, manager: str, today: date) -> None:
    """A plan with three goals and 100 answered and reviewed check-ins, with history."""
    start = today - timedelta(days=700)
    plan = Plan(
        public_id=LONG_PLAN,
        team_id="T0001",
        employee_id="UELONG",
        manager_id=manager,
        issues='Late <reviews> & missed "handovers".',
        expectations="On time.",
        support="Pairing.",
        consequences="Further action.",
        start_date=start,
        end_date=today + timedelta(days=30),
        cadence=Cadence.WEEKLY,
        checkin_weekday=2,
        status=PlanStatus.ACKNOWLEDGED,
        goals=[
            Goal(position=i, description=f"Goal {i}", measure="m", target="t", due_date=today)
            for i in range(3)
        ],
    )
    db.add(plan)
    db.flush()
    audit.append_event(db, plan, manager, "created", {"public_id": LONG_PLAN})
    for week in range(100):
        day = start + timedelta(days=7 * week)
        checkin = Checkin(
            plan_id=plan.id,
            kind=CheckinKind.SCHEDULED,
            occurrence_date=day,
            status=CheckinStatus.REVIEWED,
            employee_submitted_at=datetime.combine(day, datetime.min.time(), UTC),
            employee_progress=f"Week {week}: <progress> & notes",
            employee_blockers="None",
            reviewer_id=manager,
            reviewed_at=datetime.combine(day, datetime.min.time(), UTC),
            next_steps="Keep going & report back",
            private_notes="Watch <this>",
            goal_statuses=[
                CheckinGoalStatus(goal_id=g.id, author=a, status=GoalStatus.ON_TRACK, note="ok")
                for g in plan.goals
                for a in (Author.EMPLOYEE, Author.MANAGER)
            ],
        )
        db.add(checkin)
        db.flush()
        audit.append_event(db, plan, manager, "checkin_reviewed", {"checkin_id": checkin.id})
    db.commit()


def _dm_samples(
    db: Session, slack: TimedFakeSlack, filled: Filled, count: int
) -> list[tuple[str, str]]:
    """Open-plan employees whose latest prompt is freshly posted in the fake: (user, channel)."""
    client = WebClient(token=TOKEN, base_url=slack.url)
    samples = []
    step = max(1, (filled.plans - filled.open_from) // count)
    for plan_id in range(filled.open_from, filled.plans + 1, step)[:count]:
        employee = Filled.employee(plan_id)
        slack.add_user(employee, name=employee.lower(), tz="UTC")
        channel = client.conversations_open(users=employee)["channel"]["id"]
        ts = client.chat_postMessage(channel=channel, text="Your check-in is open.")["ts"]
        latest = db.scalar(
            select(Delivery.id)
            .where(
                Delivery.plan_id == plan_id,
                Delivery.kind == DeliveryKind.CHECKIN_PROMPT,
                Delivery.status == DeliveryStatus.SENT,
            )
            .order_by(Delivery.sent_at.desc())
            .limit(1)
        )
        if latest is None:
            continue
        db.execute(
            update(Delivery)
            .where(Delivery.id == latest)
            .values(channel_id=channel, message_ts=ts, sent_at=datetime.now(UTC))
        )
        samples.append((employee, channel))
    db.commit()
    return samples


def _late_key(db: Session) -> list[object]:
    """The list key of a plan two pages before the end of HR's `/pip list all`."""
    row = db.execute(
        select(Plan.status, Plan.end_date, Plan.id)
        .order_by(Plan.status == PlanStatus.CLOSED, Plan.end_date, Plan.id)
        .offset(max(0, int(db.scalar(text("SELECT count(*) FROM plans")) or 0) - 31))
        .limit(1)
    ).one()
    return [row[0] == PlanStatus.CLOSED, row[1].isoformat(), row[2]]


def _quiet(slack: TimedFakeSlack, bot: Bot, seconds: float = 3.0, limit: float = 300.0) -> None:
    """Wait until the scheduler's start-up backlog (prompts owed by the filled plans), which
    the full run's other surfaces outlast, is sent: no delivery claimable in the store and
    no Slack call for `seconds` (a paced or backed-off dispatcher is quiet for a while)."""
    started = time.monotonic()
    seen = slack.mark()
    engine = make_engine(bot.database_url)
    owed = -1
    try:
        while time.monotonic() < started + limit:
            time.sleep(seconds)
            with engine.connect() as conn:
                owed = int(
                    conn.scalar(
                        select(func.count())
                        .select_from(Delivery)
                        .where(
                            Delivery.status == DeliveryStatus.PENDING,
                            Delivery.next_attempt_at <= datetime.now(UTC),
                        )
                    )
                    or 0
                )
            now = slack.mark()
            if now == seen and owed == 0:
                break
            seen = now
    finally:
        engine.dispose()
    print(
        f"(waited {time.monotonic() - started:.0f} s for the start-up backlog to be sent; "
        f"{owed} deliveries still claimable)"
    )
    # What this process holds by now (the fake Slack keeps every message of the backlog)
    # stays for the run: kept out of the collector's full passes, which otherwise paused this
    # process, and so the moment a call is seen to arrive, for 100-180 ms once in a while.
    gc.collect()
    gc.freeze()


def _measure(samples: int, one: Callable[[int], float], warm: int = 3) -> list[float]:
    for i in range(warm):
        one(-1 - i)
    return [one(i) for i in range(samples)]


def run_size(
    plans: int, postgres: bool, samples: int, folder: Path, only: str | None = None
) -> dict[str, Any]:
    """Fill, serve, measure one size; returns the figures."""
    admin_url = os.environ.get("PIP_TEST_POSTGRES_URL", "")
    name = f"pip_bench_{uuid.uuid4().hex[:10]}"
    admin: Engine | None = None
    if postgres:
        admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = (
            make_url(admin_url)
            .set(drivername="postgresql+psycopg", database=name)
            .render_as_string(hide_password=False)
        )
    else:
        url = f"sqlite:///{folder}/bench-{plans}.db"
    results: dict[str, Any] = {"plans": plans}
    try:
        engine = make_engine(url)
        migrate(engine)
        today = datetime.now(UTC).date()
        started = time.monotonic()
        filled = fill(engine, plans, today)
        results["fill_s"] = time.monotonic() - started
        sessions = make_session_factory(engine)
        manager = Filled.manager(0)
        with sessions() as db:
            _long_plan(db, manager, today)
        with TimedFakeSlack() as slack:
            for user in (HR, manager, "UELONG"):
                slack.add_user(user, name=user.lower(), tz="UTC")
            with sessions() as db:
                dm = _dm_samples(db, slack, filled, samples + 3)
                late = _late_key(db)
                started = time.perf_counter()
                record = plan_record(db, Actor(manager), LONG_PLAN, datetime.now(UTC))
                render_html(record)
                render_markdown(record)
                results["render_ms"] = (time.perf_counter() - started) * 1000
                started = time.perf_counter()
                render_pdf(record)
                results["pdf_ms"] = (time.perf_counter() - started) * 1000
            engine.dispose()
            bot = Bot(
                url,
                slack,
                folder / f"bot-{plans}.log",
                HR_USER_IDS=HR,
                SCHEDULER_ENABLED="true",
            )
            try:
                bot.wait_healthy()
                results["rss_start"] = rss_mb(bot.proc.pid)
                results["surfaces"] = _surfaces(bot, slack, filled, dm, late, samples, only)
                results["rss_end"] = rss_mb(bot.proc.pid)
            finally:
                bot.stop()
            log = bot.output()
            results["locked"] = log.count("database is locked")
            results["errors"] = sum(
                " ERROR " in line or '"ERROR"' in line for line in log.splitlines()
            )
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()
    return results


def _surfaces(
    bot: Bot,
    slack: TimedFakeSlack,
    filled: Filled,
    dm: list[tuple[str, str]],
    late: list[object],
    samples: int,
    only: str | None = None,
) -> dict[str, list[float]]:
    send = Requests(bot.base, slack)
    manager = Filled.manager(0)
    pages = -(-(filled.plans + 1) // 15)
    closed_plan = Filled.public_id(filled.managers)  # manager 0's, closed, ~10 check-ins

    def http(user: str, words: str) -> Callable[[int], float]:
        def one(_: int) -> float:
            status, _body, sent, answered = send.command(user, words)
            assert status == 200, (status, _body)
            return answered - sent

        return one

    def until(method: str, start: Callable[[], float], match: Callable[[dict], bool]) -> float:  # type: ignore[type-arg]
        mark = slack.mark()
        sent = start()
        return slack.wait_for(method, mark, match) - sent

    def home(user: str) -> Callable[[int], float]:
        def one(_: int) -> float:
            event = {"type": "app_home_opened", "user": user, "tab": "home", "channel": "D0HOME"}
            return until(
                "views.publish",
                lambda: send.event({**event, "event_ts": f"{time.time():.6f}"})[2],
                lambda args: args.get("user_id") == user,
            )

        return one

    def more(_: int) -> float:
        payload = {
            "type": "block_actions",
            "user_id": HR,
            "response_url": slack.response_url(),
            "container": {"type": "message", "message_ts": "1.0", "channel_id": "C0GENERAL"},
            "channel": {"id": "C0GENERAL"},
            "message": {"ts": "1.0", "text": "list"},
            "actions": [
                {
                    "type": "button",
                    "action_id": Action.LIST_PAGE,
                    "block_id": Block.LIST_NAV,
                    "value": json.dumps({"scope": "all", "page": pages - 1, "after": late}),
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        return until("response_url", lambda: send.interactive(payload)[2], lambda _: True)

    def show(_: int) -> float:
        return until(
            "views.open", lambda: send.command(manager, f"show {closed_plan}")[2], lambda _: True
        )

    def reply(i: int) -> float:
        user, channel = dm[i + 3]
        event = {
            "type": "message",
            "channel_type": "im",
            "channel": channel,
            "user": user,
            "text": "Going fine this week.",
        }
        return until(
            "chat.postMessage",
            lambda: send.event({**event, "ts": f"{time.time():.6f}"})[2],
            lambda args: args.get("channel") == channel and bool(args.get("thread_ts")),
        )

    def export(_: int) -> float:
        return until(
            "files.completeUploadExternal",
            lambda: send.command(manager, f"export {LONG_PLAN}")[2],
            lambda _: True,
        )

    report_csv: list[float] = []

    def report(_: int) -> float:
        mark = slack.mark()
        status, _body, sent, answered = send.command(HR, "report")
        assert status == 200, (status, _body)
        report_csv.append(slack.wait_for("files.completeUploadExternal", mark, timeout=300) - sent)
        return answered - sent

    if only == "export":
        _quiet(slack, bot)
        _measure(0, export)  # the warm-up runs
        cpu = cpu_s(bot.proc.pid)
        times = _measure(samples, export, warm=0)
        cpu = cpu_s(bot.proc.pid) - cpu
        # The bot's CPU time per export (user and system, all its threads), in the same
        # "times" as the wall clock so that summary_ms prints it in ms.
        return {"/pip export (100 check-ins)": times, "bot CPU per export": [cpu / samples]}
    if only == "report":
        _quiet(slack, bot)
        print(f"(RSS {rss_mb(bot.proc.pid):.0f} MB once the backlog is sent)")
        acks = _measure(samples, report, warm=1)
        print("report CSV, each run in order (ms):", [round(t * 1000) for t in report_csv])
        return {"/pip report ack": acks, "/pip report CSV": report_csv[1:]}
    _quiet(slack, bot)
    figures = {
        "HR list, page 1": _measure(samples, http(HR, "list all")),
        "HR list, last page": _measure(samples, http(HR, f"list all {pages}")),
        "HR list, More": _measure(samples, more),
        "HR Home": _measure(samples, home(HR)),
        "manager Home": _measure(samples, home(manager)),
        "/pip show": _measure(samples, show),
        "employee DM reply": _measure(min(samples, len(dm) - 3), reply),
        "/pip export (100 check-ins)": _measure(max(3, samples // 3), export),
        "/pip report ack": _measure(3, report, warm=1),
    }
    figures["/pip report CSV"] = report_csv[1:]
    return figures


def main() -> None:
    """Run the sizes asked for and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plans", default="1000,100000")
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument(
        "--only",
        choices=("export", "report"),
        help="time only this surface, `--samples` times",
    )
    args = parser.parse_args()
    store = "PostgreSQL" if args.postgres else "SQLite"
    sizes = [int(n) for n in args.plans.split(",")]
    runs = []
    with tempfile.TemporaryDirectory() as folder:
        for plans in sizes:
            result = run_size(plans, args.postgres, args.samples, Path(folder), args.only)
            runs.append(result)
            print(f"\n{store}, {plans:,} plans (fill {result['fill_s']:.0f} s)")
            print("| surface | p50 ms | p99 ms | n |\n| --- | --- | --- | --- |")
            for surface, times in result["surfaces"].items():
                p50, p99 = summary_ms(times)
                print(f"| {surface} | {p50:.1f} | {p99:.1f} | {len(times)} |")
            print(f"| export record + HTML + Markdown alone | {result['render_ms']:.1f} | | 1 |")
            print(f"| export PDF render alone | {result['pdf_ms']:.1f} | | 1 |")
            print(
                f"RSS {result['rss_start']:.0f} MB at start, {result['rss_end']:.0f} MB after "
                f"({result['rss_end'] / result['rss_start']:.2f}x); "
                f"'database is locked' in the bot's log: {result['locked']}; "
                f"lines logged at ERROR: {result['errors']}"
            )
    if len(runs) == 2 and not args.only:
        small, large = runs
        print(f"\nGrowth, {store}, p50: {small['plans']:,} vs {large['plans']:,} plans")
        print("| surface | small ms | large ms | large / small |\n| --- | --- | --- | --- |")
        for surface in GROWTH_ROWS:
            a = summary_ms(small["surfaces"][surface])[0]
            b = summary_ms(large["surfaces"][surface])[0]
            print(f"| {surface} | {a:.1f} | {b:.1f} | {b / a:.2f}x |")


if __name__ == "__main__":
    main()
