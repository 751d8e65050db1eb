"""Check-ins end to end: prompts on time, answers, thread replies, reviews, nudges."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models import Checkin, CheckinGoalStatus, CheckinKind, CheckinStatus, Delivery, Plan, PlanEvent
from tests.constants import EMPLOYEE, HR_CHANNEL, MANAGER, OUTSIDER
from tests.fakeslack import FakeSlack
from tests.plan_helpers import GOAL_TEXTS, body, dm_messages
from tests.slackdriver import SlackDriver, response_json
from views.ids import Action, Block, goal_field

OPENED = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)  # Monday
FIRST_PROMPT = datetime(2027, 1, 6, 15, 0, tzinfo=UTC)  # Wed 10:00 in New York
REVIEW_PROMPT = datetime(2027, 1, 7, 9, 0, tzinfo=UTC)  # Thu 10:00 in Berlin


def _prompts(slack: FakeSlack) -> list[dict[str, Any]]:
    return [m for m in dm_messages(slack, EMPLOYEE) if "time for your check-in" in body(m)]


def _review_prompts(slack: FakeSlack) -> list[dict[str, Any]]:
    return [m for m in dm_messages(slack, MANAGER) if "Time to review" in m["text"]]


def _at(clock: time_machine.Coordinates, driver: SlackDriver, moment: datetime) -> None:
    clock.move_to(moment)
    driver.dispatcher.tick()


def _checkin(sessions: sessionmaker[Session]) -> Checkin:
    with sessions() as db:
        checkin = db.scalars(select(Checkin).order_by(Checkin.id)).first()
        assert checkin is not None
        checkin.goal_statuses  # noqa: B018
        return checkin


def _events(sessions: sessionmaker[Session], kind: str) -> list[PlanEvent]:
    with sessions() as db:
        return list(db.scalars(select(PlanEvent).where(PlanEvent.kind == kind)))


def _open_checkin_form(driver: SlackDriver, slack: FakeSlack, user: str = EMPLOYEE) -> dict:
    [prompt] = _prompts(slack)
    driver.press(user, prompt, Action.CHECK_IN)
    return slack.calls_to("views.open")[-1].response.get("view", {})


def _answers(plan: Plan, status: str = "at_risk", progress: str = "Getting there.") -> dict:
    values: dict[str, Any] = {
        Block.PROGRESS: {Action.PROGRESS: {"type": "plain_text_input", "value": progress}},
        Block.BLOCKERS: {Action.BLOCKERS: {"type": "plain_text_input", "value": "Flaky CI"}},
        Block.SUPPORT_NEEDED: {
            Action.SUPPORT_NEEDED: {"type": "plain_text_input", "value": "An hour of pairing"}
        },
    }
    for goal in plan.goals:
        values[goal_field(Action.GOAL_STATUS, goal.id)] = {
            Action.GOAL_STATUS: {
                "type": "static_select",
                "selected_option": {
                    "text": {"type": "plain_text", "text": status},
                    "value": status,
                },
            }
        }
        values[goal_field(Action.GOAL_NOTE, goal.id)] = {
            Action.GOAL_NOTE: {"type": "plain_text_input", "value": f"note on {goal.id}"}
        }
    return values


def _review_values(plan: Plan, private: str = "Talked to HR about next steps.") -> dict:
    values = _answers(plan, status="off_track")
    for goal in plan.goals:
        values[goal_field(Action.GOAL_NOTE, goal.id)] = {
            Action.GOAL_NOTE: {"type": "plain_text_input", "value": "Feedback: be on time."}
        }
    values[Block.NEXT_STEPS] = {
        Action.NEXT_STEPS: {"type": "plain_text_input", "value": "Daily stand-up notes."}
    }
    values[Block.PRIVATE_NOTES] = {
        Action.PRIVATE_NOTES: {"type": "plain_text_input", "value": private}
    }
    return values


def test_the_prompt_goes_out_at_ten_in_the_employees_zone(
    plan: Plan, clock: time_machine.Coordinates, driver: SlackDriver, slack: FakeSlack
) -> None:
    _at(clock, driver, datetime(2027, 1, 6, 14, 59, tzinfo=UTC))
    assert _prompts(slack) == []
    _at(clock, driver, FIRST_PROMPT)
    [prompt] = _prompts(slack)
    assert GOAL_TEXTS[0][0] in str(prompt["blocks"])
    assert Action.CHECK_IN in str(prompt["blocks"])
    assert prompt["metadata"]["event_type"] == "pip_delivery"
    _at(clock, driver, datetime(2027, 1, 7, 8, 59, tzinfo=UTC))
    assert _review_prompts(slack) == []
    _at(clock, driver, REVIEW_PROMPT)
    assert len(_review_prompts(slack)) == 1


def test_the_employee_checks_in_and_updates_without_duplicates(
    plan: Plan,
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
) -> None:
    _at(clock, driver, FIRST_PROMPT)
    view = _open_checkin_form(driver, slack)
    assert view["callback_id"] == "pip_checkin"
    assert response_json(driver.submit(EMPLOYEE, view, _answers(plan))) == {}
    checkin = _checkin(session_factory)
    assert checkin.status == CheckinStatus.ANSWERED
    assert checkin.employee_progress == "Getting there."
    assert [s.status.value for s in checkin.goal_statuses] == ["at_risk"]
    [prompt] = _prompts(slack)
    assert "Update check-in" in str(prompt["blocks"])

    view = _open_checkin_form(driver, slack)
    assert "Getting there." in str(view["blocks"])  # prefilled
    driver.submit(EMPLOYEE, view, _answers(plan, status="on_track", progress="Better."))
    with session_factory() as db:
        assert len(db.scalars(select(Checkin)).all()) == 1
        rows = db.scalars(select(CheckinGoalStatus)).all()
        assert [(r.author.value, r.status.value) for r in rows] == [("employee", "on_track")]
    assert len(_events(session_factory, "checkin_answered")) == 1
    assert len(_events(session_factory, "checkin_updated")) == 1


def test_a_status_is_required_for_each_goal(
    plan: Plan, clock: time_machine.Coordinates, driver: SlackDriver, slack: FakeSlack
) -> None:
    _at(clock, driver, FIRST_PROMPT)
    view = _open_checkin_form(driver, slack)
    values = _answers(plan)
    goal_id = plan.goals[0].id
    values[goal_field(Action.GOAL_STATUS, goal_id)][Action.GOAL_STATUS]["selected_option"] = None
    reply = response_json(driver.submit(EMPLOYEE, view, values))
    assert reply["response_action"] == "errors"
    assert goal_field(Action.GOAL_STATUS, goal_id) in reply["errors"]


def test_only_the_employee_can_open_the_checkin_form(
    plan: Plan, clock: time_machine.Coordinates, driver: SlackDriver, slack: FakeSlack
) -> None:
    _at(clock, driver, FIRST_PROMPT)
    opened = len(slack.calls_to("views.open"))
    _open_checkin_form(driver, slack, user=OUTSIDER)
    assert len(slack.calls_to("views.open")) == opened
    assert "was found" in slack.calls_to("response_url")[-1].args["text"]


def test_a_thread_reply_is_the_answer_and_is_acknowledged_in_the_thread(
    plan: Plan,
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
) -> None:
    _at(clock, driver, FIRST_PROMPT)
    [prompt] = _prompts(slack)
    channel = slack.dm_channel(EMPLOYEE)
    for n, text in enumerate(["All good, shipped the fix.", "Also: need a test env."]):
        driver.event(
            {
                "type": "message",
                "channel_type": "im",
                "channel": channel,
                "user": EMPLOYEE,
                "text": text,
                "ts": f"{FIRST_PROMPT.timestamp() + 60 + n:.6f}",
                "thread_ts": prompt["ts"],
            }
        )
    checkin = _checkin(session_factory)
    assert checkin.employee_reply == "All good, shipped the fix.\n\nAlso: need a test env."
    assert checkin.status == CheckinStatus.ANSWERED
    thanks = [
        m
        for m in slack.messages(channel)
        if m.get("thread_ts") == prompt["ts"] and m["ts"] != prompt["ts"]
    ]
    assert len(thanks) == 2 and all("kept this as your answer" in body(m) for m in thanks)
    assert len(_events(session_factory, "checkin_replied")) == 2


def test_a_plain_dm_right_after_the_prompt_is_the_answer(
    plan: Plan,
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
) -> None:
    _at(clock, driver, FIRST_PROMPT)
    channel = slack.dm_channel(EMPLOYEE)
    driver.event(
        {
            "type": "message",
            "channel_type": "im",
            "channel": channel,
            "user": EMPLOYEE,
            "text": "On track this week.",
            "ts": f"{FIRST_PROMPT.timestamp() + 60:.6f}",
        }
    )
    assert _checkin(session_factory).employee_reply == "On track this week."


def test_a_dm_that_answers_no_prompt_gets_the_pointer(
    plan: Plan, driver: SlackDriver, session_factory: sessionmaker[Session], slack: FakeSlack
) -> None:
    channel = slack.dm_channel(EMPLOYEE)
    driver.event(
        {
            "type": "message",
            "channel_type": "im",
            "channel": channel,
            "user": EMPLOYEE,
            "text": "hi",
            "ts": f"{OPENED.timestamp() + 60:.6f}",
        }
    )
    assert "/pip help" in body(slack.messages(channel)[-1])
    with session_factory() as db:
        assert db.scalars(select(Checkin)).all() == []


def test_the_manager_reviews_and_the_employee_gets_it_without_private_notes(
    plan: Plan,
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
) -> None:
    _at(clock, driver, FIRST_PROMPT)
    view = _open_checkin_form(driver, slack)
    driver.submit(EMPLOYEE, view, _answers(plan, progress="Shipped two fixes."))
    _at(clock, driver, REVIEW_PROMPT)
    [prompt] = _review_prompts(slack)
    driver.press(MANAGER, prompt, Action.LOG_REVIEW)
    review_view = slack.calls_to("views.open")[-1].response["view"]
    assert "Shipped two fixes." in str(review_view["blocks"])  # prefilled with the answer
    private = "Considering a role change; discuss with HR."
    reply = driver.submit(MANAGER, review_view, _review_values(plan, private))
    assert response_json(reply) == {}
    checkin = _checkin(session_factory)
    assert checkin.status == CheckinStatus.REVIEWED and checkin.private_notes == private
    [event] = _events(session_factory, "checkin_reviewed")
    assert event.data["private_notes"] == private
    [review] = [m for m in dm_messages(slack, EMPLOYEE) if f"<@{MANAGER}> reviewed" in body(m)]
    shown = json.dumps(review)
    assert "Feedback: be on time." in shown and "Daily stand-up notes." in shown
    assert private not in shown and "role change" not in shown


def test_pip_checkin_logs_an_unscheduled_review(
    plan: Plan, driver: SlackDriver, session_factory: sessionmaker[Session], slack: FakeSlack
) -> None:
    driver.command(MANAGER, f"checkin {plan.public_id.lower()}")
    view = slack.calls_to("views.open")[-1].response["view"]
    assert view["callback_id"] == "pip_review"
    assert response_json(driver.submit(MANAGER, view, _review_values(plan))) == {}
    checkin = _checkin(session_factory)
    assert checkin.kind == CheckinKind.UNSCHEDULED and checkin.status == CheckinStatus.REVIEWED
    assert any(f"<@{MANAGER}> reviewed" in body(m) for m in dm_messages(slack, EMPLOYEE))


@pytest.mark.parametrize(
    ("user", "text", "expected"),
    [
        (MANAGER, "checkin", "Say which plan"),
        (OUTSIDER, "checkin {id}", "No plan {id} was found."),
        (EMPLOYEE, "checkin {id}", "No plan {id} was found."),
        (MANAGER, "checkin PIP-ZZZZZZ", "No plan PIP-ZZZZZZ was found."),
    ],
)
def test_pip_checkin_refusals(
    plan: Plan, driver: SlackDriver, slack: FakeSlack, user: str, text: str, expected: str
) -> None:
    reply = response_json(driver.command(user, text.format(id=plan.public_id)))
    assert expected.format(id=plan.public_id) in reply["text"]
    assert len(slack.calls_to("views.open")) == 1  # only the new-plan form, no review form


def _hr_missed(slack: FakeSlack) -> list[dict[str, Any]]:
    """HR notices that the employee's self-assessment is missing (their miss)."""
    return [m for m in slack.messages(HR_CHANNEL) if "no self-assessment from" in m["text"]]


def test_nudges_and_missed_checkins_on_the_right_days_once(
    plan: Plan,
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
) -> None:
    def reminders() -> int:
        return len(
            [m for m in dm_messages(slack, EMPLOYEE) if "is still open. It takes about" in body(m)]
        )

    def review_reminders() -> int:
        return len([m for m in dm_messages(slack, MANAGER) if "Your review of" in m["text"]])

    schedule = [
        (FIRST_PROMPT, 0, 0, 0),
        (datetime(2027, 1, 7, 14, 59, tzinfo=UTC), 0, 0, 0),
        (datetime(2027, 1, 7, 15, 0, tzinfo=UTC), 1, 0, 0),  # next business day, 10:00 NY
        (datetime(2027, 1, 8, 15, 0, tzinfo=UTC), 1, 0, 0),
        (datetime(2027, 1, 11, 8, 59, tzinfo=UTC), 1, 0, 0),
        (datetime(2027, 1, 11, 9, 0, tzinfo=UTC), 1, 1, 0),  # 2 business days after Thu
        (datetime(2027, 1, 13, 14, 59, tzinfo=UTC), 1, 1, 0),
        (datetime(2027, 1, 13, 15, 0, tzinfo=UTC), 1, 1, 1),  # the next occurrence
        (datetime(2027, 1, 13, 16, 0, tzinfo=UTC), 1, 1, 1),
    ]
    for moment, expected_reminders, expected_review_reminders, missed in schedule:
        _at(clock, driver, moment)
        driver.dispatcher.tick()
        assert reminders() == expected_reminders, moment
        assert review_reminders() == expected_review_reminders, moment
        assert len(_hr_missed(slack)) == missed, moment
    with session_factory() as db:
        first = db.scalars(select(Checkin).order_by(Checkin.occurrence_date)).first()
        assert first is not None and first.status == CheckinStatus.MISSED
    assert "Wed 6 Jan 2027" in _hr_missed(slack)[0]["text"]


def test_no_nudges_once_answered_and_reviewed(
    plan: Plan,
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    slack: FakeSlack,
) -> None:
    _at(clock, driver, FIRST_PROMPT)
    driver.submit(EMPLOYEE, _open_checkin_form(driver, slack), _answers(plan))
    _at(clock, driver, datetime(2027, 1, 13, 15, 0, tzinfo=UTC))
    assert not [m for m in dm_messages(slack, EMPLOYEE) if "waiting for your answer" in body(m)]
    assert _hr_missed(slack) == []


def test_after_downtime_only_the_newest_prompt_goes_out(
    plan: Plan,
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
) -> None:
    # The bot was down from before the first prompt until after the third was due; then
    # the ticker runs a few times (it claims ten deliveries a tick).
    _at(clock, driver, datetime(2027, 1, 20, 16, 0, tzinfo=UTC))
    for _ in range(5):
        driver.dispatcher.tick()
    prompts = _prompts(slack)
    assert len(prompts) == 1 and "Wed 20 Jan 2027" in body(prompts[0])
    driver.dispatcher.tick()
    assert len(_prompts(slack)) == 1
    with session_factory() as db:
        stale = db.scalars(
            select(Delivery).where(Delivery.kind == "checkin_prompt", Delivery.status == "skipped")
        ).all()
        assert {d.payload["occurrence_date"] for d in stale} == {"2027-01-06", "2027-01-13"}


def test_prompts_follow_the_employee_to_a_new_time_zone(
    plan: Plan, clock: time_machine.Coordinates, driver: SlackDriver, slack: FakeSlack
) -> None:
    slack.add_user(EMPLOYEE, name="eli", real_name="Eli Employee", tz="Europe/Berlin")
    # A day later the cached profile is stale; the dispatcher re-reads it and the prompts move.
    _at(clock, driver, datetime(2027, 1, 5, 16, 0, tzinfo=UTC))
    _at(clock, driver, datetime(2027, 1, 6, 8, 59, tzinfo=UTC))
    assert _prompts(slack) == []
    _at(clock, driver, datetime(2027, 1, 6, 9, 0, tzinfo=UTC))  # 10:00 in Berlin
    assert len(_prompts(slack)) == 1
