"""MANAGER_GROUP and HR_GROUP: Slack user groups decide who opens plans and who is HR."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from config import Settings
from tests.constants import BOT_TOKEN, HR_CHANNEL, MANAGER, OTHER_MANAGER, SIGNING_SECRET
from tests.fakeslack import FakeSlack
from tests.slackdriver import SlackDriver, response_json

OPENED = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)
MANAGERS = "SMANAGERS"
HR_PEOPLE = "SHRPEOPLE"
HR2 = "UHRTWO"


@pytest.fixture
def settings(slack: FakeSlack) -> Settings:
    """Only `people-managers` open plans; the `hr-partners` group (by id) holds HR rights."""
    slack.add_user(HR2, name="harry", real_name="Harry HR", tz="Europe/London")
    slack.add_usergroup(MANAGERS, "people-managers", [MANAGER])
    slack.add_usergroup(HR_PEOPLE, "hr-partners", [])
    return Settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.url,
        hr_channel_id=HR_CHANNEL,
        manager_group="people-managers",
        hr_group=HR_PEOPLE,
        plan_approval="none",
    )


def _opened(slack: FakeSlack, before: int) -> bool:
    return any(c.response.get("ok") for c in slack.calls_to("views.open")[before:])


def test_only_the_manager_group_opens_plans_and_joining_takes_effect(
    clock: time_machine.Coordinates, driver: SlackDriver, slack: FakeSlack
) -> None:
    before = len(slack.calls_to("views.open"))
    driver.command(MANAGER, "new")
    assert _opened(slack, before)

    before = len(slack.calls_to("views.open"))
    refused = response_json(driver.command(OTHER_MANAGER, "new"))
    assert not _opened(slack, before)
    assert refused["response_type"] == "ephemeral"
    assert "limited to a group of managers" in refused["text"]
    assert "people-managers" not in refused["text"] and MANAGER not in refused["text"]

    slack.set_usergroup_members(MANAGERS, [MANAGER, OTHER_MANAGER])
    clock.move_to(OPENED + timedelta(minutes=2))  # still within the cache time
    before = len(slack.calls_to("views.open"))
    driver.command(OTHER_MANAGER, "new")
    assert not _opened(slack, before)
    clock.move_to(OPENED + timedelta(minutes=10, seconds=1))  # no restart
    before = len(slack.calls_to("views.open"))
    driver.command(OTHER_MANAGER, "new")
    assert _opened(slack, before)

    slack.set_usergroup_members(MANAGERS, [MANAGER])
    clock.move_to(OPENED + timedelta(minutes=21))
    before = len(slack.calls_to("views.open"))
    driver.command(OTHER_MANAGER, "new")
    assert not _opened(slack, before)
    # The handle was resolved once per read, and membership read at most every 10 minutes.
    assert len(slack.calls_to("usergroups.users.list")) <= 8


def test_the_hr_group_grants_hr_rights(
    clock: time_machine.Coordinates, driver: SlackDriver, slack: FakeSlack
) -> None:
    refused = response_json(driver.command(HR2, "report"))
    assert "HR" in refused["text"] and "Open plans" not in str(refused)
    slack.set_usergroup_members(HR_PEOPLE, [HR2])
    clock.move_to(OPENED + timedelta(minutes=11))
    report = response_json(driver.command(HR2, "report"))
    assert "Preparing the report" in report["text"], report
    assert slack.calls_to("files.completeUploadExternal")
    listed = response_json(driver.command(HR2, "list all"))
    assert "Only HR" not in str(listed)


def test_an_unreadable_group_grants_nothing(
    clock: time_machine.Coordinates, driver: SlackDriver, slack: FakeSlack
) -> None:
    slack.fail_next("usergroups.list", error="missing_scope")
    before = len(slack.calls_to("views.open"))
    refused = response_json(driver.command(MANAGER, "new"))
    assert not _opened(slack, before)
    assert "limited to a group of managers" in refused["text"]
