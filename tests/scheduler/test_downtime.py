"""After a long downtime the outbox owes a pile; people get one message each, not the pile."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models import Checkin, CheckinStatus, Delivery, DeliveryKind, DeliveryStatus, Plan
from tests.constants import EMPLOYEE, HR_CHANNEL, MANAGER
from tests.fakeslack import FakeSlack
from tests.plan_helpers import dm_messages
from tests.slackdriver import SlackDriver
from views.ids import Action

OPENED = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)  # a Monday
BACK = OPENED + timedelta(days=60, hours=-2)  # the plan's end day, after 10:00 in Berlin


@pytest.fixture
def plan(plan: Plan, driver: SlackDriver) -> Plan:
    """The shared plan, acknowledged by the employee (downtime is measured from there)."""
    [request] = dm_messages(driver.slack, EMPLOYEE)
    driver.press(EMPLOYEE, request, Action.ACKNOWLEDGE)
    return plan


def _kinds(messages: list[dict[str, Any]]) -> list[str]:
    return [m["metadata"]["event_payload"]["kind"] for m in messages]


def test_after_60_days_of_downtime_each_person_gets_one_message(
    plan: Plan,
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
) -> None:
    channels = {
        EMPLOYEE: slack.dm_channel(EMPLOYEE),
        MANAGER: slack.dm_channel(MANAGER),
        HR_CHANNEL: HR_CHANNEL,
    }
    before = {who: len(slack.messages(channel)) for who, channel in channels.items()}

    clock.move_to(BACK)  # the bot comes back on the plan's last day
    driver.dispatcher.tick()
    new = {who: slack.messages(channel)[before[who] :] for who, channel in channels.items()}

    [prompt] = new[EMPLOYEE]
    assert _kinds([prompt]) == [DeliveryKind.CHECKIN_PROMPT.value]
    shown = json.dumps(prompt["blocks"])  # the notification text itself stays discreet
    assert "Wed 3 Mar 2027" in shown
    assert "These 8 earlier check-ins have no self-assessment yet" in shown
    assert "Wed 6 Jan 2027" in shown and "Wed 24 Feb 2027" in shown
    assert f"<@{MANAGER}>" in shown  # who to talk to about the earlier weeks

    assert _kinds(new[MANAGER]) == [DeliveryKind.END_OF_PLAN.value]

    [summary] = new[HR_CHANNEL]
    assert _kinds([summary]) == [DeliveryKind.CHECKIN_MISSED.value]
    assert "8 check-ins have no self-assessment" in summary["text"]
    for day in ("Wed 6 Jan 2027", "Wed 13 Jan 2027", "Wed 24 Feb 2027"):
        assert day in summary["text"]
    with session_factory() as db:
        missed = db.scalars(
            select(Checkin.occurrence_date).where(Checkin.status == CheckinStatus.MISSED)
        ).all()
    assert len(missed) == 8

    # Later ticks send nothing more of the pile: no reminder of the prompt just sent.
    for later in (BACK + timedelta(hours=1), BACK + timedelta(days=1)):
        clock.move_to(later)
        driver.dispatcher.tick()
    reminders = [
        m
        for channel in channels.values()
        for m in slack.messages(channel)
        if "reminder" in m["metadata"]["event_payload"]["kind"]
    ]
    assert reminders == []
    assert len(slack.messages(channels[EMPLOYEE])) == before[EMPLOYEE] + 1
    with session_factory() as db:
        folded = db.scalars(
            select(Delivery.kind).where(Delivery.status == DeliveryStatus.SKIPPED)
        ).all()
    assert DeliveryKind.CHECKIN_REMINDER in folded and DeliveryKind.REVIEW_PROMPT in folded
