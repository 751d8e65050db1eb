"""Who may do what, through signed requests: every role against every operation.

For every refusal, nothing the refused person receives mentions the plan's content or its
parties, and the answer is the answer about a plan (or check-in) that does not exist.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from models import Checkin, Plan
from tests.constants import EMPLOYEE, HR, HR_CHANNEL, MANAGER, OTHER_MANAGER, OUTSIDER
from tests.fakeslack import FakeSlack
from tests.plan_helpers import GOAL_TEXTS, form_values, open_form, open_plan
from tests.slackdriver import SlackDriver, response_json
from views.ids import Action, Block
from views.plan_form import plan_referred

OPENED = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)
PROMPTED = datetime(2027, 1, 7, 9, 30, tzinfo=UTC)  # after the first prompt and review prompt
MISSING_PLAN = "PIP-ZZZZZZ"
MISSING_CHECKIN = "987654"
ROLES = [MANAGER, EMPLOYEE, HR, OTHER_MANAGER, OUTSIDER]
SECRETS = [
    GOAL_TEXTS[0][0],
    GOAL_TEXTS[0][1],
    "missed the release review",
    "Further action up to and including dismissal",
    EMPLOYEE,
    MANAGER,
    "Eli Employee",
    "Maria Manager",
]


@pytest.fixture
def world(
    driver: SlackDriver, session_factory: sessionmaker[Session], slack: FakeSlack
) -> Iterator[tuple[Plan, int]]:
    with time_machine.travel(OPENED, tick=False) as clock:
        plan = open_plan(driver, session_factory, OPENED.date())
        clock.move_to(PROMPTED)
        driver.dispatcher.tick()
        with session_factory() as db:
            checkin = db.scalars(select(Checkin)).one()
        yield plan, checkin.id


Operation = Callable[[SlackDriver, str, str, str], None]


def _click(driver: SlackDriver, user: str, action: str, value: str) -> None:
    channel = driver.slack.dm_channel(user)
    message = {"ts": "1799999999.000100", "text": "x", "blocks": []}
    driver.click(
        user, action, value=value, block_id=Block.PLAN_ACTIONS, message=message, channel_id=channel
    )


OPERATIONS: dict[str, Callable[[SlackDriver, str, str, str], None]] = {
    "list": lambda d, u, p, c: d.command(u, "list all" if u == HR else "list"),
    "show": lambda d, u, p, c: d.command(u, f"show {p}"),
    "edit": lambda d, u, p, c: d.command(u, f"edit {p}"),
    "extend": lambda d, u, p, c: d.command(u, f"extend {p}"),
    "checkin": lambda d, u, p, c: d.command(u, f"checkin {p}"),
    "pause": lambda d, u, p, c: d.command(u, f"pause {p}"),
    "resume": lambda d, u, p, c: d.command(u, f"resume {p}"),
    "acknowledge": lambda d, u, p, c: _click(d, u, Action.ACKNOWLEDGE, p),
    "respond": lambda d, u, p, c: _click(d, u, Action.RESPOND, p),
    "checkin_modal": lambda d, u, p, c: _click(d, u, Action.CHECK_IN, c),
    "review_modal": lambda d, u, p, c: _click(d, u, Action.LOG_REVIEW, c),
    "home": lambda d, u, p, c: d.event(
        {"type": "app_home_opened", "user": u, "channel": "D0HOME", "tab": "home"}
    ),
    "verify": lambda d, u, p, c: d.command(u, f"verify {p}"),
    "hold": lambda d, u, p, c: d.command(u, f"hold {p} Tribunal claim 2027/114"),
    "release": lambda d, u, p, c: d.command(u, f"release {p}"),
}
ALLOWED = {
    "list": {MANAGER, EMPLOYEE, HR},
    "show": {MANAGER, EMPLOYEE, HR},
    "edit": {MANAGER},
    "extend": {MANAGER},
    "checkin": {MANAGER},
    "pause": {MANAGER, HR},
    "resume": {MANAGER, HR},
    "acknowledge": {EMPLOYEE},
    "respond": {EMPLOYEE},
    "checkin_modal": {EMPLOYEE},
    "review_modal": {MANAGER},
    "home": {MANAGER, EMPLOYEE, HR},
    "verify": {MANAGER, HR},
    "hold": {HR},
    "release": {HR},
}
# Operations on a check-in id rather than a plan id.
ON_CHECKIN = {"checkin_modal", "review_modal"}


def _run(
    driver: SlackDriver, op: str, user: str, plan_id: str, checkin_id: str
) -> tuple[str, list[Any]]:
    """Run one operation; return everything sent to the user, as text, and the new calls."""
    slack = driver.slack
    before = len(slack.calls)
    replies: list[Any] = []
    original = driver._dispatch  # noqa: SLF001 - keep the ack bodies too

    def keep(*args: Any, **kwargs: Any) -> Any:
        response = original(*args, **kwargs)
        replies.append(response_json(response) if response.body else {})
        return response

    driver._dispatch = keep  # type: ignore[method-assign]  # noqa: SLF001
    try:
        OPERATIONS[op](driver, user, plan_id, checkin_id)
    finally:
        driver._dispatch = original  # type: ignore[method-assign]  # noqa: SLF001
    calls = slack.calls[before:]
    sent = json.dumps([replies, [(c.method, c.args) for c in calls]])
    return sent, calls


def _shows_the_plan(op: str, sent: str, calls: list[Any], plan_id: str) -> bool:
    methods = {c.method for c in calls if c.response.get("ok", True)}
    if op in {"list", "home"}:
        return plan_id in sent
    if op in {
        "show",
        "edit",
        "extend",
        "checkin",
        "pause",
        "respond",
        "checkin_modal",
        "review_modal",
    }:
        return "views.open" in methods
    if op == "resume":  # the plan is not paused: those allowed are told so, by its id
        return f"Plan {plan_id} is not paused" in sent
    if op == "acknowledge":
        return "chat.update" in methods
    if op == "verify":
        return "conversations.history" in methods and "is intact" in sent
    if op == "hold":
        return "is on legal hold from" in sent
    if op == "release":
        return "is no longer on legal hold" in sent or "is not on legal hold" in sent
    raise AssertionError(op)


@pytest.mark.parametrize("op", list(OPERATIONS))
@pytest.mark.parametrize("user", ROLES)
def test_matrix(world: tuple[Plan, int], driver: SlackDriver, op: str, user: str) -> None:
    plan, checkin_id = world
    with time_machine.travel(PROMPTED, tick=False):
        sent, calls = _run(driver, op, user, plan.public_id, str(checkin_id))
        allowed = user in ALLOWED[op]
        assert _shows_the_plan(op, sent, calls, plan.public_id) == allowed, sent[:2000]
        if allowed:
            return
        for secret in SECRETS:
            assert secret not in sent.replace(f"<@{user}>", ""), (secret, sent[:2000])
        if op in {"list", "home"}:
            return
        real_id = str(checkin_id) if op in ON_CHECKIN else plan.public_id
        missing_id = MISSING_CHECKIN if op in ON_CHECKIN else MISSING_PLAN
        missing, _ = _run(driver, op, user, MISSING_PLAN, MISSING_CHECKIN)
    assert _normalise(sent, real_id) == _normalise(missing, missing_id)


def _normalise(sent: str, identifier: str) -> str:
    """The answer with the id and the per-request parts (ids, timestamps, urls) blanked."""
    import re

    text = sent.replace(identifier, "<ID>")
    text = re.sub(
        r'"(ts|message_ts|action_ts|trigger_id|response_url|url|hook_id)": "[^"]*"', "", text
    )
    text = re.sub(r"/respond/[A-Za-z0-9_-]+", "/respond/<HOOK>", text)
    text = re.sub(r"\d{10}\.\d{6}", "<TS>", text)
    return text


# The new-plan form, for an employee who has an open plan and for one who has none.
NEW_PLAN_ROLES = [MANAGER, HR, OTHER_MANAGER, OUTSIDER]
SEES_THE_PLAN = {MANAGER, HR}
NO_PLAN = "UNOPLAN"


def _submit_new_plan(driver: SlackDriver, user: str, employee: str, **form: Any) -> dict[str, Any]:
    view = open_form(driver, user=user)
    values = form_values(view, start=PROMPTED.date(), employee=employee, **form)
    return response_json(driver.submit(user, view, values))


@pytest.mark.parametrize("user", NEW_PLAN_ROLES)
def test_new_plan_field_errors_never_depend_on_a_plan_the_submitter_may_not_see(
    world: tuple[Plan, int], driver: SlackDriver, slack: FakeSlack, user: str
) -> None:
    plan, _ = world
    slack.add_user(NO_PLAN, name="nora", real_name="Nora Noplan", tz="UTC")
    with time_machine.travel(PROMPTED, tick=False):
        with_plan = _submit_new_plan(driver, user, EMPLOYEE, issues="")
        without = _submit_new_plan(driver, user, NO_PLAN, issues="")
    assert Block.ISSUES in with_plan["errors"] and Block.ISSUES in without["errors"]
    assert Block.EMPLOYEE not in without["errors"]
    if user in SEES_THE_PLAN:
        assert plan.public_id in with_plan["errors"][Block.EMPLOYEE]
    else:
        assert with_plan == without


@pytest.mark.parametrize("user", NEW_PLAN_ROLES)
def test_a_valid_new_plan_for_someone_with_an_open_plan(
    world: tuple[Plan, int],
    driver: SlackDriver,
    slack: FakeSlack,
    session_factory: sessionmaker[Session],
    user: str,
) -> None:
    plan, _ = world
    slack.add_user(NO_PLAN, name="nora", real_name="Nora Noplan", tz="UTC")
    with time_machine.travel(PROMPTED, tick=False):
        before = len(slack.messages(HR_CHANNEL))
        sent_to_employee = len(slack.messages(slack.dm_channel(EMPLOYEE)))
        reply = _submit_new_plan(driver, user, EMPLOYEE)
        driver.dispatcher.tick()
        told_hr = [m["text"] for m in slack.messages(HR_CHANNEL)[before:]]
        if user in SEES_THE_PLAN:
            # Told which plan, as before: they may see it.
            assert plan.public_id in reply["errors"][Block.EMPLOYEE]
            assert told_hr == []
        else:
            # One neutral answer that names no plan; HR hears who tried, for whom, which plan.
            assert reply == {
                "response_action": "errors",
                "errors": {Block.EMPLOYEE: plan_referred(hr_told=True)},
            }
            assert len(told_hr) == 1
            assert all(s in told_hr[0] for s in (f"<@{user}>", f"<@{EMPLOYEE}>", plan.public_id))
        assert len(slack.messages(slack.dm_channel(EMPLOYEE))) == sent_to_employee
        with session_factory() as db:
            assert db.scalar(select(func.count()).select_from(Plan)) == 1
        # The same submitter, for someone without a plan: the plan opens.
        assert _submit_new_plan(driver, user, NO_PLAN) == {}
    with session_factory() as db:
        assert db.scalar(select(func.count()).select_from(Plan)) == 2
