"""The employee's side of a new plan: acknowledge receipt, respond, and the reminders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models import Plan, PlanEvent
from tests.constants import EMPLOYEE, HR, HR_CHANNEL, MANAGER, OUTSIDER
from tests.fakeslack import FakeSlack
from tests.plan_helpers import body, dm_messages
from tests.slackdriver import SlackDriver, response_json
from views.ids import Action, Block

OPENED = NOW = datetime(2027, 1, 7, 15, 0, tzinfo=UTC)  # a Thursday; 10:00 in New York


def _plan_message(slack: FakeSlack) -> dict[str, Any]:
    return dm_messages(slack, EMPLOYEE)[0]


def _click(driver: SlackDriver, user: str, action: str, plan: Plan) -> None:
    driver.press(user, _plan_message(driver.slack), action)


def _events(sessions: sessionmaker[Session], kind: str) -> list[PlanEvent]:
    with sessions() as db:
        return list(db.scalars(select(PlanEvent).where(PlanEvent.kind == kind)))


def _reload(sessions: sessionmaker[Session], plan: Plan) -> Plan:
    with sessions() as db:
        fresh = db.get(Plan, plan.id)
        assert fresh is not None
        return fresh


def test_acknowledge_records_once_updates_the_dm_and_tells_the_manager(
    plan: Plan, driver: SlackDriver, session_factory: sessionmaker[Session], slack: FakeSlack
) -> None:
    message = _plan_message(slack)
    driver.press(EMPLOYEE, message, Action.ACKNOWLEDGE)
    driver.press(EMPLOYEE, message, Action.ACKNOWLEDGE)  # the same button, clicked twice
    fresh = _reload(session_factory, plan)
    assert fresh.acknowledged_at == NOW
    assert fresh.status.value == "acknowledged"
    assert len(_events(session_factory, "acknowledged")) == 1
    updated = _plan_message(slack)
    assert "You acknowledged receipt of this plan" in str(updated["blocks"])
    assert Action.ACKNOWLEDGE not in str(updated["blocks"])
    assert Action.RESPOND in str(updated["blocks"])
    notices = [m for m in dm_messages(slack, MANAGER) if "acknowledged receipt" in m["text"]]
    assert len(notices) == 1 and plan.public_id in notices[0]["text"]


def test_an_acknowledge_button_from_before_rounds_still_acknowledges(
    plan: Plan, driver: SlackDriver, session_factory: sessionmaker[Session], slack: FakeSlack
) -> None:
    # Buttons posted before plans had rounds carry the plan id alone.
    driver.click(
        EMPLOYEE,
        Action.ACKNOWLEDGE,
        value=plan.public_id,
        block_id=Block.PLAN_ACTIONS,
        message=_plan_message(slack),
        channel_id=slack.dm_channel(EMPLOYEE),
    )
    assert _reload(session_factory, plan).acknowledged_at == NOW
    assert len(_events(session_factory, "acknowledged")) == 1


@pytest.mark.parametrize("intruder", [OUTSIDER, MANAGER, HR])
def test_anyone_else_is_refused_and_nothing_is_recorded(
    plan: Plan,
    driver: SlackDriver,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
    intruder: str,
) -> None:
    before = len(slack.calls_to("chat.update"))
    _click(driver, intruder, Action.ACKNOWLEDGE, plan)
    assert _reload(session_factory, plan).acknowledged_at is None
    assert _events(session_factory, "acknowledged") == []
    assert len(slack.calls_to("chat.update")) == before
    [refusal] = slack.calls_to("response_url")
    assert refusal.args["response_type"] == "ephemeral"
    assert refusal.args.get("replace_original") is False
    assert refusal.args["text"] == f"No plan {plan.public_id} was found."


def test_respond_opens_a_form_and_the_manager_sees_the_response(
    plan: Plan, driver: SlackDriver, session_factory: sessionmaker[Session], slack: FakeSlack
) -> None:
    _click(driver, EMPLOYEE, Action.RESPOND, plan)
    [opened] = slack.calls_to("views.open")[-1:]
    view = opened.response["view"]
    assert view["private_metadata"] == plan.public_id
    text = "I was on leave on 9 Nov; the report was handed to me on the 10th. <b>really</b>"
    values = {Block.RESPONSE: {Action.RESPONSE_TEXT: {"type": "plain_text_input", "value": text}}}
    assert response_json(driver.submit(EMPLOYEE, view, values)) == {}
    assert _reload(session_factory, plan).employee_response == text
    [event] = _events(session_factory, "responded")
    assert event.data["response"] == text
    [notice] = [m for m in dm_messages(slack, MANAGER) if "responded" in m["text"]]
    assert "I was on leave on 9 Nov" in str(notice["blocks"])
    assert "&lt;b&gt;really&lt;/b&gt;" in str(notice["blocks"])


def test_an_empty_response_stays_in_the_form(
    plan: Plan, driver: SlackDriver, slack: FakeSlack
) -> None:
    _click(driver, EMPLOYEE, Action.RESPOND, plan)
    view = slack.calls_to("views.open")[-1].response["view"]
    values = {Block.RESPONSE: {Action.RESPONSE_TEXT: {"type": "plain_text_input", "value": " "}}}
    reply = response_json(driver.submit(EMPLOYEE, view, values))
    assert reply["response_action"] == "errors" and Block.RESPONSE in reply["errors"]


def test_a_forged_response_submission_is_refused(
    plan: Plan, driver: SlackDriver, session_factory: sessionmaker[Session], slack: FakeSlack
) -> None:
    _click(driver, EMPLOYEE, Action.RESPOND, plan)
    view = slack.calls_to("views.open")[-1].response["view"]
    values = {Block.RESPONSE: {Action.RESPONSE_TEXT: {"type": "plain_text_input", "value": "x"}}}
    reply = response_json(driver.submit(OUTSIDER, view, values))
    assert reply["response_action"] == "errors"
    assert reply["errors"][Block.RESPONSE] == f"No plan {plan.public_id} was found."
    assert _reload(session_factory, plan).employee_response is None


def test_only_the_employee_can_open_the_response_form(
    plan: Plan, driver: SlackDriver, slack: FakeSlack
) -> None:
    _click(driver, OUTSIDER, Action.RESPOND, plan)
    assert slack.calls_to("views.open")[1:] == []


def _reminders(slack: FakeSlack) -> list[dict[str, Any]]:
    return [m for m in dm_messages(slack, EMPLOYEE) if "to acknowledge receipt" in body(m)]


def _not_acknowledged(slack: FakeSlack, channel: str) -> list[dict[str, Any]]:
    return [m for m in slack.messages(channel) if "has not been acknowledged" in m["text"]]


def test_reminder_after_two_business_days_and_notices_after_five(
    plan: Plan, clock: time_machine.Coordinates, driver: SlackDriver, slack: FakeSlack
) -> None:
    manager_dm = slack.dm_channel(MANAGER)
    # Thursday 7 Jan + 2 business days = Monday 11 Jan, same time; + 5 = Thursday 14 Jan.
    for moment, reminders, notices in [
        (datetime(2027, 1, 8, 15, 0, tzinfo=UTC), 0, 0),
        (datetime(2027, 1, 10, 15, 0, tzinfo=UTC), 0, 0),  # Sunday: not a business day
        (datetime(2027, 1, 11, 14, 59, tzinfo=UTC), 0, 0),
        (datetime(2027, 1, 11, 15, 0, tzinfo=UTC), 1, 0),
        (datetime(2027, 1, 12, 15, 0, tzinfo=UTC), 1, 0),
        (datetime(2027, 1, 14, 14, 59, tzinfo=UTC), 1, 0),
        (datetime(2027, 1, 14, 15, 0, tzinfo=UTC), 1, 1),
        (datetime(2027, 1, 20, 15, 0, tzinfo=UTC), 1, 1),
    ]:
        clock.move_to(moment)
        driver.dispatcher.tick()
        driver.dispatcher.tick()
        assert len(_reminders(slack)) == reminders, moment
        assert len(_not_acknowledged(slack, manager_dm)) == notices, moment
        assert len(_not_acknowledged(slack, HR_CHANNEL)) == notices, moment
    [reminder] = _reminders(slack)
    assert reminder.get("thread_ts") == _plan_message(slack)["ts"]


def test_no_reminder_once_acknowledged(
    plan: Plan, clock: time_machine.Coordinates, driver: SlackDriver, slack: FakeSlack
) -> None:
    _click(driver, EMPLOYEE, Action.ACKNOWLEDGE, plan)
    clock.move_to(NOW + timedelta(days=14))
    driver.dispatcher.tick()
    assert _reminders(slack) == []
    assert _not_acknowledged(slack, HR_CHANNEL) == []


def test_acknowledging_from_the_reminder_updates_both_messages(
    plan: Plan,
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
) -> None:
    clock.move_to(datetime(2027, 1, 11, 15, 0, tzinfo=UTC))
    driver.dispatcher.tick()
    [reminder] = _reminders(slack)
    driver.press(EMPLOYEE, reminder, Action.ACKNOWLEDGE)
    assert _reload(session_factory, plan).acknowledged_at is not None
    for message in dm_messages(slack, EMPLOYEE):
        assert Action.ACKNOWLEDGE not in str(message["blocks"])
