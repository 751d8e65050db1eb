"""Configuration: every variable of the runtime contract, and clear failures."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from config import ConfigError, Settings
from tests.process import bot_env, run_bot

VALID = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "secret"}


def test_defaults() -> None:
    settings = Settings.from_env(VALID)
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.port == 3000
    assert settings.database_url == "sqlite:///pipbot.db"
    assert settings.hr_channel_id is None
    assert settings.hr_user_ids == frozenset()
    assert settings.checkin_time == time(10, 0)
    assert settings.scheduler_enabled is True
    assert settings.plan_writer == "process"
    assert settings.socket_mode is False


def test_every_variable_is_read() -> None:
    settings = Settings.from_env(
        {
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_APP_TOKEN": "xapp-1",
            "SLACK_API_URL": "http://127.0.0.1:9/api",
            "PORT": "8080",
            "DATABASE_URL": "postgresql://u@db/pip",
            "HR_CHANNEL_ID": "C123HR",
            "HR_USER_IDS": "U1AB, W2CD",
            "CHECKIN_TIME": "09:30",
            "SCHEDULER_ENABLED": "false",
            "PLAN_WRITER": "Inline",
        }
    )
    assert settings.socket_mode is True
    assert settings.slack_signing_secret is None
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"
    assert settings.port == 8080
    assert settings.database_url == "postgresql+psycopg://u@db/pip"
    assert settings.hr_channel_id == "C123HR"
    assert settings.hr_user_ids == frozenset({"U1AB", "W2CD"})
    assert settings.checkin_time == time(9, 30)
    assert settings.scheduler_enabled is False
    assert settings.plan_writer == "inline"


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxp-user", "SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        ({**VALID, "SLACK_APP_TOKEN": "nope"}, "SLACK_APP_TOKEN"),
        ({**VALID, "CHECKIN_TIME": "25:99"}, "CHECKIN_TIME"),
        ({**VALID, "CHECKIN_TIME": "ten"}, "CHECKIN_TIME"),
        ({**VALID, "DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({**VALID, "DATABASE_URL": "mysql://u@h/db"}, "DATABASE_URL"),
        ({**VALID, "PORT": "70000"}, "PORT"),
        ({**VALID, "SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL"),
        ({**VALID, "HR_CHANNEL_ID": "#hr"}, "HR_CHANNEL_ID"),
        ({**VALID, "HR_USER_IDS": "U1AB,bob"}, "HR_USER_IDS"),
        ({**VALID, "SCHEDULER_ENABLED": "maybe"}, "SCHEDULER_ENABLED"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env(env)
    assert raised.value.variable == variable
    assert str(raised.value).startswith(variable)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        ({**VALID, "CHECKIN_TIME": "25:99"}, "CHECKIN_TIME"),
        ({**VALID, "DATABASE_URL": "::not a url::"}, "DATABASE_URL"),
        ({**VALID, "COMPANY_HOLIDAYS": "2027-12-24,31/12/2027"}, "COMPANY_HOLIDAYS"),
    ],
)
def test_bot_exits_2_with_one_line(env: dict[str, str], variable: str, tmp_path: Path) -> None:
    result = run_bot(bot_env(**env), cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "pipbot.db").exists()


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "SLACK_BOT_TOKEN=xoxb-1\nSLACK_SIGNING_SECRET=s\nCHECKIN_TIME=99:00\n"
    )
    result = run_bot(bot_env(), cwd=tmp_path)
    assert result.returncode == 2
    assert "CHECKIN_TIME" in result.stderr


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({**VALID, "PLAN_APPROVAL": "maybe"}, "PLAN_APPROVAL"),
        ({**VALID, "PLAN_WRITER": "thread"}, "PLAN_WRITER"),
        ({**VALID, "PLAN_APPROVAL": "hr"}, "PLAN_APPROVAL"),  # nobody could approve
        ({**VALID, "MANAGER_GROUP": "People Managers!"}, "MANAGER_GROUP"),
        ({**VALID, "HR_GROUP": "#hr"}, "HR_GROUP"),
        ({**VALID, "HR_CONTACT": "x" * 201}, "HR_CONTACT"),
    ],
)
def test_bad_governance_values_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env(env)
    assert raised.value.variable == variable
    assert str(raised.value).startswith(variable)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("env", "required", "words"),
    [
        ({}, False, "plan approval: none (PLAN_APPROVAL=auto, no HR is configured)"),
        ({"HR_USER_IDS": "U1AB"}, True, "plan approval: hr (PLAN_APPROVAL=auto, HR is configured)"),
        ({"HR_GROUP": "hr-partners"}, True, "plan approval: hr (PLAN_APPROVAL=auto, HR is"),
        ({"HR_CHANNEL_ID": "C123HR"}, False, "plan approval: none (PLAN_APPROVAL=auto, no HR"),
        ({"HR_USER_IDS": "U1AB", "PLAN_APPROVAL": "none"}, False, "none (PLAN_APPROVAL=none)"),
        ({"HR_USER_IDS": "U1AB", "PLAN_APPROVAL": "HR"}, True, "hr (PLAN_APPROVAL=hr)"),
    ],
)
def test_plan_approval_auto_means_hr_when_someone_can_approve(
    env: dict[str, str], required: bool, words: str
) -> None:
    settings = Settings.from_env({**VALID, **env})
    assert settings.approval_required is required
    assert words in settings.approval_description()


def test_groups_and_contact_are_read() -> None:
    settings = Settings.from_env(
        {
            **VALID,
            "MANAGER_GROUP": "@People-Managers",
            "HR_GROUP": "S0HRPEOPLE",
            "HR_CONTACT": "Hana in People Ops, @hana",
        }
    )
    assert settings.manager_group == "people-managers"
    assert settings.hr_group == "S0HRPEOPLE"
    assert settings.hr_contact == "Hana in People Ops, @hana"
    assert settings.plan_approval == "auto" and settings.approval_required


def test_bot_exits_2_naming_plan_approval(tmp_path: Path) -> None:
    result = run_bot(bot_env(**VALID, PLAN_APPROVAL="sometimes"), cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "PLAN_APPROVAL" in lines[0], result.stderr


def test_the_record_settings() -> None:
    defaults = Settings.from_env(VALID)
    assert (defaults.org_name, defaults.paper_size, defaults.retention_days) == ("", "A4", None)
    settings = Settings.from_env(
        {**VALID, "ORG_NAME": "Acme Ltd", "PAPER_SIZE": "letter", "RETENTION_DAYS": "2555"}
    )
    assert (settings.org_name, settings.paper_size, settings.retention_days) == (
        "Acme Ltd",
        "Letter",
        2555,
    )


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("PAPER_SIZE", "A5", "is not one of A4, Letter"),
        ("RETENTION_DAYS", "7y", "is not a number of days"),
        ("RETENTION_DAYS", "0", "is not a number of days"),
        ("RETENTION_DAYS", "-30", "leave it unset to keep closed plans forever"),
        ("ORG_NAME", "x" * 101, "longer than 100 characters"),
    ],
)
def test_bad_record_settings_say_what_is_wrong(variable: str, value: str, says: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({**VALID, variable: value})
    assert raised.value.variable == variable and says in str(raised.value)
