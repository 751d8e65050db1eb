"""PLAN_APPROVAL=none: a plan goes out at once, or waits for the manager's Send after meeting."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from models import PlanStatus
from tests.constants import EMPLOYEE, HR, MANAGER
from tests.fakeslack import FakeSlack
from tests.handlers.test_approval import button, history, the_plan
from tests.plan_helpers import body, dm_messages, form_values, open_form
from tests.slackdriver import SlackDriver, response_json
from views.ids import Action, Block
from views.plan_form import SEND_AFTER_MEETING

OPENED = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)


pytestmark = pytest.mark.usefixtures("clock")  # the shared clock: every test runs at OPENED


def test_without_approval_the_form_says_so_and_sends_at_once(driver: SlackDriver) -> None:
    view = open_form(driver)
    assert view["submit"]["text"] == "Send plan"
    delivery = next(b for b in view["blocks"] if b.get("block_id") == Block.DELIVERY)
    assert delivery["element"]["initial_option"]["value"] == "at_once"
    assert "Send it to the employee now" in str(delivery)


def test_a_plan_kept_for_after_the_meeting_goes_when_the_manager_sends_it(
    driver: SlackDriver, slack: FakeSlack, session_factory: sessionmaker[Session]
) -> None:
    view = open_form(driver)
    values = form_values(view, start=OPENED.date(), delivery=SEND_AFTER_MEETING)
    assert response_json(driver.submit(MANAGER, view, values)) == {}
    plan = the_plan(session_factory)
    assert plan.status == PlanStatus.DRAFT and plan.review is None
    assert dm_messages(slack, EMPLOYEE) == []
    ready = dm_messages(slack, MANAGER)[-1]
    assert "is saved and not sent yet" in body(ready)
    send = button(ready, Action.SEND_PLAN)
    assert send is not None
    # HR has nothing to decide on it, and the Home tabs show it to the manager only.
    driver.event({"type": "app_home_opened", "user": MANAGER, "channel": "D1", "tab": "home"})
    assert plan.public_id in str(slack.home_view(MANAGER))
    driver.event({"type": "app_home_opened", "user": EMPLOYEE, "channel": "D2", "tab": "home"})
    assert plan.public_id not in str(slack.home_view(EMPLOYEE))
    driver.event({"type": "app_home_opened", "user": HR, "channel": "D3", "tab": "home"})
    assert "Waiting for HR approval" not in str(slack.home_view(HR))
    driver.press(MANAGER, ready, Action.SEND_PLAN)
    plan = the_plan(session_factory)
    assert plan.status == PlanStatus.ACTIVE and plan.start_date == OPENED.date()
    assert len(dm_messages(slack, EMPLOYEE)) == 1
    assert [e.kind for e in history(session_factory, plan)] == ["created", "sent"]
