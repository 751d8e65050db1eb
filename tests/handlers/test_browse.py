"""`/pip list`, `/pip show` and App Home: limits with thousands of plans, private notes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from models import Cadence, Checkin, Plan, PlanStatus
from tests.constants import EMPLOYEE, HR, MANAGER
from tests.fakeslack import FakeSlack
from tests.plan_helpers import open_plan
from tests.slackdriver import SlackDriver, response_json
from views.ids import Action, Block

OPENED = NOW = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)  # the shared clock stops at OPENED
MANY = 2000


def _many_plans(sessions: sessionmaker[Session], count: int = MANY) -> None:
    start = date(2026, 12, 1)
    rows = [
        {
            "public_id": f"PIP-{i:06d}",
            "team_id": "T0001",
            "employee_id": f"UEMP{i:05d}",
            "manager_id": MANAGER,
            "issues": f"Issues {i}",
            "expectations": "E",
            "support": "",
            "consequences": "C",
            "start_date": start,
            "end_date": start + timedelta(days=30 + i % 60),
            "cadence": Cadence.WEEKLY,
            "checkin_weekday": i % 5,
            "status": [PlanStatus.ACTIVE, PlanStatus.ACKNOWLEDGED, PlanStatus.CLOSED][i % 3],
            "ack_requested_at": NOW - timedelta(days=30),
            "acknowledged_at": (NOW - timedelta(days=29)) if i % 2 else None,
            "created_at": NOW,
            "updated_at": NOW,
        }
        for i in range(count)
    ]
    with sessions() as db:
        db.execute(insert(Plan), rows)
        db.commit()


def test_list_pages_stay_valid_with_two_thousand_plans(
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
) -> None:
    _many_plans(session_factory)
    reply = response_json(driver.command(MANAGER, "list"))
    assert reply["response_type"] == "ephemeral"
    assert len(reply["blocks"]) <= 50
    assert f"Your plans · {MANY}" in str(reply["blocks"])
    # The same blocks as a message pass Slack's validation in the fake.
    [more] = [e for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"]]
    with session_factory() as db:
        fifteenth = db.scalars(
            select(Plan)
            .order_by(Plan.status == PlanStatus.CLOSED, Plan.end_date, Plan.id)
            .offset(14)
            .limit(1)
        ).one()
    # The button carries the key of the page's last line: page 2 starts after it.
    assert json.loads(more["value"]) == {
        "scope": "mine",
        "page": 2,
        "after": [False, fifteenth.end_date.isoformat(), fifteenth.id],
    }
    message = {"ts": "1799999999.000100", "text": reply["text"], "blocks": reply["blocks"]}
    driver.click(
        MANAGER,
        Action.LIST_PAGE,
        value=more["value"],
        block_id=Block.LIST_NAV,
        message=message,
        channel_id="C0GENERAL",
    )
    [page_two] = slack.calls_to("response_url")
    assert page_two.response.get("ok", True) and page_two.args["replace_original"] is True
    assert "Page 2 of" in str(page_two.args["blocks"])
    hr = response_json(driver.command(HR, "list all 134"))
    assert "Page 134 of 134" in str(hr["blocks"]) and len(hr["blocks"]) <= 50
    closed = response_json(driver.command(HR, "list closed"))
    assert "Closed plans · 666" in str(closed["blocks"])


def test_list_refusals_and_bad_arguments(driver: SlackDriver) -> None:
    assert (
        "Only HR can list every plan" in response_json(driver.command(MANAGER, "list all"))["text"]
    )
    assert (
        "is not something I can list"
        in response_json(driver.command(HR, "list everything"))["text"]
    )


def test_home_stays_valid_with_two_thousand_plans(
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
) -> None:
    _many_plans(session_factory)
    for user in (MANAGER, HR):
        driver.event({"type": "app_home_opened", "user": user, "channel": "D0", "tab": "home"})
        home = slack.home_view(user)
        assert len(home["blocks"]) <= 100
    assert "more: `/pip list` shows them all" in str(slack.home_view(MANAGER)["blocks"])
    assert "*Open plans:* 1334" in str(slack.home_view(HR)["blocks"])
    assert all(c.response["ok"] for c in slack.calls_to("views.publish"))


def _review_with_private_notes(
    driver: SlackDriver, sessions: sessionmaker[Session], slack: FakeSlack, plan: Plan
) -> None:
    from tests.handlers.test_checkins import _review_values

    driver.command(MANAGER, f"checkin {plan.public_id}")
    view = slack.calls_to("views.open")[-1].response["view"]
    driver.submit(MANAGER, view, _review_values(plan, "PRIVATE: consider next steps with HR"))
    with sessions() as db:
        assert db.scalars(select(Checkin)).one().private_notes


@pytest.mark.parametrize(("user", "sees"), [(MANAGER, True), (HR, True), (EMPLOYEE, False)])
def test_show_has_private_notes_only_for_manager_and_hr(
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
    user: str,
    sees: bool,
) -> None:
    plan = open_plan(driver, session_factory, NOW.date())
    _review_with_private_notes(driver, session_factory, slack, plan)
    driver.command(user, f"show {plan.public_id}")
    opened = slack.calls_to("views.open")[-1]
    assert opened.response["ok"]
    shown = json.dumps(opened.response["view"])
    assert "Goal text 1" in shown and "Feedback: be on time." in shown
    assert ("PRIVATE: consider next steps with HR" in shown) == sees


def test_show_pages_a_long_plan(
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
) -> None:
    plan = open_plan(driver, session_factory, NOW.date())
    for _ in range(40):
        from tests.handlers.test_checkins import _review_values

        driver.command(MANAGER, f"checkin {plan.public_id}")
        view = slack.calls_to("views.open")[-1].response["view"]
        driver.submit(MANAGER, view, _review_values(plan))
    driver.command(MANAGER, f"show {plan.public_id}")
    first = slack.calls_to("views.open")[-1].response["view"]
    assert len(first["blocks"]) <= 100
    [next_page] = [e for b in first["blocks"] if b["type"] == "actions" for e in b["elements"]]
    driver.click(MANAGER, Action.SHOW_PAGE, value=next_page["value"], view=first)
    second = slack.calls_to("views.update")[-1]
    assert second.response["ok"] and "Page 2 of" in json.dumps(second.args["view"])
