"""Events: App Home, DMs to the bot, and Slack's retries."""

from __future__ import annotations

from tests.constants import EMPLOYEE, HR
from tests.fakeslack import FakeSlack
from tests.plan_helpers import body
from tests.slackdriver import SlackDriver


def test_home_tab_is_published(driver: SlackDriver, slack: FakeSlack) -> None:
    driver.event({"type": "app_home_opened", "user": EMPLOYEE, "channel": "D1", "tab": "home"})
    home = slack.home_view(EMPLOYEE)
    assert home["type"] == "home"
    assert "You have no open plans." in str(home["blocks"])


def test_hr_home_shows_the_organisation(driver: SlackDriver, slack: FakeSlack) -> None:
    driver.event({"type": "app_home_opened", "user": HR, "channel": "D1", "tab": "home"})
    assert "Organisation" in str(slack.home_view(HR)["blocks"])


def test_a_retried_event_is_handled_once(driver: SlackDriver, slack: FakeSlack) -> None:
    event = {"type": "app_home_opened", "user": EMPLOYEE, "channel": "D1", "tab": "home"}
    first = driver.event(event, event_id="Ev0SAME")
    again = driver.event(event, event_id="Ev0SAME", retry_num=1)
    assert first.status == again.status == 200
    assert len(slack.calls_to("views.publish")) == 1


def test_a_dm_to_the_bot_points_at_the_commands(driver: SlackDriver, slack: FakeSlack) -> None:
    channel = slack.dm_channel(EMPLOYEE)
    driver.event(
        {
            "type": "message",
            "channel_type": "im",
            "channel": channel,
            "user": EMPLOYEE,
            "text": "hello?",
            "ts": "1700000000.000100",
        }
    )
    posted = slack.calls_to("chat.postMessage")
    assert len(posted) == 1 and "/pip help" in body(posted[0].args)


def test_the_bots_own_messages_are_ignored(driver: SlackDriver, slack: FakeSlack) -> None:
    channel = slack.dm_channel(EMPLOYEE)
    driver.event(
        {
            "type": "message",
            "channel_type": "im",
            "channel": channel,
            "bot_id": "B0001",
            "text": "prompt",
            "ts": "1700000000.000200",
        }
    )
    assert slack.calls_to("chat.postMessage") == []
