"""`/pip edit` and `/pip extend`: amendments with reasons, re-acknowledgement, future rows only."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models import Delivery, DeliveryKind, DeliveryStatus, Plan, PlanEvent, PlanStatus
from tests.constants import EMPLOYEE, HR_CHANNEL, MANAGER
from tests.fakeslack import FakeSlack
from tests.plan_helpers import dm_messages, form_values
from tests.slackdriver import SlackDriver, response_json
from views.ids import Action, Block

OPENED = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)  # Monday; check-ins on Wednesdays


def _acknowledge(driver: SlackDriver, slack: FakeSlack, plan: Plan) -> None:
    driver.press(EMPLOYEE, dm_messages(slack, EMPLOYEE)[0], Action.ACKNOWLEDGE)


def _deliveries(sessions: sessionmaker[Session]) -> list[Delivery]:
    with sessions() as db:
        return list(db.scalars(select(Delivery).order_by(Delivery.id)))


def _edit_form(driver: SlackDriver, plan: Plan) -> dict[str, Any]:
    driver.command(MANAGER, f"edit {plan.public_id}")
    return driver.slack.calls_to("views.open")[-1].response["view"]


def test_edit_records_reason_before_and_after_and_asks_again(
    plan: Plan,
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
) -> None:
    _acknowledge(driver, slack, plan)
    # The first check-in prompt (Wed 6 Jan) goes out as planned.
    clock.move_to(datetime(2027, 1, 6, 15, 0, tzinfo=UTC))
    driver.dispatcher.tick()
    sent_before = {
        (d.id, d.occurrence_key, d.message_ts)
        for d in _deliveries(session_factory)
        if d.status == DeliveryStatus.SENT
    }
    view = _edit_form(driver, plan)
    shown = str(view["blocks"])
    assert view["callback_id"] == "pip_edit_plan"
    assert "Goal text 1" in shown and "2 Nov: missed the release review" in shown
    values = form_values(
        view,
        start=plan.start_date,
        expectations="Reviews on time, every time.",
        weekday="4",  # Fridays from now on
        length="end_date",
        end=plan.end_date,
    )
    values[Block.REASON] = {
        Action.REASON: {"type": "plain_text_input", "value": "Agreed in the 1:1 on 6 Jan."}
    }
    assert response_json(driver.submit(MANAGER, view, values)) == {}

    with session_factory() as db:
        [event] = db.scalars(select(PlanEvent).where(PlanEvent.kind == "amended")).all()
        fresh = db.get(Plan, plan.id)
        assert fresh is not None
        assert fresh.status == PlanStatus.ACTIVE and fresh.checkin_weekday == 4
        assert fresh.acknowledged_at is not None and fresh.acknowledged_at < fresh.ack_requested_at
    assert event.data["reason"] == "Agreed in the 1:1 on 6 Jan."
    assert event.data["changes"]["expectations"] == {
        "before": "Reviews on time; incident reports within 24 hours.",
        "after": "Reviews on time, every time.",
    }
    assert event.data["changes"]["checkin_weekday"] == {"before": 2, "after": 4}
    assert "issues" not in event.data["changes"]

    after = _deliveries(session_factory)
    still_sent = {(d.id, d.occurrence_key, d.message_ts) for d in after if d.status == "sent"}
    assert sent_before <= still_sent  # what was sent stays as it was
    prompts = sorted(
        d.payload["occurrence_date"]
        for d in after
        if d.kind == DeliveryKind.CHECKIN_PROMPT and d.status == DeliveryStatus.PENDING
    )
    assert prompts[0] == "2027-01-08" and all(date.fromisoformat(p).weekday() == 4 for p in prompts)
    assert not [
        d
        for d in after
        if d.kind == DeliveryKind.CHECKIN_PROMPT
        and d.status == "pending"
        and date.fromisoformat(d.payload["occurrence_date"]).weekday() == 2
    ]
    # The employee is told what changed and why, and asked to acknowledge again.
    amended = [m for m in dm_messages(slack, EMPLOYEE) if "has changed your" in str(m["blocks"])]
    assert len(amended) == 1
    shown = str(amended[0]["blocks"])
    assert "Agreed in the 1:1 on 6 Jan." in shown and "Expected standard" in shown
    assert Action.ACKNOWLEDGE in shown


def test_edit_needs_a_reason_and_a_change(
    plan: Plan, driver: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    view = _edit_form(driver, plan)
    values = form_values(view, start=plan.start_date, length="end_date", end=plan.end_date)
    reply = response_json(driver.submit(MANAGER, view, values))
    assert reply["response_action"] == "errors" and Block.REASON in reply["errors"]
    values[Block.REASON] = {Action.REASON: {"type": "plain_text_input", "value": "Tidy-up"}}
    reply = response_json(driver.submit(MANAGER, view, values))
    assert "Nothing in the plan changed" in reply["errors"][Block.REASON]
    with session_factory() as db:
        assert db.scalars(select(PlanEvent).where(PlanEvent.kind == "amended")).all() == []


def test_extend_moves_the_end_tells_hr_and_asks_again(
    plan: Plan, driver: SlackDriver, session_factory: sessionmaker[Session], slack: FakeSlack
) -> None:
    driver.command(MANAGER, f"extend {plan.public_id}")
    view = slack.calls_to("views.open")[-1].response["view"]
    new_end = plan.end_date + timedelta(days=30)
    values = {
        Block.END_DATE: {
            Action.END_DATE: {"type": "datepicker", "selected_date": new_end.isoformat()}
        },
        Block.REASON: {
            Action.REASON: {"type": "plain_text_input", "value": "More time for goal 1"}
        },
    }
    assert response_json(driver.submit(MANAGER, view, values)) == {}
    with session_factory() as db:
        fresh = db.get(Plan, plan.id)
        assert fresh is not None and fresh.end_date == new_end
        assert fresh.status == PlanStatus.EXTENDED
        [event] = db.scalars(select(PlanEvent).where(PlanEvent.kind == "extended")).all()
        end_rows = db.scalars(
            select(Delivery).where(
                Delivery.kind == DeliveryKind.END_OF_PLAN, Delivery.status == "pending"
            )
        ).all()
    assert event.data["changes"]["end_date"]["after"] == new_end.isoformat()
    assert [d.payload["end_date"] for d in end_rows] == [new_end.isoformat()]
    [notice] = [m for m in slack.messages(HR_CHANNEL) if "was extended" in m["text"]]
    assert "More time for goal 1" in notice["text"]
    assert any("End date" in str(m["blocks"]) for m in dm_messages(slack, EMPLOYEE)[1:])


@pytest.mark.parametrize(
    ("days", "message"), [(0, "must be after"), (-5, "must be after"), (400, "at most")]
)
def test_extend_refuses_bad_dates(
    plan: Plan, driver: SlackDriver, slack: FakeSlack, days: int, message: str
) -> None:
    driver.command(MANAGER, f"extend {plan.public_id}")
    view = slack.calls_to("views.open")[-1].response["view"]
    new_end = (plan.end_date + timedelta(days=days)).isoformat()
    values = {
        Block.END_DATE: {Action.END_DATE: {"type": "datepicker", "selected_date": new_end}},
        Block.REASON: {Action.REASON: {"type": "plain_text_input", "value": "why"}},
    }
    reply = response_json(driver.submit(MANAGER, view, values))
    assert message in reply["errors"][Block.END_DATE]


def test_an_earlier_copy_cannot_acknowledge_the_changed_plan_and_stays_as_sent(
    plan: Plan, driver: SlackDriver, session_factory: sessionmaker[Session], slack: FakeSlack
) -> None:
    first = dm_messages(slack, EMPLOYEE)[0]
    view = _edit_form(driver, plan)
    values = form_values(
        view, start=plan.start_date, length="end_date", end=plan.end_date, support="A mentor."
    )
    values[Block.REASON] = {Action.REASON: {"type": "plain_text_input", "value": "Mentor added"}}
    driver.submit(MANAGER, view, values)
    _click_acknowledge(driver, slack, first)  # the button on the first (round 1) copy
    [refusal] = slack.calls_to("response_url")
    assert "earlier version" in refusal.args["text"]
    with session_factory() as db:
        fresh = db.get(Plan, plan.id)
        assert fresh is not None and fresh.acknowledged_at is None
    latest = dm_messages(slack, EMPLOYEE)[-1]
    driver.press(EMPLOYEE, latest, Action.ACKNOWLEDGE)
    with session_factory() as db:
        fresh = db.get(Plan, plan.id)
        assert fresh is not None and fresh.acknowledged_at is not None
    # The round-1 copy was never re-drawn with the amended content.
    assert dm_messages(slack, EMPLOYEE)[0]["blocks"] == first["blocks"]


def _click_acknowledge(driver: SlackDriver, slack: FakeSlack, message: dict[str, Any]) -> None:
    driver.press(EMPLOYEE, message, Action.ACKNOWLEDGE)
