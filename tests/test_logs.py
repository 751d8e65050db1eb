"""Logs: JSON lines, request and delivery context, no secrets or plan text, a quiet idle ticker."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine
from apscheduler.events import EVENT_JOB_EXECUTED, JobExecutionEvent
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

import logs
from bot import create_app, make_client
from config import Settings
from models import Plan
from scheduler.dispatcher import Dispatcher
from scheduler.ticker import start_ticker
from tests.constants import BOT_TOKEN, EMPLOYEE, MANAGER, SIGNING_SECRET
from tests.fakeslack import FakeSlack
from tests.handlers.test_checkins import FIRST_PROMPT, _answers, _open_checkin_form
from tests.handlers.test_close import _close_form, _close_values
from tests.plan_helpers import GOAL_TEXTS, dm_messages
from tests.slackdriver import SlackDriver
from views.ids import Action

OPENED = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)  # Monday
PROGRESS = "Progress only the database may hold: rebuilt the deploy script"
SUMMARY = "Summary only the database may hold: every goal met"
ISSUES = "2 Nov: missed the release review"  # the form helper's issues text


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Everything logged, as the bot configures it with LOG_FORMAT=json LOG_LEVEL=debug."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    levels = {name: logging.getLogger(name).level for name in logs._QUIET}
    stream = io.StringIO()
    logs.configure("json", "debug", stream=stream)
    yield stream
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_a_whole_plan_life_logs_no_secret_and_no_plan_text(
    captured: io.StringIO,
    plan: Plan,
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    slack: FakeSlack,
    engine: Engine,
    session_factory: sessionmaker[Session],
) -> None:
    # Acknowledged, with the manager's notice failing once as if Slack were down.
    slack.fail_next("chat.postMessage", status=500)
    driver.press(EMPLOYEE, dm_messages(slack, EMPLOYEE)[0], Action.ACKNOWLEDGE)
    # The first check-in: the first submission meets a database error carrying the answers
    # in its statement parameters; the second goes through.
    clock.move_to(FIRST_PROMPT)
    driver.dispatcher.tick()
    view = _open_checkin_form(driver, slack)
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TRIGGER forced BEFORE INSERT ON plan_events "
                "BEGIN SELECT RAISE(ABORT, 'forced failure'); END"
            )
        )
    driver.submit(EMPLOYEE, view, _answers(plan, progress=PROGRESS))
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER forced"))
    driver.submit(EMPLOYEE, view, _answers(plan, progress=PROGRESS))
    # A notice that cannot be delivered at all, then the outcome.
    slack.fail_next("chat.postMessage", error="channel_not_found")
    view = _close_form(driver, MANAGER, plan)
    driver.submit(MANAGER, view, _close_values(plan, "successful", SUMMARY))
    driver.dispatcher.tick()

    lines = _lines(captured)  # every line parses as JSON
    assert any("exception" in line and "forced failure" in line["exception"] for line in lines)
    raw = captured.getvalue()
    typed = [ISSUES, PROGRESS, SUMMARY, *(part for goal in GOAL_TEXTS[:3] for part in goal)]
    for secret in [BOT_TOKEN, SIGNING_SECRET, *typed]:
        assert secret not in raw, secret
    # Lines about a request name its kind and user; lines about a delivery its id and kind.
    failed = [line for line in lines if "exception" in line and "request_kind" in line]
    assert failed and failed[0]["request_kind"] == "view" and failed[0]["user_id"] == EMPLOYEE
    deliveries = [line for line in lines if "delivery_id" in line]
    assert deliveries and all("delivery_kind" in line for line in deliveries)
    assert any(line["level"] == "WARNING" for line in deliveries)


def test_text_lines_carry_the_context() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.TextFormatter())
    handler.addFilter(logs.ContextFilter())
    logger = logging.getLogger("pipbot.test_logs")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with logs.request_context("command", "U123"):
            logger.warning("one")
        with logs.delivery_context(42):
            logs.bind_delivery_kind("checkin_prompt")
            logger.warning("two")
        logger.warning("three")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    one, two, three = stream.getvalue().splitlines()
    assert one.endswith("one [request_kind=command user_id=U123]")
    assert two.endswith("two [delivery_id=42 delivery_kind=checkin_prompt]")
    assert three.endswith("three")


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_an_idle_ticker_and_a_new_app_write_no_info_line(
    captured: io.StringIO,
    settings: Settings,
    session_factory: sessionmaker[Session],
    dispatcher: Dispatcher,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    quiet = io.StringIO()
    logs.configure("text", "info", stream=quiet)
    # Bolt warns about an unused token whenever SLACK_BOT_TOKEN is set, as it is in production.
    monkeypatch.setenv("SLACK_BOT_TOKEN", settings.slack_bot_token)
    create_app(settings, session_factory, make_client(settings), dispatcher=dispatcher)
    ran = threading.Semaphore(0)

    def on_run(event: JobExecutionEvent) -> None:
        ran.release()

    # A one-second ticker: three idle ticks, each of which used to log two INFO lines.
    ticker = start_ticker(dispatcher, interval=1)
    try:
        ticker.add_listener(on_run, EVENT_JOB_EXECUTED)
        for _ in range(3):
            assert ran.acquire(timeout=10)
    finally:
        ticker.shutdown(wait=True)
    assert quiet.getvalue() == ""


def test_font_subsetting_writes_no_info_line(captured: io.StringIO) -> None:
    """fontTools, which fpdf2 subsets each export's fonts with, logs each glyph list at INFO."""
    quiet = io.StringIO()
    logs.configure("text", "info", stream=quiet)
    logging.getLogger("fontTools.subset").info("Glyph names: ['.notdef', 'A']")
    logging.getLogger("fontTools.subset").warning("a font it cannot read")
    [line] = quiet.getvalue().splitlines()  # the warning, and only the warning
    assert "a font it cannot read" in line


def test_bad_log_settings_name_the_variable() -> None:
    from config import ConfigError

    base = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
    for name, value in [("LOG_FORMAT", "xml"), ("LOG_LEVEL", "loud"), ("HEALTH_PORT", "x")]:
        with pytest.raises(ConfigError) as raised:
            Settings.from_env({**base, name: value})
        assert raised.value.variable == name
    settings = Settings.from_env(
        {**base, "LOG_FORMAT": "JSON", "LOG_LEVEL": "warning", "HEALTH_PORT": "9100"}
    )
    assert (settings.log_format, settings.log_level, settings.health_port) == (
        "json",
        "warning",
        9100,
    )
