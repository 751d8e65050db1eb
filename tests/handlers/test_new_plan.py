"""`/pip new`: the form, its validation, and what a valid plan stores and owes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from slack_sdk.models.views import View
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from models import ActionStep, Delivery, Goal, Plan, PlanEvent
from services.audit import verify_chain
from services.plans import ID_ALPHABET
from tests.constants import EMPLOYEE, HR_CHANNEL, MANAGER, OTHER_MANAGER
from tests.fakeslack import FakeSlack
from tests.plan_helpers import GOAL_TEXTS, dm_messages, form_values, open_form, open_plan
from tests.slackdriver import SlackDriver, response_json
from views.ids import Action, Block, goal_block
from views.plan_form import plan_referred

NOW = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)  # a Monday
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def frozen() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _goal_ids(view: dict[str, Any]) -> list[str]:
    return [
        b["block_id"]
        for b in view["blocks"]
        if str(b.get("block_id", "")).startswith(f"{Block.GOAL_DESCRIPTION}:")
    ]


def _click_in_view(driver: SlackDriver, view: dict[str, Any], action: str, value: str, values):  # type: ignore[no-untyped-def]
    driver.click(MANAGER, action, value=value, view={**view, "state": {"values": values}})
    return driver.slack.view(view["id"])


def test_new_opens_a_valid_modal(driver: SlackDriver, slack: FakeSlack) -> None:
    view = open_form(driver)
    assert view["title"]["text"] == "New improvement plan"
    assert len(_goal_ids(view)) == 1
    employee = next(b for b in view["blocks"] if b.get("block_id") == Block.EMPLOYEE)
    assert "initial_user" not in employee["element"]


def test_new_with_a_mention_preselects_the_employee(driver: SlackDriver) -> None:
    view = open_form(driver, f"new <@{EMPLOYEE}|eli>")
    employee = next(b for b in view["blocks"] if b.get("block_id") == Block.EMPLOYEE)
    assert employee["element"]["initial_user"] == EMPLOYEE


def test_new_with_a_name_that_is_not_a_mention_says_so(driver: SlackDriver) -> None:
    view = open_form(driver, "new eli")
    assert view["type"] == "modal"
    replies = driver.slack.calls_to("response_url")
    assert "couldn't find a person in “eli”" in replies[0].args["text"]


def test_add_goal_up_to_ten_keeps_what_was_typed(driver: SlackDriver, slack: FakeSlack) -> None:
    view = open_form(driver)
    for count in range(2, 11):
        values = form_values(view, start=TODAY)
        view = _click_in_view(driver, view, Action.ADD_GOAL, "add", values)
        assert len(_goal_ids(view)) == count
    updates = slack.calls_to("views.update")
    assert len(updates) == 9 and all(c.response["ok"] for c in updates)
    assert len(view["blocks"]) <= 100
    assert Action.ADD_GOAL not in str(view["blocks"])
    # Everything typed before the last click is in the new view.
    shown = str(view["blocks"])
    for description, measure, target in GOAL_TEXTS[:9]:
        assert description in shown and measure in shown and target in shown
    assert "2 Nov: missed the release review" in shown
    # And the ten-goal form still submits cleanly.
    reply = driver.submit(MANAGER, view, form_values(view, start=TODAY))
    assert response_json(reply) == {}


def test_remove_goal_keeps_the_others(driver: SlackDriver, slack: FakeSlack) -> None:
    view = open_form(driver)
    view = _click_in_view(driver, view, Action.ADD_GOAL, "add", form_values(view, start=TODAY))
    view = _click_in_view(driver, view, Action.ADD_GOAL, "add", form_values(view, start=TODAY))
    values = form_values(view, start=TODAY)
    middle = _goal_ids(view)[1].split(":")[1]
    view = _click_in_view(driver, view, Action.REMOVE_GOAL, middle, values)
    shown = str(view["blocks"])
    assert len(_goal_ids(view)) == 2
    assert GOAL_TEXTS[0][0] in shown and GOAL_TEXTS[2][0] in shown
    assert GOAL_TEXTS[1][0] not in shown


def _count(sessions: sessionmaker[Session], model: type) -> int:
    with sessions() as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


INVALID = [
    ("end before start", {"length": "end_date", "end": TODAY - timedelta(days=1)}, Block.END_DATE),
    ("too short", {"length": "end_date", "end": TODAY + timedelta(days=10)}, Block.END_DATE),
    ("too long", {"length": "end_date", "end": TODAY + timedelta(days=200)}, Block.END_DATE),
    (
        "length and date disagree",
        {"length": "30", "end": TODAY + timedelta(days=45)},
        Block.END_DATE,
    ),
    ("start in the past", {"start_override": TODAY - timedelta(days=3)}, Block.START_DATE),
    (
        "goal due after the end",
        {
            "goals": [
                {
                    "description": "d",
                    "measure": "m",
                    "target": "t",
                    "due": TODAY + timedelta(days=90),
                }
            ]
        },
        goal_block(Block.GOAL_DUE, 0),
    ),
    (
        "goal without a measure",
        {
            "goals": [
                {
                    "description": "d",
                    "measure": "",
                    "target": "t",
                    "due": TODAY + timedelta(days=20),
                }
            ]
        },
        goal_block(Block.GOAL_MEASURE, 0),
    ),
    ("no employee", {"employee": None}, Block.EMPLOYEE),
    ("plan for yourself", {"employee": MANAGER}, Block.EMPLOYEE),
    ("a bot", {"employee": "UBOTTY"}, Block.EMPLOYEE),
    ("deactivated", {"employee": "UGONE"}, Block.EMPLOYEE),
    ("unknown person", {"employee": "UNOBODY"}, Block.EMPLOYEE),
    ("issues too long", {"issues": "x" * 3001}, Block.ISSUES),
    ("no issues", {"issues": "   "}, Block.ISSUES),
    ("no consequences", {"consequences": ""}, Block.CONSEQUENCES),
    ("no weekday", {"weekday": None}, Block.WEEKDAY),
    ("a step date outside", {"steps": "Do it by 2028-01-01"}, Block.STEPS),
    ("a step date that is not a date", {"steps": "Do it by 2027-02-30"}, Block.STEPS),
]


@pytest.mark.parametrize(("case", "form", "block_id"), INVALID, ids=[c[0] for c in INVALID])
def test_each_rule_shows_on_its_field_and_stores_nothing(
    driver: SlackDriver,
    session_factory: sessionmaker[Session],
    case: str,
    form: dict[str, Any],
    block_id: str,
) -> None:
    view = open_form(driver)
    form = dict(form)
    start = form.pop("start_override", TODAY)
    reply = response_json(driver.submit(MANAGER, view, form_values(view, start=start, **form)))
    assert reply["response_action"] == "errors"
    assert block_id in reply["errors"], reply
    assert reply["errors"][block_id]
    input_ids = {b["block_id"] for b in view["blocks"] if b["type"] == "input"}
    assert set(reply["errors"]) <= input_ids
    assert _count(session_factory, Plan) == 0
    assert _count(session_factory, Delivery) == 0


def test_a_second_open_plan_is_refused_by_name(
    driver: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    first = open_plan(driver, session_factory, TODAY)
    view = open_form(driver)
    reply = response_json(driver.submit(MANAGER, view, form_values(view, start=TODAY)))
    assert first.public_id in reply["errors"][Block.EMPLOYEE]
    assert _count(session_factory, Plan) == 1


def test_the_same_form_sent_again_opens_nothing_more_and_says_if_changes_were_lost(
    driver: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    """Slack may show a timeout while the plan was being written; the form stays open and
    can be sent again, as it was or changed."""
    view = open_form(driver)
    values = form_values(view, start=TODAY)
    assert driver.submit(MANAGER, view, values).body == ""  # sent: the form closes
    assert driver.submit(MANAGER, view, values).body == ""  # again, unchanged: the same
    changed = form_values(view, start=TODAY, support="Changed after it was sent")
    reply = response_json(driver.submit(MANAGER, view, changed))

    with session_factory() as db:
        [(public_id, support)] = db.execute(select(Plan.public_id, Plan.support)).all()
    assert support == "Weekly pairing with a senior engineer."
    assert reply["response_action"] == "update"
    View(**reply["view"]).validate_json()
    notice = reply["view"]["blocks"][0]["text"]["text"]
    assert "What you changed after sending was not applied" in notice
    assert f"/pip edit {public_id}" in notice


def test_a_valid_plan_is_stored_whole_with_its_outbox(
    driver: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    plan = open_plan(driver, session_factory, TODAY)
    with session_factory() as db:
        assert _count(session_factory, Plan) == 1
        assert [g.description for g in db.scalars(select(Goal))] == [GOAL_TEXTS[0][0]]
        steps = list(db.scalars(select(ActionStep).order_by(ActionStep.position)))
        assert [(s.description, s.due_date) for s in steps] == [
            ("Shadow the on-call lead", date(2027, 1, 20)),
            ("Read the incident handbook", None),
        ]
        events = list(db.scalars(select(PlanEvent)))
        assert [e.kind for e in events] == ["created"]
        assert events[0].data["goals"][0]["measure"] == GOAL_TEXTS[0][1]
        assert events[0].data["issues"].startswith("2 Nov")
        assert verify_chain(db, plan).intact
        kinds = sorted(d.kind.value for d in db.scalars(select(Delivery)))
    assert plan.end_date == TODAY + timedelta(days=60)
    assert re.fullmatch(r"PIP-[0-9A-HJKMNP-TV-Z]{6}", plan.public_id)
    # Wednesdays from 6 Jan to 3 Mar 2027: nine check-ins, each with a review prompt.
    assert kinds.count("checkin_prompt") == 9
    assert kinds.count("review_prompt") == 9
    for kind in ("ack_request", "ack_reminder", "plan_confirmation", "hr_notice", "end_of_plan"):
        assert kinds.count(kind) == 1, kind
    assert kinds.count("not_acknowledged") == 2  # the manager and the HR channel


def test_plan_ids_are_not_sequential(
    driver: SlackDriver, session_factory: sessionmaker[Session], slack: FakeSlack
) -> None:
    ids = []
    for employee in ("UEMP1", "UEMP2", "UEMP3"):
        slack.add_user(employee, name=employee.lower())
        ids.append(open_plan(driver, session_factory, TODAY, employee=employee).public_id)
    assert len(set(ids)) == 3

    def number(public_id: str) -> int:
        value = 0
        for char in public_id.removeprefix("PIP-"):
            value = value * 32 + ID_ALPHABET.index(char)
        return value

    numbers = [number(i) for i in ids]
    assert {b - a for a, b in zip(numbers, numbers[1:], strict=False)} != {1}


def test_the_employee_gets_the_whole_plan_in_a_dm(
    driver: SlackDriver, session_factory: sessionmaker[Session], slack: FakeSlack
) -> None:
    view = open_form(driver)
    for _ in range(9):
        view = _click_in_view(driver, view, Action.ADD_GOAL, "add", form_values(view, start=TODAY))
    driver.submit(MANAGER, view, form_values(view, start=TODAY))
    [message] = dm_messages(slack, EMPLOYEE)
    assert message["text"]
    shown = str(message["blocks"])
    for i, (description, measure, _target) in enumerate(GOAL_TEXTS):
        assert description in shown and measure in shown
        due = TODAY + timedelta(days=30 + i)
        assert f"{due:%-d %b %Y}" in shown
    assert "does not mean you agree" in shown
    assert "2 Nov: missed the release review" in shown
    assert "Further action up to and including dismissal." in shown
    assert Action.ACKNOWLEDGE in shown and Action.RESPOND in shown
    assert message["metadata"]["event_type"] == "pip_delivery"


def test_the_manager_gets_a_confirmation(
    driver: SlackDriver, session_factory: sessionmaker[Session], slack: FakeSlack
) -> None:
    plan = open_plan(driver, session_factory, TODAY)
    [message] = dm_messages(slack, MANAGER)
    assert plan.public_id in message["text"]
    assert f"<@{EMPLOYEE}>" in message["text"]
    assert "Mon 4 Jan 2027" in message["text"] and "Fri 5 Mar 2027" in message["text"]
    assert "Wed 6 Jan 2027" in message["text"]  # the first check-in


def test_hr_is_told_without_plan_content(
    driver: SlackDriver, session_factory: sessionmaker[Session], slack: FakeSlack
) -> None:
    plan = open_plan(driver, session_factory, TODAY)
    [notice] = slack.messages(HR_CHANNEL)
    assert plan.public_id in notice["text"]
    assert f"<@{EMPLOYEE}>" in notice["text"] and f"<@{MANAGER}>" in notice["text"]
    assert "release review" not in str(notice) and GOAL_TEXTS[0][0] not in str(notice)


def open_plan_of_employee(sessions: sessionmaker[Session]) -> str:
    with sessions() as db:
        return db.scalars(select(Plan.public_id)).one()


def test_another_manager_cannot_see_the_existing_plan_in_the_error(
    driver: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    open_plan(driver, session_factory, TODAY)
    view = open_form(driver, user=OTHER_MANAGER)
    plan_id = open_plan_of_employee(session_factory)
    reply = response_json(driver.submit(OTHER_MANAGER, view, form_values(view, start=TODAY)))
    # Refused, without saying that a plan exists, let alone which.
    message = reply["errors"][Block.EMPLOYEE]
    assert message == plan_referred(hr_told=True)
    assert plan_id not in json.dumps(reply) and "already has" not in message


def test_a_write_that_fails_keeps_the_form_open_with_everything_typed(
    driver: SlackDriver,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The form is acknowledged only after the plan is stored: a failed write loses nothing."""
    import services.plans

    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services.plans, "open_plan", fail)
    view = open_form(driver)
    reply = response_json(driver.submit(MANAGER, view, form_values(view, start=TODAY)))
    # The modal stays open (errors on its first input), so what was typed is still there.
    assert reply["response_action"] == "errors"
    [message] = reply["errors"].values()
    assert "Nothing you typed was lost" in message
    assert _count(session_factory, Plan) == 0
    assert dm_messages(slack, EMPLOYEE) == [] and dm_messages(slack, MANAGER) == []


def test_a_plan_that_lost_a_race_is_refused_on_the_form(
    driver: SlackDriver,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A plan opened between the check and the write is refused on the form, not after it."""
    import services.plans

    first = open_plan(driver, session_factory, TODAY)
    view = open_form(driver)
    real_check = services.plans.check_draft
    calls: list[int] = []

    def check_before_the_race(*args: Any, **kwargs: Any) -> Any:
        # The handler's own check runs before the other plan "arrives"; open_plan's sees it.
        calls.append(1)
        return None if len(calls) == 1 else real_check(*args, **kwargs)

    monkeypatch.setattr(services.plans, "check_draft", check_before_the_race)
    reply = response_json(driver.submit(MANAGER, view, form_values(view, start=TODAY)))
    assert reply["response_action"] == "errors"
    assert first.public_id in reply["errors"][Block.EMPLOYEE]
    assert _count(session_factory, Plan) == 1 and len(calls) == 2
