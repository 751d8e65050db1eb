"""Pausing a plan: nothing runs while paused, the end date moves, everyone is told once."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models import Checkin, CheckinStatus, Plan, PlanEvent, PlanPause, PlanStatus
from services.access import Actor
from services.export import plan_record, render_html, render_markdown
from tests.constants import EMPLOYEE, HR, HR_CHANNEL, MANAGER
from tests.fakeslack import FakeSlack
from tests.plan_helpers import dm_messages
from tests.slackdriver import SlackDriver, response_json
from views.ids import Action, Block

OPENED = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)  # Monday; check-ins on Wednesdays
PAUSED = datetime(2027, 1, 25, 14, 0, tzinfo=UTC)  # Mon 25 Jan, 09:00 in New York
RESUME_ON = date(2027, 2, 8)  # Monday: 10 US business days after the pause began
RESUMED = datetime(2027, 2, 8, 15, 0, tzinfo=UTC)  # 10:00 in New York, the check-in time
END = date(2027, 3, 5)  # the 60-day plan's end date (Friday)
MOVED_END = date(2027, 3, 19)  # 10 business days later
REASON = "Sick leave, confirmed by the doctor's note"


def _everything(slack: FakeSlack) -> list[dict[str, Any]]:
    """Every message the bot posted to the employee, the manager and the HR channel."""
    return [
        *dm_messages(slack, EMPLOYEE),
        *dm_messages(slack, MANAGER),
        *slack.messages(HR_CHANNEL),
    ]


def _said(message: dict[str, Any]) -> str:
    return message["text"] + json.dumps(message.get("blocks", []))


def _matching(messages: list[dict[str, Any]], words: str) -> list[dict[str, Any]]:
    return [m for m in messages if words in _said(m)]


def _prompts(slack: FakeSlack) -> list[dict[str, Any]]:
    return [m for m in dm_messages(slack, EMPLOYEE) if "time for your check-in" in _said(m)]


def _pause_values(
    reason: str = REASON, resume_on: date | None = RESUME_ON, tell: bool = False
) -> dict[str, Any]:
    option = {"text": {"type": "plain_text", "text": "Tell"}, "value": "tell"}
    return {
        Block.REASON: {Action.REASON: {"type": "plain_text_input", "value": reason or None}},
        Block.RESUME_ON: {
            Action.RESUME_ON: {
                "type": "datepicker",
                "selected_date": resume_on.isoformat() if resume_on else None,
            }
        },
        Block.TELL_EMPLOYEE: {
            Action.TELL_EMPLOYEE: {
                "type": "checkboxes",
                "selected_options": [option] if tell else [],
            }
        },
    }


def _pause(driver: SlackDriver, plan: Plan, user: str = MANAGER, **values: Any) -> dict[str, Any]:
    driver.command(user, f"pause {plan.public_id}")
    view = driver.slack.calls_to("views.open")[-1].response["view"]
    assert view["callback_id"] == "pip_pause"
    return response_json(driver.submit(user, view, _pause_values(**values)))


def _tick_daily(
    clock: time_machine.Coordinates, driver: SlackDriver, start: datetime, end: datetime
) -> None:
    """Tick at each check-in hour and review hour from `start` up to (not including) `end`."""
    moment = start
    while moment < end:
        for hour in (9, 15, 21):
            at = moment.replace(hour=hour, minute=0)
            if start <= at < end:
                clock.move_to(at)
                driver.dispatcher.tick()
        moment += timedelta(days=1)


def _stored(sessions: sessionmaker[Session], plan: Plan) -> Plan:
    with sessions() as db:
        stored = db.get(Plan, plan.id)
        assert stored is not None
        return stored


def test_a_paused_plan_sends_nothing_and_restarts_on_its_resume_date(
    plan: Plan,
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
) -> None:
    assert plan.end_date == END
    _tick_daily(clock, driver, OPENED, PAUSED)
    assert len(_prompts(slack)) == 3  # 6, 13 and 20 Jan
    clock.move_to(PAUSED)
    assert _pause(driver, plan) == {}
    driver.dispatcher.tick()
    assert _stored(session_factory, plan).status == PlanStatus.PAUSED

    employee_on_hold = _matching(dm_messages(slack, EMPLOYEE), "is on hold from Mon 25 Jan 2027")
    assert len(employee_on_hold) == 1
    # Discreet: a neutral notification, no reason unless the manager chose to give it.
    assert employee_on_hold[0]["text"] == "You have a new message."  # the app-wide discreet text
    assert "Sick leave" not in _said(employee_on_hold[0])
    assert "until Mon 8 Feb 2027" in _said(employee_on_hold[0])
    hr_paused = _matching(slack.messages(HR_CHANNEL), "is paused from Mon 25 Jan 2027")
    assert len(hr_paused) == 1 and "Sick leave" not in _said(hr_paused[0])  # summary detail
    assert len(_matching(dm_messages(slack, MANAGER), "is paused from Mon 25 Jan 2027")) == 1

    # Two check-in days (27 Jan and 3 Feb) pass: nothing is sent and nothing is missed.
    before = len(_everything(slack))
    _tick_daily(clock, driver, PAUSED + timedelta(minutes=1), RESUMED)
    assert len(_everything(slack)) == before
    with session_factory() as db:
        checkins = list(db.scalars(select(Checkin)))
        assert {c.occurrence_date for c in checkins} == {
            date(2027, 1, 6),
            date(2027, 1, 13),
            date(2027, 1, 20),
        }
        assert {c.status for c in checkins if c.occurrence_date == date(2027, 1, 20)} == {
            CheckinStatus.PENDING
        }

    # The resume date: the plan runs again with its end date 10 business days later.
    clock.move_to(RESUMED)
    driver.dispatcher.tick()
    driver.dispatcher.tick()
    stored = _stored(session_factory, plan)
    assert stored.status != PlanStatus.PAUSED
    assert stored.end_date == MOVED_END
    with session_factory() as db:
        pause = db.scalars(select(PlanPause)).one()
        assert (pause.business_days, pause.resumed_by) == (10, "system")
    back = _matching(dm_messages(slack, EMPLOYEE), "is running again from Mon 8 Feb 2027")
    assert len(back) == 1
    assert "Fri 19 Mar 2027 instead of Fri 5 Mar 2027" in _said(back[0])
    assert "Wed 10 Feb 2027" in _said(back[0])
    assert len(_matching(slack.messages(HR_CHANNEL), "is running again")) == 1

    # The next prompt falls on the plan's weekday after the resume, at the check-in time.
    clock.move_to(datetime(2027, 2, 10, 14, 59, tzinfo=UTC))
    driver.dispatcher.tick()
    prompts = len(_prompts(slack))
    clock.move_to(datetime(2027, 2, 10, 15, 0, tzinfo=UTC))
    driver.dispatcher.tick()
    assert len(_prompts(slack)) == prompts + 1
    assert "Wed 10 Feb 2027" in _said(_prompts(slack)[-1])
    # Each was told once, however often the clock ticks.
    _tick_daily(
        clock, driver, datetime(2027, 2, 10, 16, tzinfo=UTC), datetime(2027, 2, 12, tzinfo=UTC)
    )
    assert len(_matching(dm_messages(slack, EMPLOYEE), "is on hold")) == 1
    assert len(_matching(dm_messages(slack, EMPLOYEE), "is running again")) == 1
    assert len(_matching(slack.messages(HR_CHANNEL), "is paused from")) == 1
    assert len(_matching(slack.messages(HR_CHANNEL), "is running again")) == 1
    with session_factory() as db:
        kinds = [e.kind for e in db.scalars(select(PlanEvent).order_by(PlanEvent.sequence))]
    assert kinds.count("paused") == 1 and kinds.count("resumed") == 1
    with session_factory() as db:
        missed = db.scalars(select(PlanEvent).where(PlanEvent.kind == "checkin_missed")).all()
        # Only the two before the pause; 20 Jan's was interrupted by it, so it is nobody's miss.
        assert {e.data["occurrence_date"] for e in missed} == {"2027-01-06", "2027-01-13"}


def test_resume_by_hand_moves_the_end_date_the_same_way(
    plan: Plan,
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
) -> None:
    clock.move_to(PAUSED)
    assert _pause(driver, plan, user=HR, resume_on=None, tell=True) == {}
    driver.dispatcher.tick()
    on_hold = _matching(dm_messages(slack, EMPLOYEE), "is on hold")
    assert len(on_hold) == 1 and "Sick leave" in _said(on_hold[0])  # the reason was to be told
    # HR paused it, so the manager hears who did.
    assert len(_matching(dm_messages(slack, MANAGER), f"by <@{HR}>")) == 1
    before = len(_everything(slack))
    _tick_daily(
        clock, driver, PAUSED + timedelta(minutes=1), datetime(2027, 2, 8, 14, 0, tzinfo=UTC)
    )
    assert len(_everything(slack)) == before

    clock.move_to(datetime(2027, 2, 8, 14, 0, tzinfo=UTC))  # 09:00 New York, before check-in time
    answer = response_json(driver.command(MANAGER, f"resume {plan.public_id}"))
    assert answer["response_type"] == "ephemeral"
    assert "now ends Fri 19 Mar 2027 instead of Fri 5 Mar 2027" in answer["text"]
    assert "Wed 10 Feb 2027" in answer["text"]
    driver.dispatcher.tick()
    assert _stored(session_factory, plan).end_date == MOVED_END
    assert len(_matching(dm_messages(slack, EMPLOYEE), "is running again from Mon 8 Feb 2027")) == 1
    assert len(_matching(slack.messages(HR_CHANNEL), "is running again")) == 1
    # Resuming twice changes nothing more.
    again = response_json(driver.command(MANAGER, f"resume {plan.public_id}"))
    assert "is not paused" in again["text"]
    assert _stored(session_factory, plan).end_date == MOVED_END

    clock.move_to(datetime(2027, 2, 10, 15, 0, tzinfo=UTC))
    driver.dispatcher.tick()
    assert "Wed 10 Feb 2027" in _said(_prompts(slack)[-1])


def test_the_pause_form_checks_what_it_is_given(
    plan: Plan,
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    session_factory: sessionmaker[Session],
) -> None:
    clock.move_to(PAUSED)
    errors = _pause(driver, plan, reason="  ")["errors"]
    assert "Say why the plan is paused" in errors[Block.REASON]
    errors = _pause(driver, plan, resume_on=date(2027, 1, 25))["errors"]
    assert "must be after today" in errors[Block.RESUME_ON]
    with session_factory() as db:
        assert db.scalars(select(PlanPause)).all() == []
    assert _pause(driver, plan) == {}
    # A second pause of a paused plan is refused with the way out, and no form opens.
    refused = response_json(driver.command(MANAGER, f"pause {plan.public_id}"))
    assert "already paused since Mon 25 Jan 2027" in refused["text"]
    assert f"/pip resume {plan.public_id}" in refused["text"]
    forms = [c for c in driver.slack.calls_to("views.open") if "pip_pause" in json.dumps(c.args)]
    assert len(forms) == 3
    # Editing or extending a paused plan waits for the resume, and no form opens.
    for verb in ("edit", "extend"):
        refused = response_json(driver.command(MANAGER, f"{verb} {plan.public_id}"))
        assert "is paused. Resume it first" in refused["text"]
    assert len(driver.slack.calls_to("views.open")) == 4  # /pip new and the three pause forms
    assert _stored(session_factory, plan).end_date == END


def test_the_history_show_and_export_carry_the_pause(
    plan: Plan,
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
) -> None:
    clock.move_to(PAUSED)
    _pause(driver, plan)
    driver.dispatcher.tick()
    listed = json.dumps(response_json(driver.command(MANAGER, "list")))
    assert "paused since Mon 25 Jan 2027 (until Mon 8 Feb 2027)" in listed
    driver.event({"type": "app_home_opened", "user": EMPLOYEE, "channel": "D0H", "tab": "home"})
    home = json.dumps(slack.home_view(EMPLOYEE))
    assert "paused since Mon 25 Jan 2027 (until Mon 8 Feb 2027)" in home
    driver.command(MANAGER, f"show {plan.public_id}")
    shown = json.dumps(slack.calls_to("views.open")[-1].response["view"])
    assert "Status: paused since Mon 25 Jan 2027 (until Mon 8 Feb 2027)" in shown
    assert "Pauses" in shown and "Sick leave" in shown  # the manager sees the reason
    driver.command(EMPLOYEE, f"show {plan.public_id}")
    shown = json.dumps(slack.calls_to("views.open")[-1].response["view"])
    assert "Pauses" in shown and "Sick leave" not in shown  # the employee was not told it
    clock.move_to(RESUMED)
    driver.dispatcher.tick()
    with session_factory() as db:
        for_hr = plan_record(db, Actor(HR, is_hr=True), plan.public_id, RESUMED)
        for_employee = plan_record(db, Actor(EMPLOYEE), plan.public_id, RESUMED)
    for render in (render_html, render_markdown):
        hr_copy, employee_copy = render(for_hr), render(for_employee)
        for copy in (hr_copy, employee_copy):
            assert "Pause 1: from Mon 25 Jan 2027" in copy  # dates with their weekday
            assert "Fri 19 Mar 2027" in copy and "Fri 5 Mar 2027" in copy
            assert "Maria Manager" in copy
        assert "Sick leave" in hr_copy
        assert "Sick leave" not in employee_copy  # they were not told the reason
