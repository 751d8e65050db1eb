"""The real `python bot.py` delivering: start-up drains, SIGTERM is prompt, replicas start.

These start child processes against the fake Slack (served from this test process) and wait
for them (polling the database or the fake, as `BotProcess.wait_healthy` polls /healthz).
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from db import make_engine, make_session_factory, migrate
from models import DeliveryStatus, utcnow
from scheduler.ticker import INTERVAL_SECONDS
from tests.fakeslack import FakeSlack
from tests.outbox_helpers import person, posted_counts, seed, statuses
from tests.process import BotProcess, bot_env

TOKEN = "xoxb-process"
POST = "chat.postMessage"


def _env(slack: FakeSlack, url: str, **extra: str) -> dict[str, str]:
    return bot_env(
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET="process-test-secret",
        SLACK_API_URL=slack.url,
        DATABASE_URL=url,
        **extra,
    )


def _until(condition: Callable[[], bool], timeout: float) -> bool:
    """Poll `condition` (work done by a child process) until true or `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(bot_token=TOKEN).start() as fake:
        yield fake


@pytest.fixture
def database(tmp_path: Path) -> Iterator[tuple[str, Engine, sessionmaker[Session]]]:
    url = f"sqlite:///{tmp_path / 'pip.db'}"
    engine = make_engine(url)
    migrate(engine)
    yield url, engine, make_session_factory(engine)
    engine.dispose()


def test_fifty_deliveries_due_at_start_up_are_sent_within_one_tick_interval(
    tmp_path: Path, slack: FakeSlack, database: tuple[str, Engine, sessionmaker[Session]]
) -> None:
    url, _, sessions = database
    # Known people (their profiles cached when their plans were made), never written to yet.
    ids = seed(sessions, slack, 50, utcnow() - timedelta(minutes=5), known=True)
    bot = BotProcess(_env(slack, url), cwd=tmp_path)
    started = time.monotonic()
    try:
        all_sent = _until(
            lambda: statuses(sessions, ids) == {DeliveryStatus.SENT: 50}, INTERVAL_SECONDS
        )
        took = time.monotonic() - started
    finally:
        bot.stop()
    assert all_sent, statuses(sessions, ids)
    assert took < INTERVAL_SECONDS
    counts = posted_counts(slack, [person(i) for i in range(50)])
    assert sorted(counts) == sorted(ids) and set(counts.values()) == {1}


@pytest.mark.parametrize(
    ("slack_mode", "limit"), [("slow", 5.0), ("hanging", 15.0)], ids=["answers_in_1s", "hangs"]
)
def test_sigterm_during_sends_exits_promptly_and_loses_or_doubles_nothing(
    tmp_path: Path,
    slack: FakeSlack,
    database: tuple[str, Engine, sessionmaker[Session]],
    slack_mode: str,
    limit: float,
) -> None:
    url, _, sessions = database
    ids = seed(sessions, slack, 30, utcnow() - timedelta(minutes=1), known=True)
    if slack_mode == "slow":
        slack.slow(POST, 1.0)
    else:
        slack.hang(POST)  # Slack takes each post and never answers
    bot = BotProcess(_env(slack, url), cwd=tmp_path)
    assert _until(lambda: len(slack.calls_to(POST)) >= 3, 30), bot.output()

    signalled = time.monotonic()
    bot.proc.send_signal(signal.SIGTERM)
    try:
        bot.proc.wait(timeout=limit + 5)
    finally:
        took = time.monotonic() - signalled
        bot.stop()
    assert bot.proc.returncode == 0, bot.output()
    assert took < limit
    # A post sent just before the signal may arrive a moment after it; none starts later.
    late = [c for c in slack.calls_to(POST) if c.at > signalled + 0.1]
    assert late == []
    assert DeliveryStatus.CLAIMED not in statuses(sessions, ids)  # unstarted ones given back

    slack.slow(POST, 0)
    slack.hang(POST, enabled=False)
    again = BotProcess(_env(slack, url), cwd=tmp_path)
    try:
        done = _until(lambda: statuses(sessions, ids) == {DeliveryStatus.SENT: 30}, 60)
    finally:
        again.stop()
    assert done, statuses(sessions, ids)
    counts = posted_counts(slack, [person(i) for i in range(30)])
    assert sorted(counts) == sorted(ids)
    assert [d for d, n in counts.items() if n != 1] == []


def test_two_processes_started_together_on_a_fresh_sqlite_file_both_come_up(
    tmp_path: Path, slack: FakeSlack
) -> None:
    for trial in range(10):
        folder = tmp_path / f"trial{trial}"
        folder.mkdir()
        env = _env(slack, f"sqlite:///{folder / 'pip.db'}")
        bots = [BotProcess(env, cwd=folder) for _ in range(2)]
        try:
            for bot in bots:
                bot.wait_healthy()
        finally:
            codes = [bot.stop() for bot in bots]
        outputs = [bot.output() for bot in bots]
        assert codes == [0, 0], outputs
        assert not any("Traceback" in output for output in outputs), outputs
