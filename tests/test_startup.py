"""Start-up checks of the real `python bot.py` against the fake Slack, and `bot.py check`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.fakeslack import FakeSlack, manifest_scopes
from tests.process import ROOT, BotProcess, bot_env, run_bot

TOKEN = "xoxb-process"
PLACEHOLDER = "xoxb-your-bot-token"  # what .env.example holds


def _env(slack: FakeSlack, tmp_path: Path, **extra: str) -> dict[str, str]:
    return bot_env(
        **{
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": "startup-secret",
            "SLACK_API_URL": slack.url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'pip.db'}",
            **extra,
        }
    )


def _serve_briefly(env: dict[str, str], cwd: Path) -> str:
    process = BotProcess(env, cwd=cwd)
    try:
        process.wait_healthy()
    finally:
        assert process.stop() == 0
    return process.output()


def _warnings(output: str) -> list[str]:
    return [line for line in output.splitlines() if " WARNING " in line]


def test_a_refused_token_stops_with_one_line_and_check_says_error(tmp_path: Path) -> None:
    with FakeSlack(bot_token=TOKEN).start() as slack:
        env = _env(slack, tmp_path, SLACK_BOT_TOKEN=PLACEHOLDER)
        result = run_bot(env, cwd=tmp_path)
        assert [c.method for c in slack.calls] == ["auth.test"]
        check = run_bot(env, cwd=tmp_path, args=("check",))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "SLACK_BOT_TOKEN" in lines[0] and "invalid_auth" in lines[0]
    assert "OAuth & Permissions" in lines[0]
    assert not (tmp_path / "pip.db").exists()  # stopped before touching the database

    assert check.returncode == 1
    assert "Traceback" not in check.stdout + check.stderr
    rows = [row.split(maxsplit=2) for row in check.stdout.splitlines()]
    assert rows[0][:2] == ["ok", "configuration"]
    assert rows[1][:2] == ["warning", "database"]  # pip.db does not exist yet
    assert rows[2][:2] == ["error", "SLACK_BOT_TOKEN"] and "invalid_auth" in rows[2][2]
    assert len(rows) == 3


def test_a_missing_scope_is_one_warning_and_the_bot_serves(tmp_path: Path) -> None:
    scopes = [scope for scope in manifest_scopes() if scope != "im:history"]
    with FakeSlack(bot_token=TOKEN, scopes=scopes).start() as slack:
        output = _serve_briefly(_env(slack, tmp_path), tmp_path)
    warnings = _warnings(output)
    assert len(warnings) == 1, output
    assert "im:history" in warnings[0] and "reinstall" in warnings[0]
    assert "Traceback" not in output


def test_an_hr_channel_without_the_bot_is_one_warning_naming_it_and_invite(
    tmp_path: Path,
) -> None:
    with FakeSlack(bot_token=TOKEN).start() as slack:
        slack.add_channel("CHRNOTICES", name="hr-notices", member=False, private=False)
        output = _serve_briefly(_env(slack, tmp_path, HR_CHANNEL_ID="CHRNOTICES"), tmp_path)
    warnings = _warnings(output)
    assert len(warnings) == 1, output
    assert "#hr-notices" in warnings[0] and "CHRNOTICES" in warnings[0]
    assert "/invite @PIP Bot" in warnings[0]


def test_socket_mode_with_a_refused_app_token_stops_with_one_line(tmp_path: Path) -> None:
    with FakeSlack(bot_token=TOKEN, app_token="xapp-the-real-one").start() as slack:
        env = _env(slack, tmp_path, SLACK_APP_TOKEN="xapp-your-app-token")
        result = run_bot(env, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "SLACK_APP_TOKEN" in lines[0] and "invalid_auth" in lines[0]
    assert "connections:write" in lines[0]


def test_migrate_then_check_prints_every_line(tmp_path: Path) -> None:
    with FakeSlack(bot_token=TOKEN, app_token="xapp-ok").start() as slack:
        slack.add_channel("CHR", name="hr")
        slack.add_user("UHANA", name="hana")
        env = _env(
            slack,
            tmp_path,
            HR_CHANNEL_ID="CHR",
            HR_USER_IDS="UHANA,UNOBODY",
            SLACK_APP_TOKEN="xapp-ok",
        )
        migrated = run_bot(env, cwd=tmp_path, args=("migrate",))
        check = run_bot(env, cwd=tmp_path, args=("check",))
    assert migrated.returncode == 0, migrated.stderr
    assert "newest revision" in migrated.stdout
    assert check.returncode == 0, check.stdout  # warnings do not fail the check
    rows = {(row.split()[1], row.split()[0]): row for row in check.stdout.splitlines()}
    for name in ["configuration", "database", "migrations", "SLACK_BOT_TOKEN", "scopes"]:
        assert (name, "ok") in rows, check.stdout
    assert ("SLACK_APP_TOKEN", "ok") in rows
    assert ("HR_CHANNEL_ID", "ok") in rows
    assert "Socket Mode" in rows[("configuration", "ok")]
    warning = rows[("HR_USER_IDS", "warning")]
    assert "UNOBODY" in warning and "Copy member ID" in warning


def test_the_image_health_check_follows_the_bot(tmp_path: Path) -> None:
    def healthcheck(port: int) -> int:
        env = bot_env(PORT=str(port))
        command = [sys.executable, str(ROOT / "healthcheck.py")]
        return subprocess.run(command, env=env, capture_output=True, timeout=30).returncode

    with FakeSlack(bot_token=TOKEN).start() as slack:
        process = BotProcess(_env(slack, tmp_path), cwd=tmp_path)
        try:
            process.wait_healthy()
            assert healthcheck(process.port) == 0
        finally:
            process.stop()
        assert healthcheck(process.port) == 1


def test_with_log_format_json_every_line_is_json(tmp_path: Path) -> None:
    scopes = [scope for scope in manifest_scopes() if scope != "files:write"]
    with FakeSlack(bot_token=TOKEN, scopes=scopes).start() as slack:
        output = _serve_briefly(_env(slack, tmp_path, LOG_FORMAT="json"), tmp_path)
        refused = run_bot(
            _env(slack, tmp_path, LOG_FORMAT="json", SLACK_BOT_TOKEN=PLACEHOLDER), cwd=tmp_path
        )
    lines = [json.loads(line) for line in output.splitlines()]
    assert [line["message"] for line in lines if line["level"] == "WARNING"] == [
        "scopes: the bot token lacks the scope files:write (exported plans and report CSVs): "
        "add it under OAuth & Permissions > Bot Token Scopes (or update the app from "
        "manifest.yml), then reinstall the app"
    ]
    assert any(line["message"].startswith("PIP Bot listening on port") for line in lines)
    assert refused.returncode == 2
    [line] = [json.loads(line) for line in refused.stderr.splitlines()]
    assert line["level"] == "CRITICAL" and "invalid_auth" in line["message"]
