"""`python bot.py` with its plan writer process: forms acknowledged at once, written by the
child, which is started again when it dies and stopped with the bot."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.fakeslack import FakeSlack
from tests.plan_helpers import form_values
from tests.process import BotProcess, bot_env
from tests.slackdriver import sign
from views.ids import Callback

SECRET = "writer-process-secret"
MANAGER, EMPLOYEES = "UMARIA", ("UELI", "UERIK")
FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[BotProcess, FakeSlack]]:
    with FakeSlack(bot_token="xoxb-writer").start() as slack:
        for user in (MANAGER, *EMPLOYEES):
            slack.add_user(user, name=user.lower(), tz="UTC")
        env = bot_env(
            SLACK_BOT_TOKEN="xoxb-writer",
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=slack.url,
            DATABASE_URL=f"sqlite:///{tmp_path / 'pip.db'}",
        )
        process = BotProcess(env, cwd=tmp_path)
        try:
            process.wait_healthy()
            yield process, slack
        finally:
            process.stop()


def _post(process: BotProcess, body: str) -> tuple[int, dict[str, Any], float]:
    status, answer, seconds = process.post(
        "/slack/events", body.encode(), {**FORM, **sign(SECRET, body)}
    )
    return status, json.loads(answer or b"{}"), seconds


def _form(process: BotProcess, slack: FakeSlack) -> dict[str, Any]:
    """`/pip new` from the manager; the form the fake Slack now shows."""
    before = len(slack.calls_to("views.open"))
    command = {
        "team_id": "T0001",
        "channel_id": "C0GENERAL",
        "user_id": MANAGER,
        "user_name": "maria",
        "command": "/pip",
        "text": "new",
        "api_app_id": "A0001",
        "response_url": slack.response_url(),
        "trigger_id": slack.new_trigger_id(),
    }
    assert _post(process, urlencode(command))[0] == 200
    opened = _until(lambda: slack.calls_to("views.open")[before:])
    return opened[-1].response["view"]


def _submit(process: BotProcess, slack: FakeSlack, employee: str) -> tuple[dict[str, Any], str]:
    """Fill in and send a valid form for `employee`; the acknowledgement and the form's id."""
    view = _form(process, slack)
    today = datetime.now(UTC).date()
    payload = {
        "type": "view_submission",
        "user": {"id": MANAGER, "team_id": "T0001"},
        "team": {"id": "T0001", "domain": "acme"},
        "api_app_id": "A0001",
        "trigger_id": slack.new_trigger_id(),
        "view": {**view, "state": {"values": form_values(view, start=today, employee=employee)}},
    }
    status, answer, seconds = _post(process, urlencode({"payload": json.dumps(payload)}))
    assert status == 200 and seconds < 3
    return answer, view["id"]


def _until(found: Any, timeout: float = 30) -> Any:
    """Poll the fake Slack (another process writes to it) until `found()` is truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = found()
        if result:
            return result
        time.sleep(0.05)  # the bot's processes work on their own clocks; nothing to fake here
    raise AssertionError("timed out waiting for the bot")


def _sent(slack: FakeSlack, view_id: str) -> list[Any]:
    return [
        c
        for c in slack.calls_to("views.update")
        if c.args.get("view_id") == view_id
        and c.response.get("ok")
        and c.response["view"]["callback_id"] == Callback.PLAN_SENT
    ]


def _writer_pid(bot_pid: int) -> int | None:
    """The bot's plan writer (its child started by multiprocessing's spawn), if it runs."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == bot_pid and b"spawn_main" in cmdline:
            return int(entry.name)
    return None


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the child process through /proc")
def test_a_plan_is_written_by_the_child_which_comes_back_when_killed_and_stops_with_the_bot(
    running: tuple[BotProcess, FakeSlack],
) -> None:
    process, slack = running

    answer, view_id = _submit(process, slack, EMPLOYEES[0])

    assert answer["response_action"] == "update"
    assert answer["view"]["callback_id"] == Callback.NEW_PLAN
    _until(lambda: _sent(slack, view_id))
    # The written plan woke the web process's dispatcher: the employee has it in a DM.
    dm = slack.dm_channel(EMPLOYEES[0])
    _until(lambda: slack.messages(dm))

    first = _writer_pid(process.proc.pid)
    assert first is not None
    os.kill(first, signal.SIGKILL)
    _until(lambda: _writer_pid(process.proc.pid) not in (None, first))
    _, second_view = _submit(process, slack, EMPLOYEES[1])
    _until(lambda: _sent(slack, second_view))
    writer = _writer_pid(process.proc.pid)

    assert process.stop() == 0
    assert (
        not Path(f"/proc/{writer}").exists()
        or b"zombie" in Path(f"/proc/{writer}/status").read_bytes().lower()
    )
    log = process.output()
    assert log.count("plan writer started") == 2
    assert "the plan writer stopped (exit code -9); starting it again" in log
    assert "Traceback" not in log and "did not finish" not in log
