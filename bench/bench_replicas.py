"""Benchmark: two web replicas and one scheduler on one PostgreSQL, as compose.yaml runs them.

Run: `.venv/bin/python -m bench.bench_replicas [--plans 4] [--postgres-url URL] [--timeout 120]`.

It starts three real `python bot.py` processes in HTTP mode on a throw-away PostgreSQL database
(two with SCHEDULER_ENABLED=false, one with the scheduler) against the fake Slack of the tests,
opens plans through signed `/pip new` requests spread over the two web replicas, brings each
plan's first check-in prompt forward to now, and waits until the outbox is drained. It prints
how many messages each process posted (from each one's /metrics), how many deliveries were sent,
and how many were posted more than once. Nothing leaves 127.0.0.1; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any
from urllib.parse import urlencode

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from db import make_engine
from tests.conftest import PostgresDatabases
from tests.fakeslack import FakeSlack
from tests.plan_helpers import form_values
from tests.process import BotProcess, bot_env
from tests.slackdriver import sign
from views.ids import Callback

SECRET = "bench-replicas-secret"
TOKEN = "xoxb-bench-replicas"
FORM = {"content-type": "application/x-www-form-urlencoded"}


def _signed(process: BotProcess, body: str) -> tuple[int, bytes]:
    status, answer, _ = process.post("/slack/events", body.encode(), {**FORM, **sign(SECRET, body)})
    return status, answer


def _command(slack: FakeSlack, process: BotProcess, user: str, command_text: str) -> int:
    form = {
        "team_id": "T0001",
        "channel_id": "C0GENERAL",
        "user_id": user,
        "user_name": user.lower(),
        "command": "/pip",
        "text": command_text,
        "api_app_id": "A0001",
        "response_url": slack.response_url(),
        "trigger_id": slack.new_trigger_id(),
    }
    return _signed(process, urlencode(form))[0]


def _open_plan(slack: FakeSlack, process: BotProcess, manager: str, employee: str) -> None:
    opened = len(slack.calls_to("views.open"))
    assert _command(slack, process, manager, "new") == 200
    deadline = time.monotonic() + 10
    while len(slack.calls_to("views.open")) == opened and time.monotonic() < deadline:
        time.sleep(0.05)  # the listener opens the modal right after the ack
    view = slack.calls_to("views.open")[-1].response["view"]
    values = form_values(view, start=datetime.now(UTC).date(), employee=employee)
    payload = {
        "type": "view_submission",
        "user": {"id": manager, "username": manager.lower(), "team_id": "T0001"},
        "team": {"id": "T0001", "domain": "acme"},
        "api_app_id": "A0001",
        "trigger_id": slack.new_trigger_id(),
        "view": {**view, "state": {"values": values}},
    }
    status, answer = _signed(process, urlencode({"payload": json.dumps(payload)}))
    # Answered at once with the form marked "saving" (PLAN_WRITER=process); the replica's plan
    # writer then turns it into "Plan sent".
    assert status == 200 and b'"errors"' not in answer, answer
    deadline = time.monotonic() + 30
    while not _sent(slack, view["id"]):
        assert time.monotonic() < deadline, f"the plan for {employee} was not written"
        time.sleep(0.05)  # the writer is another process


def _sent(slack: FakeSlack, view_id: str) -> bool:
    return any(
        c.args.get("view_id") == view_id
        and c.response.get("ok")
        and c.response["view"]["callback_id"] == Callback.PLAN_SENT
        for c in slack.calls_to("views.update")
    )


def _posts(process: BotProcess) -> int:
    with urllib.request.urlopen(process.base + "/metrics", timeout=10) as response:
        families = text_string_to_metric_families(response.read().decode())
    return int(
        sum(
            s.value
            for f in families
            for s in f.samples
            if s.name == "pipbot_slack_api_calls_total"
            and s.labels.get("method") == "chat.postMessage"
        )
    )


def _owed_now(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(
                conn.scalar(
                    text(
                        "SELECT count(*) FROM deliveries "
                        "WHERE status IN ('pending', 'claimed') AND due_at <= now()"
                    )
                )
                or 0
            )
    finally:
        engine.dispose()


def _wait_for_plans(url: str, plans: int, timeout: float = 10) -> None:
    """The form is acknowledged before the plan is written: wait until all are stored."""
    engine = make_engine(url)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                if int(conn.scalar(text("SELECT count(*) FROM plans")) or 0) >= plans:
                    return
            time.sleep(0.05)  # the listener writes the plan right after the ack
    finally:
        engine.dispose()


def _bring_first_prompts_forward(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            moved = conn.execute(
                text(
                    "UPDATE deliveries SET due_at = now(), next_attempt_at = now() WHERE id IN "
                    "(SELECT min(id) FROM deliveries WHERE kind = 'checkin_prompt' "
                    "GROUP BY plan_id)"
                )
            )
            return int(moved.rowcount)
    finally:
        engine.dispose()


def _statuses(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT kind || ':' || status, count(*) FROM deliveries "
                    "WHERE due_at <= now() GROUP BY 1 ORDER BY 1"
                )
            )
            return {str(k): int(n) for k, n in rows}
    finally:
        engine.dispose()


def run(
    plans: int, admin_url: str, timeout: float, *, scheduler_last: bool = False
) -> dict[str, Any]:
    """Run the scenario and return its figures.

    With `scheduler_last` the scheduler starts only after the plans are open (so its first
    tick, at start, sends them at once, and nothing can have been sent before it ran).
    """
    databases = PostgresDatabases(admin_url)
    processes: list[BotProcess] = []
    try:
        url = databases.create()
        with FakeSlack(bot_token=TOKEN).start() as slack, TemporaryDirectory() as folder:
            for i in range(plans):
                slack.add_user(f"UMGR{i:03d}", tz="UTC")
                slack.add_user(f"UEMP{i:03d}", tz="UTC")
            env = bot_env(
                SLACK_BOT_TOKEN=TOKEN,
                SLACK_SIGNING_SECRET=SECRET,
                SLACK_API_URL=slack.url,
                DATABASE_URL=url,
            )
            started = time.monotonic()
            web = [
                BotProcess({**env, "SCHEDULER_ENABLED": "false"}, cwd=Path(folder))
                for _ in range(2)
            ]
            processes = list(web)

            def start_scheduler() -> BotProcess:
                scheduler = BotProcess({**env, "SCHEDULER_ENABLED": "true"}, cwd=Path(folder))
                processes.append(scheduler)
                scheduler.wait_healthy()
                return scheduler

            scheduler = None if scheduler_last else start_scheduler()
            for process in web:
                process.wait_healthy()
            ready = time.monotonic() - started
            for i in range(plans):
                _open_plan(slack, web[i % 2], f"UMGR{i:03d}", f"UEMP{i:03d}")
            _wait_for_plans(url, plans)
            moved = _bring_first_prompts_forward(url)
            posted_before = len(slack.calls_to("chat.postMessage"))
            if scheduler is None:
                scheduler = start_scheduler()
            helps = [_command(slack, p, "UMGR000", "help") for p in processes]
            opened = time.monotonic()
            while _owed_now(url) and time.monotonic() - opened < timeout:
                time.sleep(0.5)  # the scheduler ticks every 30 seconds; this only watches it
            drained = time.monotonic() - opened
            posts = [_posts(p) for p in processes]
            statuses = _statuses(url)
            keys = Counter(
                json.dumps(c.args["metadata"]["event_payload"], sort_keys=True)
                for c in slack.calls_to("chat.postMessage")
                if c.response.get("ok") and isinstance(c.args.get("metadata"), dict)
            )
            prompts = sum(1 for k in keys if '"checkin_prompt"' in k)
        codes = [p.stop() for p in processes]
        processes = []
        return {
            "plans": plans,
            "ready_seconds": round(ready, 1),
            "help_statuses": helps,
            "posted_before_the_scheduler": posted_before if scheduler_last else None,
            "prompts_brought_forward": moved,
            "drained_seconds": round(drained, 1),
            "owed_left": _owed_now(url),
            "posts_by_process": {"web1": posts[0], "web2": posts[1], "scheduler": posts[2]},
            "delivery_statuses": statuses,
            "distinct_deliveries_posted": len(keys),
            "checkin_prompts_posted": prompts,
            "posted_more_than_once": sum(1 for n in keys.values() if n > 1),
            "exit_codes": codes,
        }
    finally:
        for process in processes:
            process.stop()
        databases.drop_all()


def main() -> None:
    """Parse the arguments, run once, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plans", type=int, default=4)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "PIP_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    for key, value in run(args.plans, args.postgres_url, args.timeout).items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
