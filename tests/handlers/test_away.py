"""Away statuses make a check-in wait; missed notices name whose half is missing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models import Checkin, CheckinStatus, Plan, PlanEvent
from tests.constants import EMPLOYEE, HR_CHANNEL, MANAGER
from tests.fakeslack import FakeSlack
from tests.handlers.test_checkins import _answers, _open_checkin_form
from tests.plan_helpers import dm_messages
from tests.slackdriver import SlackDriver

OPENED = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)  # Monday; check-ins on Wednesdays
WED, THU, FRI = (datetime(2027, 1, day, 15, 0, tzinfo=UTC) for day in (6, 7, 8))  # 10:00 NY


def _said(message: dict[str, Any]) -> str:
    return message["text"] + json.dumps(message.get("blocks", []))


def _prompts(slack: FakeSlack) -> list[dict[str, Any]]:
    return [m for m in dm_messages(slack, EMPLOYEE) if "time for your check-in" in _said(m)]


def _review_prompts(slack: FakeSlack) -> list[dict[str, Any]]:
    return [m for m in dm_messages(slack, MANAGER) if "Time to review" in m["text"]]


def _away_notes(slack: FakeSlack) -> list[dict[str, Any]]:
    return [m for m in dm_messages(slack, MANAGER) if "appears to be away" in _said(m)]


def _ticks(clock: time_machine.Coordinates, driver: SlackDriver, *moments: datetime) -> None:
    for moment in moments:
        clock.move_to(moment)
        driver.dispatcher.tick()
        driver.dispatcher.tick()


def test_a_check_in_waits_while_the_employee_is_away(
    plan: Plan,
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
) -> None:
    hr_before = len(slack.messages(HR_CHANNEL))
    slack.set_status(EMPLOYEE, ":palm_tree:", "On vacation")
    _ticks(clock, driver, WED, WED.replace(hour=20))
    assert _prompts(slack) == []
    notes = _away_notes(slack)
    assert len(notes) == 1
    assert "The check-in of Wed 6 Jan 2027" in _said(notes[0])
    assert "/pip pause" in _said(notes[0])

    # Thursday: still away (the status is read again, being over an hour old).
    reads = len(slack.calls_to("users.info"))
    _ticks(clock, driver, THU.replace(hour=9), THU, THU.replace(hour=20))
    assert len(slack.calls_to("users.info")) > reads
    assert _prompts(slack) == []
    assert _review_prompts(slack) == []  # the review waits with the check-in
    # Back on Friday: the status is clear, and the prompt of Wednesday's check-in arrives.
    slack.set_status(EMPLOYEE)
    _ticks(clock, driver, FRI.replace(hour=9), FRI)
    prompts = _prompts(slack)
    assert len(prompts) == 1 and "Wed 6 Jan 2027" in _said(prompts[0])
    _ticks(clock, driver, FRI.replace(hour=20))
    assert len(_prompts(slack)) == 1
    assert len(_away_notes(slack)) == 1  # told once
    assert len(slack.messages(HR_CHANNEL)) == hr_before  # nothing went to HR meanwhile
    with session_factory() as db:
        checkin = db.scalars(select(Checkin)).one()
        assert checkin.status == CheckinStatus.PENDING
        assert db.scalars(select(PlanEvent).where(PlanEvent.kind == "checkin_waiting")).all()


def test_a_short_away_status_is_seen_within_the_hour(
    plan: Plan, clock: time_machine.Coordinates, driver: SlackDriver, slack: FakeSlack
) -> None:
    slack.set_status(EMPLOYEE, "", "OOO today")
    _ticks(clock, driver, WED)
    assert _prompts(slack) == [] and len(_away_notes(slack)) == 1
    slack.set_status(EMPLOYEE)
    _ticks(clock, driver, THU)
    assert len(_prompts(slack)) == 1


def test_an_answered_unreviewed_check_in_is_the_managers_review_not_the_employees_miss(
    plan: Plan,
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
) -> None:
    _ticks(clock, driver, WED)
    driver.submit(EMPLOYEE, _open_checkin_form(driver, slack), _answers(plan))
    _ticks(clock, driver, THU.replace(hour=9), datetime(2027, 1, 13, 15, 0, tzinfo=UTC))
    notices = [
        m for m in slack.messages(HR_CHANNEL) if "The check-in of Wed 6 Jan 2027" in m["text"]
    ]
    assert len(notices) == 1
    text = notices[0]["text"]
    assert f"has no review from <@{MANAGER}> (asked on Thu 7 Jan 2027)" in text
    assert "no self-assessment" not in text
    assert "nothing is outstanding from them" in text
    with session_factory() as db:
        checkin = db.scalars(select(Checkin).order_by(Checkin.occurrence_date)).first()
        assert checkin is not None and checkin.status == CheckinStatus.ANSWERED
        kinds = [e.kind for e in db.scalars(select(PlanEvent))]
        assert "review_missed" in kinds and "checkin_missed" not in kinds


def test_a_check_in_nobody_answered_names_both_halves_with_their_dates(
    plan: Plan, clock: time_machine.Coordinates, driver: SlackDriver, slack: FakeSlack
) -> None:
    _ticks(clock, driver, WED, THU.replace(hour=9), datetime(2027, 1, 13, 15, 0, tzinfo=UTC))
    [notice] = [m for m in slack.messages(HR_CHANNEL) if "Wed 6 Jan 2027" in m["text"]]
    assert (
        f"has no self-assessment from <@{EMPLOYEE}> (asked on Wed 6 Jan 2027) and no review "
        f"from <@{MANAGER}> (asked on Thu 7 Jan 2027)"
    ) in notice["text"]


def test_a_review_prompt_waits_while_the_manager_is_away(
    plan: Plan, clock: time_machine.Coordinates, driver: SlackDriver, slack: FakeSlack
) -> None:
    _ticks(clock, driver, WED)
    assert len(_prompts(slack)) == 1
    slack.set_status(MANAGER, ":airplane:", "Travelling")
    _ticks(clock, driver, datetime(2027, 1, 7, 9, 0, tzinfo=UTC))  # Thu 10:00 in Berlin
    assert _review_prompts(slack) == []
    slack.set_status(MANAGER)
    _ticks(clock, driver, datetime(2027, 1, 8, 9, 0, tzinfo=UTC))  # Fri 10:00 in Berlin
    assert len(_review_prompts(slack)) == 1
    assert _away_notes(slack) == []  # the manager is not told about their own absence
