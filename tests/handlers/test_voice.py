"""The employee's voice reaches HR: their response and Ask HR to review, as configured."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from models import Plan, PlanEvent
from services.access import Actor
from services.export import plan_record, render_markdown
from tests.constants import EMPLOYEE, HR, HR_CHANNEL, MANAGER, OUTSIDER
from tests.fakeslack import FakeSlack
from tests.plan_helpers import body, dm_messages, open_plan
from tests.slackdriver import SlackDriver, response_json
from views.ids import Action, Block, Callback

OPENED = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)
CONTACT = "Hana in People Ops, @hana"
RESPONSE = "I was covering two on-call rotas in November."
REQUEST = "Goal 1 can't be measured: the report it names does not exist."


@pytest.fixture
def detail(request: pytest.FixtureRequest) -> str:
    return getattr(request, "param", "summary")


@pytest.fixture
def settings(settings: Settings, detail: str) -> Settings:  # the conftest settings, adjusted
    return replace(settings, hr_contact=CONTACT, hr_notice_detail=detail)


def _plan_message(slack: FakeSlack) -> dict[str, Any]:
    return next(m for m in dm_messages(slack, EMPLOYEE) if "Acknowledge receipt" in str(m))


def _opened(slack: FakeSlack) -> dict[str, Any]:
    return [c for c in slack.calls_to("views.open") if c.response.get("ok")][-1].response["view"]


def _respond(driver: SlackDriver, plan: Plan) -> None:
    slack = driver.slack
    driver.press(EMPLOYEE, _plan_message(slack), Action.RESPOND)
    view = _opened(slack)
    values = {
        Block.RESPONSE: {Action.RESPONSE_TEXT: {"type": "plain_text_input", "value": RESPONSE}}
    }
    assert response_json(driver.submit(EMPLOYEE, view, values)) == {}


def _ask_hr(driver: SlackDriver, plan: Plan, text: str) -> dict[str, Any]:
    slack = driver.slack
    message = _plan_message(slack)
    assert any(
        e.get("action_id") == Action.ASK_HR
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    )
    driver.press(EMPLOYEE, message, Action.ASK_HR)
    view = _opened(slack)
    assert view["callback_id"] == Callback.ASK_HR and CONTACT in str(view["blocks"])
    values = {
        Block.ASK_HR_TEXT: {Action.ASK_HR_TEXT: {"type": "plain_text_input", "value": text or None}}
    }
    return response_json(driver.submit(EMPLOYEE, view, values))


def _events(sessions: sessionmaker[Session], kind: str) -> list[PlanEvent]:
    with sessions() as db:
        return list(db.scalars(select(PlanEvent).where(PlanEvent.kind == kind)))


def test_response_and_request_reach_hr_behind_a_button(
    plan: Plan, driver: SlackDriver, slack: FakeSlack, session_factory: sessionmaker[Session]
) -> None:
    with time_machine.travel(OPENED, tick=False):
        _respond(driver, plan)
        [notice] = [m for m in slack.messages(HR_CHANNEL) if "wrote a response" in m["text"]]
        assert plan.public_id in notice["text"] and RESPONSE not in str(notice)

        # Only HR opens it; anyone else gets the answer for a plan that does not exist.
        for user in (MANAGER, OUTSIDER, EMPLOYEE):
            driver.press(user, notice, Action.READ_VOICE)
            assert (
                slack.calls_to("response_url")[-1].args["text"]
                == f"No plan {plan.public_id} was found."
            )
        driver.press(HR, notice, Action.READ_VOICE)
        assert RESPONSE in str(_opened(slack)["blocks"])

        empty = _ask_hr(driver, plan, "")
        assert empty["response_action"] == "errors" and Block.ASK_HR_TEXT in empty["errors"]
        assert _ask_hr(driver, plan, REQUEST) == {}
        [asked] = [m for m in slack.messages(HR_CHANNEL) if "asked HR to review" in m["text"]]
        assert REQUEST not in str(asked)
        driver.press(HR, asked, Action.READ_VOICE)
        assert REQUEST in str(_opened(slack)["blocks"])
        receipt = dm_messages(slack, EMPLOYEE)[-1]
        assert "HR has your request" in body(receipt) and CONTACT in body(receipt)
        [event] = _events(session_factory, "hr_review_requested")
        assert event.actor_id == EMPLOYEE and event.data["request"] == REQUEST

        with session_factory() as db:
            for_hr = render_markdown(plan_record(db, Actor(HR, is_hr=True), plan.public_id, OPENED))
            for_manager = render_markdown(plan_record(db, Actor(MANAGER), plan.public_id, OPENED))
            for_employee = render_markdown(plan_record(db, Actor(EMPLOYEE), plan.public_id, OPENED))
        assert RESPONSE in for_hr and REQUEST in for_hr and REQUEST in for_employee
        assert RESPONSE in for_manager and "asked HR to review" in for_manager
        assert REQUEST not in for_manager


@pytest.mark.parametrize("detail", ["full"], indirect=True)
def test_full_detail_sends_the_text_to_each_hr_person_without_a_channel(
    detail: str,
    settings: Settings,
    driver: SlackDriver,
    slack: FakeSlack,
    session_factory: sessionmaker[Session],
) -> None:
    object.__setattr__(settings, "hr_channel_id", None)
    with time_machine.travel(OPENED, tick=False):
        plan = open_plan(driver, session_factory, OPENED.date())
        _respond(driver, plan)
        assert _ask_hr(driver, plan, REQUEST) == {}
    hr_dm = dm_messages(slack, HR)
    assert any(RESPONSE in str(m["blocks"]) for m in hr_dm)
    assert any(REQUEST in str(m["blocks"]) for m in hr_dm)
    assert slack.messages(HR_CHANNEL) == []
