"""Benchmark: how fast and how politely the dispatcher drains the outbox.

Two modes; both post to the fake Slack of the tests on 127.0.0.1 (nothing leaves the machine)
and assert nothing (benchmarks measure, tests assert).

- `inline` drives `Dispatcher.tick()` in this process against an unlimited fake Slack and
  prints deliveries per second and peak memory:
  `.venv/bin/python -m bench.bench_dispatch inline [--deliveries 2000] [--database-url URL]`
- `process` starts the real `python bot.py` (`--processes N` of them; ticker, dispatcher thread
  and all) against the fake Slack served from this process, with Slack-like limits: `--rate`
  chat.postMessage calls a second for the workspace, 1 a second per channel, and the published
  tiers of the other methods. N deliveries fall due at one instant, after the bots are up.
  It reports deliveries per second, the share of the allowed rate, Slack calls per delivery,
  429s received, lateness (sent minus due) p50/p99/max, duplicates, and posts made inside a
  Retry-After window:
  `.venv/bin/python -m bench.bench_dispatch process --deliveries 2000 --rate 20 \\
   [--processes 4 --postgres-admin-url postgresql://postgres@127.0.0.1:5432/test]`
  With --postgres-admin-url it creates a throw-away database there and drops it afterwards.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from bot import make_delivery_client
from config import Settings
from db import make_engine, make_session_factory, migrate
from models import Cadence, Delivery, DeliveryKind, DeliveryStatus, Plan, PlanStatus
from scheduler.dispatcher import Dispatcher
from scheduler.pacing import METHOD_RATES
from services.outbox import enqueue
from tests.fakeslack import FakeSlack
from tests.outbox_helpers import delivery_id_of, person, seed
from tests.process import ROOT, bot_env, free_port

TOKEN = "xoxb-bench"
POST = "chat.postMessage"
STARTUP_SECONDS = {1: 12.0, 2: 15.0, 4: 20.0}


def main() -> None:
    """Parse the mode and run it."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=["inline", "process"], nargs="?", default="inline")
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--postgres-admin-url", default=None)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--per-person", type=int, default=2)
    args = parser.parse_args()
    if args.mode == "inline":
        inline(args.deliveries, args.database_url)
    else:
        process(args)


def inline(deliveries: int, database_url: str | None) -> None:
    """Fill the outbox with notices for many people and time the ticks that send them."""
    with (
        tempfile.TemporaryDirectory() as folder,
        FakeSlack(bot_token=TOKEN).start() as slack,
    ):
        url = database_url or f"sqlite:///{folder}/bench.db"
        engine = make_engine(url)
        migrate(engine)
        sessions = make_session_factory(engine)
        settings = Settings(
            slack_bot_token=TOKEN,
            slack_signing_secret="s",
            slack_api_url=slack.url,
            checkin_time=clock_time(10, 0),
            post_rate=1000.0,
        )
        now = datetime.now(UTC)
        with sessions() as db:
            for i in range(deliveries):
                user = f"UBENCH{i % 200:04d}"
                slack.add_user(user, name=user.lower())
                plan = Plan(
                    public_id=f"PIP-B{i:05d}",
                    team_id="T",
                    employee_id=user,
                    manager_id="UMGR",
                    issues="i",
                    expectations="e",
                    consequences="c",
                    start_date=date(2027, 1, 4),
                    end_date=date(2027, 3, 5),
                    cadence=Cadence.WEEKLY,
                    checkin_weekday=2,
                    status=PlanStatus.ACTIVE,
                    ack_requested_at=now,
                )
                db.add(plan)
                db.flush()
                enqueue(
                    db,
                    key=f"bench:{i}",
                    kind=DeliveryKind.NOTICE,
                    recipient_id=user,
                    due_at=now,
                    plan_id=plan.id,
                    payload={"notice": "acknowledged"},
                )
            db.commit()
        dispatcher = Dispatcher(sessions, make_delivery_client(settings), settings)
        tracemalloc.start()
        started = time.perf_counter()
        sent = dispatcher.tick()
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        print(f"sent {sent} deliveries in {elapsed:.2f} s: {sent / elapsed:.0f}/s")
        print(f"peak traced memory while dispatching: {peak / 1e6:.1f} MB")
        engine.dispose()


def process(args: argparse.Namespace) -> None:
    """Real bot processes against a rate-limited fake Slack; prints the figures."""
    admin = None
    database_name = None
    with (
        tempfile.TemporaryDirectory() as folder,
        FakeSlack(bot_token=TOKEN).start() as slack,
    ):
        if args.postgres_admin_url:
            admin = make_engine(args.postgres_admin_url, isolation_level="AUTOCOMMIT")
            database_name = f"pip_bench_{uuid.uuid4().hex[:10]}"
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{database_name}"'))
            url = (
                make_url(args.postgres_admin_url)
                .set(drivername="postgresql+psycopg", database=database_name)
                .render_as_string(hide_password=False)
            )
        else:
            url = args.database_url or f"sqlite:///{folder}/bench.db"
        try:
            _run_processes(args, url, Path(folder), slack)
        finally:
            if admin is not None:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{database_name}" WITH (FORCE)'))
                admin.dispose()


def _run_processes(args: argparse.Namespace, url: str, folder: Path, slack: FakeSlack) -> None:
    engine = make_engine(url)
    migrate(engine)
    sessions = make_session_factory(engine)
    count, rate, processes = args.deliveries, args.rate, args.processes
    due = datetime.now(UTC) + timedelta(seconds=STARTUP_SECONDS.get(processes, 25.0))
    seed(sessions, slack, count, due, known=True, per_person=args.per_person)
    with sessions() as db:
        ids = list(db.scalars(select(Delivery.id)))
    # Slack's limits: the workspace's posts, one a second per channel, the method tiers.
    slack.limit(POST, rate)
    slack.limit_per_channel(POST, 1.0)
    for method, per_second in METHOD_RATES.items():
        slack.limit(method, per_second, burst=5)
    env = bot_env(
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET="bench-secret",
        SLACK_API_URL=slack.url,
        DATABASE_URL=url,
        SLACK_POST_RATE=str(rate),
    )
    bots = []
    for index in range(processes):
        log = open(folder / f"bot{index}.log", "w")  # noqa: SIM115 - closed below
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "bot.py")],
            env={**env, "PORT": str(free_port())},
            cwd=folder,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        bots.append((proc, log))
    deadline = time.monotonic() + (due - datetime.now(UTC)).total_seconds() + count / rate * 3
    try:
        while time.monotonic() < deadline:
            with sessions() as db:
                left = db.scalar(
                    select(Delivery.id)
                    .where(Delivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.CLAIMED]))
                    .limit(1)
                )
            if left is None:
                break
            if any(proc.poll() is not None for proc, _ in bots):
                print("a bot exited early; see its log")
                break
            time.sleep(0.5)  # waiting for child processes to do their work
    finally:
        for proc, _ in bots:
            proc.terminate()
        for proc, log in bots:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()
    _report(args, sessions, slack, ids, due, folder)
    engine.dispose()


def _report(
    args: argparse.Namespace,
    sessions: object,
    slack: FakeSlack,
    ids: list[int],
    due: datetime,
    folder: Path,
) -> None:
    count, rate = args.deliveries, args.rate
    with sessions() as db:  # type: ignore[operator]
        rows = db.execute(
            select(Delivery.status, Delivery.due_at, Delivery.sent_at).where(Delivery.id.in_(ids))
        ).all()
    sent = [r for r in rows if r[0] == DeliveryStatus.SENT]
    lateness = sorted((r[2] - r[1]).total_seconds() for r in sent)
    posts_ok = [c for c in slack.calls_to(POST) if c.status == 200 and c.response.get("ok")]
    last = max((c.wall for c in posts_ok), default=due.timestamp())
    span = max(last - due.timestamp(), 1e-9)
    delivered_per_s = len(sent) / span
    people = sorted({person(i // args.per_person) for i in range(count)})
    carried = Counter(
        delivery_id
        for someone in people
        for message in slack.messages(slack.dm_channel(someone))
        if (delivery_id := delivery_id_of(message)) is not None
    )
    duplicates = sum(n - 1 for n in carried.values() if n > 1)
    # The bots' start-up checks (auth.test and the like) come before anything is due.
    calls = [c for c in slack.calls if c.wall >= due.timestamp() - 1]
    startup = len(slack.calls) - len(calls)
    limited = [c for c in calls if c.status == 429]
    by_method = Counter(c.method for c in calls)
    errors = sum(
        1
        for log in folder.glob("bot*.log")
        for line in log.read_text().splitlines()
        if "Traceback" in line
    )

    def pct(q: float) -> float:
        if not lateness:
            return float("nan")
        return lateness[min(len(lateness) - 1, round(q * (len(lateness) - 1)))]

    database = "postgresql" if args.postgres_admin_url else "sqlite"
    print(
        f"processes: {args.processes}  database: {database}"
        f"  deliveries due at one instant: {count} ({len(people)} people)"
    )
    print(f"allowed: {rate:g} chat.postMessage/s, 1/s per channel")
    print(f"sent: {len(sent)}/{count} in {span:.1f} s: {delivered_per_s:.2f} deliveries/s")
    print(f"share of the allowed rate: {delivered_per_s / rate:.1%}")
    print(
        f"Slack calls per delivery: {len(calls) / max(len(sent), 1):.3f} "
        f"({', '.join(f'{m} {n}' for m, n in by_method.most_common())}; "
        f"{startup} start-up check calls before anything was due)"
    )
    print(f"429s received: {len(limited)} ({_why(slack)})")
    print(
        f"lateness p50 {statistics.median(lateness) if lateness else float('nan'):.1f} s, "
        f"p99 {pct(0.99):.1f} s, max {pct(1.0):.1f} s "
        f"(target p99 <= {count / rate * 1.15:.0f} s)"
    )
    print(f"duplicates: {duplicates}; deliveries never posted: {count - len(carried)}")
    print(f"chat.postMessage inside a Retry-After window: {len(slack.inside_retry_after(POST))}")
    print(f"tracebacks in the bots' logs: {errors}")


def _why(slack: FakeSlack) -> str:
    """How many 429s hit the per-channel limit (a post to the same channel < 1 s before)."""
    last: dict[str, float] = {}
    per_channel = 0
    for call in slack.calls_to(POST):
        channel = str(call.args.get("channel"))
        if call.status == 429 and call.at - last.get(channel, -10.0) < 1.0:
            per_channel += 1
        if call.status == 200:
            last[channel] = call.at
    return f"{per_channel} per channel"


if __name__ == "__main__":
    main()
