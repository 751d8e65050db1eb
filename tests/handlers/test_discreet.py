"""Discreet notifications: over a whole plan's life, no DM to the employee has notification
text (what phones show on the lock screen) that says what it is about."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from models import DeliveryKind
from tests.constants import BOT_TOKEN, EMPLOYEE, HR, HR_CHANNEL, MANAGER, SIGNING_SECRET
from tests.fakeslack import FakeSlack
from tests.handlers.test_approval import requests_in, review, submit_draft, the_plan
from tests.handlers.test_checkins import _review_values
from tests.handlers.test_close import _close_values
from tests.handlers.test_voice import _ask_hr, _respond
from tests.plan_helpers import GOAL_TEXTS, body, dm_messages, form_values
from tests.slackdriver import SlackDriver, response_json
from views.ids import Action, Block

OPENED = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)  # a Monday
ISSUES = "2 Nov: missed the release review. 9 Nov: late on the incident report."
BANNED = re.compile(
    r"performance|\bpip\b|pip-|improvement plan|successful|unsuccessful|cancelled|outcome|"
    r"standard|withdrawn|dismissal|closed|ended",
    re.IGNORECASE,
)


@pytest.fixture
def settings(slack: FakeSlack) -> Settings:
    return Settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.url,
        hr_channel_id=HR_CHANNEL,
        hr_user_ids=frozenset({HR}),
        plan_approval="hr",
        hr_contact="Hana in People Ops, @hana",
    )


def _to_employee(slack: FakeSlack) -> list[tuple[str, dict[str, Any]]]:
    """Every message posted or updated in the employee's DM: (method, arguments)."""
    dm = slack.dm_channel(EMPLOYEE)
    return [
        (c.method, c.args)
        for c in slack.calls
        if c.method in {"chat.postMessage", "chat.update", "chat.postEphemeral"}
        and c.args.get("channel") in {dm, EMPLOYEE}
        and c.response.get("ok")
    ]


def test_no_notification_text_to_the_employee_says_what_it_is_about(
    driver: SlackDriver, slack: FakeSlack, session_factory: sessionmaker[Session]
) -> None:
    with time_machine.travel(OPENED, tick=False) as clock:
        assert submit_draft(driver) == {}
        [request] = requests_in(slack)
        assert review(driver, HR, request, "approve") == {}
        plan = the_plan(session_factory)
        # The acknowledgement reminder, the first prompt (Wed), its reminder and the review.
        for moment in (
            datetime(2027, 1, 6, 16, 0, tzinfo=UTC),
            datetime(2027, 1, 7, 16, 0, tzinfo=UTC),
        ):
            clock.move_to(moment)
            driver.dispatcher.tick()
        prompt = next(
            m for m in dm_messages(slack, EMPLOYEE) if "time for your check-in" in body(m)
        )
        dm = slack.dm_channel(EMPLOYEE)
        driver.event(
            {
                "type": "message",
                "channel_type": "im",
                "channel": dm,
                "user": EMPLOYEE,
                "text": "Going fine, two fixes shipped.",
                "ts": f"{datetime(2027, 1, 7, 16, 1, tzinfo=UTC).timestamp():.6f}",
                "thread_ts": prompt["ts"],
            }
        )
        plan_message = next(
            m for m in dm_messages(slack, EMPLOYEE) if "Acknowledge receipt" in str(m)
        )
        driver.press(EMPLOYEE, plan_message, Action.ACKNOWLEDGE)
        _respond(driver, plan)
        assert _ask_hr(driver, plan, "Please look at goal 1.") == {}

        driver.command(MANAGER, f"checkin {plan.public_id}")  # an unscheduled review
        view = slack.calls_to("views.open")[-1].response["view"]
        assert response_json(driver.submit(MANAGER, view, _review_values(plan))) == {}

        driver.command(MANAGER, f"edit {plan.public_id}")  # an amendment
        view = slack.calls_to("views.open")[-1].response["view"]
        values = form_values(
            view,
            start=plan.start_date,
            expectations="Reviews on time, always.",
            length="end_date",
            end=plan.end_date,
        )
        values[Block.REASON] = {
            Action.REASON: {"type": "plain_text_input", "value": "Agreed on 7 Jan."}
        }
        assert response_json(driver.submit(MANAGER, view, values)) == {}

        driver.command(MANAGER, f"extend {plan.public_id}")  # an extension
        view = slack.calls_to("views.open")[-1].response["view"]
        new_end = plan.end_date + timedelta(days=14)
        values = {
            Block.END_DATE: {
                Action.END_DATE: {"type": "datepicker", "selected_date": new_end.isoformat()}
            },
            Block.REASON: {Action.REASON: {"type": "plain_text_input", "value": "More time."}},
        }
        assert response_json(driver.submit(MANAGER, view, values)) == {}

        clock.move_to(datetime(2027, 3, 19, 16, 0, tzinfo=UTC))  # the (new) end date
        driver.dispatcher.tick()
        driver.command(MANAGER, f"close {plan.public_id}")
        view = slack.calls_to("views.open")[-1].response["view"]
        plan = the_plan(session_factory)
        assert (
            response_json(driver.submit(MANAGER, view, _close_values(plan, "unsuccessful"))) == {}
        )
        driver.dispatcher.tick()

    sent = _to_employee(slack)
    kinds = {
        str((args.get("metadata") or {}).get("event_payload", {}).get("kind"))
        for method, args in sent
        if method == "chat.postMessage"
    }
    for kind in (
        DeliveryKind.ACK_REQUEST,
        DeliveryKind.ACK_REMINDER,
        DeliveryKind.CHECKIN_PROMPT,
        DeliveryKind.CHECKIN_REMINDER,
        DeliveryKind.NOTICE,
    ):
        assert kind.value in kinds, kinds
    readable = "\n".join(body(args) for _, args in sent)
    assert "has ended" in readable or "not met" in readable  # the outcome went out, in the body
    assert "Agreed on 7 Jan." in readable and "More time." in readable
    assert len(sent) >= 12, [a["text"] for _, a in sent]
    secrets = [ISSUES, *(t for goal in GOAL_TEXTS[:1] for t in goal), "Reviews on time"]
    for method, args in sent:
        text = str(args.get("text") or "")
        assert not BANNED.search(text), (method, text)
        assert not any(s.lower() in text.lower() for s in secrets), (method, text)
        assert text in {"You have a new message.", f"You have a new message from <@{MANAGER}>."}
        assert args.get("blocks"), (method, text)  # the body is in the blocks
