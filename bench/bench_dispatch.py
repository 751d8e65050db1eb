"""Benchmark: how fast the dispatcher drains the outbox, and how much memory it takes.

Run: `.venv/bin/python -m bench.bench_dispatch [--deliveries 2000] [--database-url URL]`.
It posts to the fake Slack of the tests on localhost; nothing leaves the machine. It prints
deliveries per second and peak memory; it asserts nothing (benchmarks measure, tests assert).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime
from datetime import time as clock_time

from bot import make_delivery_client
from config import Settings
from db import make_engine, make_session_factory, migrate
from models import Cadence, DeliveryKind, Plan, PlanStatus
from scheduler.dispatcher import Dispatcher
from services.outbox import enqueue
from tests.fakeslack import FakeSlack


def main() -> None:
    """Fill the outbox with notices for many people and time the ticks that send them."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as folder,
        FakeSlack(bot_token="xoxb-bench").start() as slack,
    ):
        url = args.database_url or f"sqlite:///{folder}/bench.db"
        engine = make_engine(url)
        migrate(engine)
        sessions = make_session_factory(engine)
        settings = Settings(
            slack_bot_token="xoxb-bench",
            slack_signing_secret="s",
            slack_api_url=slack.url,
            checkin_time=clock_time(10, 0),
        )
        now = datetime.now(UTC)
        with sessions() as db:
            for i in range(args.deliveries):
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
        sent = 0
        while sent < args.deliveries:
            posted = dispatcher.tick()
            if posted == 0:
                break
            sent += posted
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        print(f"sent {sent} deliveries in {elapsed:.2f} s: {sent / elapsed:.0f}/s")
        print(f"peak traced memory while dispatching: {peak / 1e6:.1f} MB")
        engine.dispose()


if __name__ == "__main__":
    main()
