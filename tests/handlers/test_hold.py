"""`/pip hold` and `/pip release`: HR only, recorded, shown to HR in show, list and Home."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models import Plan, PlanEvent
from services.access import Actor
from services.export import plan_record, render_markdown
from tests.constants import EMPLOYEE, HR, MANAGER
from tests.fakeslack import FakeSlack
from tests.slackdriver import SlackDriver, response_json

OPENED = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)
REASON = "Tribunal claim 2027/114"


def _events(sessions: sessionmaker[Session], plan: Plan) -> list[PlanEvent]:
    with sessions() as db:
        return list(db.scalars(select(PlanEvent).where(PlanEvent.plan_id == plan.id)))


def test_hold_and_release_are_recorded_and_shown_to_hr(
    plan: Plan, driver: SlackDriver, session_factory: sessionmaker[Session], slack: FakeSlack
) -> None:
    held = response_json(driver.command(HR, f"hold {plan.public_id} {REASON}"))
    assert held["response_type"] == "ephemeral"
    assert held["text"].startswith(f"Plan *{plan.public_id}* is on legal hold from Mon 4 Jan 2027")
    assert f"/pip release {plan.public_id}" in held["text"]
    hold_event = _events(session_factory, plan)[-1]
    assert (hold_event.kind, hold_event.actor_id, hold_event.data) == (
        "legal_hold",
        HR,
        {"reason": REASON},
    )
    again = response_json(driver.command(HR, f"hold {plan.public_id} Another reason"))
    assert "is already on legal hold" in again["text"]

    # HR sees the hold in /pip show, /pip list all and the Home tab; the employee does not.
    driver.command(HR, f"show {plan.public_id}")
    shown = json.dumps(slack.calls_to("views.open")[-1].response["view"]["blocks"])
    assert "On legal hold since Mon 4 Jan 2027" in shown and REASON in shown
    driver.command(EMPLOYEE, f"show {plan.public_id}")
    assert "legal hold" not in json.dumps(slack.calls_to("views.open")[-1].response["view"])
    listed = json.dumps(response_json(driver.command(HR, "list all")))
    assert "On legal hold since Mon 4 Jan 2027" in listed
    mine = json.dumps(response_json(driver.command(MANAGER, "list")))
    assert "legal hold" not in mine
    driver.event({"type": "app_home_opened", "user": HR, "channel": "D1", "tab": "home"})
    assert "*On legal hold:* 1" in json.dumps(slack.home_view(HR)["blocks"])

    # The employee's copy of the record says a hold was placed, not why.
    with session_factory() as db:
        employee_copy = render_markdown(plan_record(db, Actor(EMPLOYEE), plan.public_id, OPENED))
        hr_copy = render_markdown(plan_record(db, Actor(HR, is_hr=True), plan.public_id, OPENED))
    assert "Legal hold placed" in employee_copy and REASON not in employee_copy
    assert f"Reason: {REASON}" in hr_copy

    released = response_json(driver.command(HR, f"release {plan.public_id}"))
    assert released["text"].startswith(f"Plan *{plan.public_id}* is no longer on legal hold.")
    assert _events(session_factory, plan)[-1].kind == "hold_released"
    with session_factory() as db:
        fresh = db.get(Plan, plan.id)
        assert fresh is not None and fresh.legal_hold_at is None and fresh.legal_hold_reason is None
    not_held = response_json(driver.command(HR, f"release {plan.public_id}"))
    assert not_held["text"] == f"Plan {plan.public_id} is not on legal hold."


def test_hold_needs_a_reason(plan: Plan, driver: SlackDriver) -> None:
    reply = response_json(driver.command(HR, f"hold {plan.public_id}"))
    assert f"Say why plan {plan.public_id} is held" in reply["text"]
    missing = response_json(driver.command(HR, "hold"))
    assert "Say which plan" in missing["text"]
