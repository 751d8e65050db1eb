"""The real `python bot.py` in HTTP mode: health, signed commands, refused forgeries."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.conftest import PostgresDatabases
from tests.fakeslack import FakeSlack
from tests.process import BotProcess, bot_env, free_port, run_bot
from tests.slackdriver import sign

SECRET = "process-test-secret"


def _env(slack: FakeSlack, database_url: str) -> dict[str, str]:
    """The bot's environment: the fake Slack, the test secret and `database_url`."""
    return bot_env(
        SLACK_BOT_TOKEN="xoxb-process",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.url,
        DATABASE_URL=database_url,
    )


def _help_command(slack: FakeSlack) -> bytes:
    return urlencode(
        {
            "token": "t",
            "team_id": "T0001",
            "channel_id": "C0GENERAL",
            "user_id": "UMANAGER",
            "user_name": "maria",
            "command": "/pip",
            "text": "help",
            "api_app_id": "A0001",
            "response_url": slack.response_url(),
            "trigger_id": slack.new_trigger_id(),
        }
    ).encode()


@pytest.fixture
def bot(tmp_path: Path) -> Iterator[tuple[BotProcess, FakeSlack]]:
    with FakeSlack(bot_token="xoxb-process").start() as slack:
        env = _env(slack, f"sqlite:///{tmp_path / 'pip.db'}")
        process = BotProcess(env, cwd=tmp_path)
        try:
            process.wait_healthy()
            yield process, slack
        finally:
            process.stop()


def test_health_help_and_signature_checks(bot: tuple[BotProcess, FakeSlack]) -> None:
    process, slack = bot
    body = _help_command(slack)
    form = {"content-type": "application/x-www-form-urlencoded"}

    status, answer, seconds = process.post(
        "/slack/events", body, {**form, **sign(SECRET, body.decode())}
    )
    assert status == 200
    assert seconds < 3
    reply = json.loads(answer)
    assert reply["response_type"] == "ephemeral"
    assert "/pip new" in reply["text"] and "/pip export" in reply["text"]

    unsigned = process.post("/slack/events", body, form)
    stale = process.post(
        "/slack/events", body, {**form, **sign(SECRET, body.decode(), int(time.time()) - 600)}
    )
    forged = process.post("/slack/events", body, {**form, **sign("wrong-secret", body.decode())})
    assert [unsigned[0], stale[0], forged[0]] == [401, 401, 401]


def test_sigterm_stops_cleanly(tmp_path: Path) -> None:
    with FakeSlack(bot_token="xoxb-process").start() as slack:
        env = _env(slack, f"sqlite:///{tmp_path / 'pip.db'}")
        process = BotProcess(env, cwd=tmp_path)
        process.wait_healthy()
        assert process.stop() == 0
        assert "Traceback" not in process.output()


@pytest.mark.postgres
def test_healthz_is_503_when_the_database_is_gone(
    pg_databases: PostgresDatabases, tmp_path: Path
) -> None:
    url = pg_databases.create()
    with FakeSlack(bot_token="xoxb-process").start() as slack:
        env = _env(slack, url)
        process = BotProcess(env, cwd=tmp_path)
        try:
            process.wait_healthy()
            pg_databases.drop(url)
            with pytest.raises(urllib.error.HTTPError) as raised:
                urllib.request.urlopen(process.base + "/healthz", timeout=10)
            assert raised.value.code == 503
            assert json.loads(raised.value.read())["database"] is False
        finally:
            process.stop()


@pytest.mark.postgres
def test_two_replicas_start_on_one_fresh_postgres_database(
    pg_databases: PostgresDatabases, tmp_path: Path
) -> None:
    url = pg_databases.create()
    with FakeSlack(bot_token="xoxb-process").start() as slack:
        env = _env(slack, url)
        replicas = [BotProcess(env, cwd=tmp_path), BotProcess(env, cwd=tmp_path)]
        try:
            for replica in replicas:
                replica.wait_healthy()
        finally:
            codes = [replica.stop() for replica in replicas]
        assert codes == [0, 0], [r.output() for r in replicas]


def test_the_start_up_log_says_which_approval_is_in_force(tmp_path: Path) -> None:
    with FakeSlack(bot_token="xoxb-process").start() as slack:
        env = {**_env(slack, f"sqlite:///{tmp_path / 'pip.db'}"), "HR_USER_IDS": "UHR"}
        process = BotProcess(env, cwd=tmp_path)
        process.wait_healthy()
        assert process.stop() == 0
    assert "plan approval: hr (PLAN_APPROVAL=auto, HR is configured)" in process.output()


def test_the_health_port_answers_only_once_the_slack_port_listens(tmp_path: Path) -> None:
    health_port = free_port()
    health = f"http://127.0.0.1:{health_port}/healthz"
    with FakeSlack(bot_token="xoxb-process").start() as slack:
        env = {**_env(slack, f"sqlite:///{tmp_path / 'pip.db'}"), "HEALTH_PORT": str(health_port)}
        process = BotProcess(env, cwd=tmp_path)
        try:
            deadline = time.monotonic() + 60
            while True:  # asking as often as a load balancer might
                assert process.proc.poll() is None, process.output()
                assert time.monotonic() < deadline, "never healthy"
                try:
                    with urllib.request.urlopen(health, timeout=2) as response:
                        if response.status == 200:
                            break
                except (urllib.error.URLError, ConnectionError):
                    time.sleep(0.002)  # a child process binding its ports, not time passing
            # The moment the health port says yes, Slack's port takes connections.
            with socket.create_connection(("127.0.0.1", process.port), timeout=2):
                pass
        finally:
            process.stop()


def test_a_port_already_taken_stops_the_bot_with_one_line_naming_it(tmp_path: Path) -> None:
    with socket.socket() as taken, FakeSlack(bot_token="xoxb-process").start() as slack:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**_env(slack, f"sqlite:///{tmp_path / 'pip.db'}"), "PORT": str(port)}
        done = run_bot(env, tmp_path)
    assert done.returncode == 1
    output = done.stdout + done.stderr
    assert "stopped: OSError: " in output and f"port {port}: Address already in use" in output
    assert "Traceback" not in output
