"""Drafts with HR approval (PLAN_APPROVAL=hr), through signed requests against the fake Slack."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from models import Delivery, DeliveryKind, Plan, PlanEvent, PlanStatus, Review
from tests.constants import (
    BOT_TOKEN,
    EMPLOYEE,
    HR,
    HR_CHANNEL,
    MANAGER,
    OTHER_MANAGER,
    OUTSIDER,
    SIGNING_SECRET,
)
from tests.fakeslack import FakeSlack
from tests.plan_helpers import dm_messages, form_values, open_form
from tests.slackdriver import SlackDriver, response_json
from views.ids import Action, Block, Callback
from views.plan_form import SEND_AFTER_MEETING

OPENED = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)  # a Monday
TODAY = OPENED.date()
HR2 = "UHRTWO"
MISSING = "PIP-ZZZZZZ"
CONTACT = "Hana in People Ops, @hana"


@pytest.fixture
def settings(slack: FakeSlack) -> Settings:
    """HR approves every plan; two people hold HR rights."""
    slack.add_user(HR2, name="harry", real_name="Harry HR", tz="Europe/London")
    return Settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.url,
        hr_channel_id=HR_CHANNEL,
        hr_user_ids=frozenset({HR, HR2}),
        plan_approval="hr",
        hr_contact=CONTACT,
    )


def submit_draft(driver: SlackDriver, **form: Any) -> dict[str, Any]:
    """The manager fills in and submits the plan form; returns the ack's JSON."""
    view = open_form(driver)
    assert view["submit"]["text"] == "Send to HR"
    return response_json(driver.submit(MANAGER, view, form_values(view, start=TODAY, **form)))


def the_plan(sessions: sessionmaker[Session]) -> Plan:
    with sessions() as db:
        plan = db.scalars(select(Plan).order_by(Plan.id.desc())).first()
        assert plan is not None
        plan.goals  # noqa: B018 - loaded before the session closes
        return plan


def history(sessions: sessionmaker[Session], plan: Plan) -> list[PlanEvent]:
    with sessions() as db:
        return list(
            db.scalars(
                select(PlanEvent).where(PlanEvent.plan_id == plan.id).order_by(PlanEvent.sequence)
            )
        )


def requests_in(slack: FakeSlack, channel: str = HR_CHANNEL) -> list[dict[str, Any]]:
    """The approval requests posted in a channel, oldest first."""
    return [m for m in slack.messages(channel) if "waiting for HR approval" in m["text"]]


def button(message: dict[str, Any], action: str) -> dict[str, Any] | None:
    for block in message.get("blocks", []):
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            if element.get("action_id") == action:
                return element
    return None


def press_review(
    driver: SlackDriver, user: str, message: dict[str, Any], value: str | None = None
) -> None:
    if value is None:
        driver.press(user, message, Action.REVIEW_DRAFT)
        return
    # A click carrying `value` on a message whose Review button is gone (a stale copy).
    driver.click(
        user,
        Action.REVIEW_DRAFT,
        value=value,
        block_id=Block.DRAFT_ACTIONS,
        message=message,
        channel_id=HR_CHANNEL,
    )


def opened_view(slack: FakeSlack, before: int) -> dict[str, Any] | None:
    opened = [c for c in slack.calls_to("views.open")[before:] if c.response.get("ok")]
    return opened[-1].response["view"] if opened else None


def decision_values(decision: str | None, comment: str = "") -> dict[str, dict[str, Any]]:
    option = {"text": {"type": "plain_text", "text": decision}, "value": decision}
    return {
        Block.DECISION: {
            Action.DECISION: {
                "type": "radio_buttons",
                "selected_option": option if decision else None,
            }
        },
        Block.COMMENT: {Action.COMMENT: {"type": "plain_text_input", "value": comment or None}},
    }


def review(
    driver: SlackDriver, user: str, message: dict[str, Any], decision: str | None, comment: str = ""
) -> dict[str, Any]:
    """`user` presses Review on `message` and submits `decision`; returns the ack's JSON."""
    before = len(driver.slack.calls_to("views.open"))
    press_review(driver, user, message)
    view = opened_view(driver.slack, before)
    assert view is not None and view["callback_id"] == Callback.REVIEW_DRAFT
    return response_json(driver.submit(user, view, decision_values(decision, comment)))


def last_reply(slack: FakeSlack) -> str:
    return str(slack.calls_to("response_url")[-1].args.get("text", ""))


def test_a_draft_reaches_the_employee_only_after_hr_approves(
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    slack: FakeSlack,
    session_factory: sessionmaker[Session],
) -> None:
    assert submit_draft(driver) == {}
    plan = the_plan(session_factory)
    assert (plan.status, plan.review, plan.review_round) == (PlanStatus.DRAFT, Review.PENDING, 1)
    assert dm_messages(slack, EMPLOYEE) == []
    with session_factory() as db:
        owed = {d.kind for d in db.scalars(select(Delivery).where(Delivery.plan_id == plan.id))}
    assert owed == {DeliveryKind.HR_NOTICE, DeliveryKind.NOTICE}  # nothing for the employee
    [request] = requests_in(slack)
    shown = str(request["blocks"])
    assert f"<@{EMPLOYEE}>" in shown and f"<@{MANAGER}>" in shown
    assert "Mon 4 Jan 2027" in shown and "missed the release review" in shown
    told = dm_messages(slack, MANAGER)[-1]["text"]
    assert "is with HR for approval" in told and plan.public_id in told

    # The manager, an outsider and the employee get the answer for a plan that does not exist.
    for user in (MANAGER, OUTSIDER, EMPLOYEE):
        before = len(slack.calls_to("views.open"))
        press_review(driver, user, request)
        refused = last_reply(slack)
        assert opened_view(slack, before) is None
        press_review(driver, user, request, value=f"{MISSING}:1")
        assert refused.replace(plan.public_id, MISSING) == last_reply(slack)
        assert refused == f"No plan {plan.public_id} was found."

    assert review(driver, HR, request, "approve") == {}
    plan = the_plan(session_factory)
    assert plan.status == PlanStatus.ACTIVE and plan.review == Review.APPROVED
    employee_dm = dm_messages(slack, EMPLOYEE)
    assert len(employee_dm) == 1 and button(employee_dm[0], Action.ACKNOWLEDGE)
    assert [e.kind for e in history(session_factory, plan)] == ["submitted", "approved", "sent"]
    [decided] = requests_in(slack)
    assert button(decided, Action.REVIEW_DRAFT) is None
    assert f"Approved by <@{HR}>" in str(decided["blocks"])
    manager_texts = [m["text"] for m in dm_messages(slack, MANAGER)]
    assert any("approved your plan" in t for t in manager_texts)
    assert any("is open" in t for t in manager_texts)  # the usual confirmation follows


def test_request_changes_then_approve_the_second_round(
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    slack: FakeSlack,
    session_factory: sessionmaker[Session],
) -> None:
    submit_draft(driver, issues="2 Nov: missed the release review.\nSecond line.")
    plan = the_plan(session_factory)
    [first] = requests_in(slack)

    needs_comment = review(driver, HR, first, "changes")
    assert needs_comment["response_action"] == "errors"
    assert set(needs_comment["errors"]) == {Block.COMMENT}
    assert review(driver, HR, first, "changes", "Add dated examples for December.") == {}
    assert dm_messages(slack, EMPLOYEE) == []

    asked = dm_messages(slack, MANAGER)[-1]
    assert "Add dated examples for December." in str(asked["blocks"])
    edit = button(asked, Action.EDIT_DRAFT)
    assert edit is not None
    # HR's request now says who decided; a second HR person is told, and cannot decide again.
    [decided] = requests_in(slack)
    assert f"Changes requested by <@{HR}>" in str(decided["blocks"])
    assert button(decided, Action.REVIEW_DRAFT) is None
    press_review(driver, HR2, decided, value=f"{plan.public_id}:1")
    assert last_reply(slack).startswith("Hana HR already asked for changes")

    before = len(slack.calls_to("views.open"))
    driver.press(MANAGER, asked, Action.EDIT_DRAFT)
    form = opened_view(slack, before)
    assert form is not None and form["callback_id"] == Callback.EDIT_DRAFT
    prefilled = str(form["blocks"])
    for kept in ("Second line.", "Goal text 1", "Measure text 1", "Target text 1", "dismissal"):
        assert kept in prefilled
    values = form_values(form, start=TODAY, issues="2 Nov: missed it.\n3 Dec: late again.")
    assert response_json(driver.submit(MANAGER, form, values)) == {}

    plan = the_plan(session_factory)
    assert (plan.status, plan.review, plan.review_round) == (PlanStatus.DRAFT, Review.PENDING, 2)
    assert plan.issues == "2 Nov: missed it.\n3 Dec: late again."
    second = requests_in(slack)[-1]
    assert "version 2" in second["text"] or "version 2" in str(second["blocks"])
    assert review(driver, HR2, second, "approve", "Thanks, this is clear.") == {}

    kinds = [e.kind for e in history(session_factory, plan)]
    assert kinds == ["submitted", "changes_requested", "submitted", "approved", "sent"]
    decisions = [
        e for e in history(session_factory, plan) if e.kind in {"approved", "changes_requested"}
    ]
    assert [(e.actor_id, e.data["round"]) for e in decisions] == [(HR, 1), (HR2, 2)]
    assert decisions[0].data["comment"] == "Add dated examples for December."
    assert len(dm_messages(slack, EMPLOYEE)) == 1
    assert "late again" in str(dm_messages(slack, EMPLOYEE)[0]["blocks"])


def test_a_second_decision_is_told_who_decided(
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    slack: FakeSlack,
    session_factory: sessionmaker[Session],
) -> None:
    submit_draft(driver)
    [request] = requests_in(slack)
    before = len(slack.calls_to("views.open"))
    press_review(driver, HR2, request)
    stale_view = opened_view(slack, before)
    assert stale_view is not None
    assert review(driver, HR, request, "approve") == {}
    late = response_json(driver.submit(HR2, stale_view, decision_values("changes", "No.")))
    assert late["response_action"] == "errors"
    assert "Hana HR already approved" in str(late["errors"])
    plan = the_plan(session_factory)
    kinds = [e.kind for e in history(session_factory, plan)]
    assert kinds.count("approved") == 1 and "changes_requested" not in kinds


def test_the_manager_may_not_approve_their_own_draft(
    clock: time_machine.Coordinates, driver: SlackDriver, slack: FakeSlack
) -> None:
    driver.command(HR, "new")
    view = [c for c in slack.calls_to("views.open") if c.response.get("ok")][-1].response["view"]
    reply = driver.submit(HR, view, form_values(view, start=TODAY))
    assert response_json(reply) == {}
    # An HR person's own draft goes to the other HR people, never back to them.
    [request] = requests_in(slack)
    press_review(driver, HR, request)
    assert "someone else in HR" in last_reply(slack)


@pytest.mark.parametrize(
    "engine", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_two_hr_people_approving_at_once_make_one_approval(
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    slack: FakeSlack,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import services.approval as approval

    submit_draft(driver)
    [request] = requests_in(slack)
    views = []
    for user in (HR, HR2):
        before = len(slack.calls_to("views.open"))
        press_review(driver, user, request)
        views.append(opened_view(slack, before))
    # Both requests pass every check before either writes: only the UPDATE can stop one.
    barrier = threading.Barrier(2, timeout=10)
    checked = approval.plan_for_review

    def in_step(*args: Any, **kwargs: Any) -> Any:
        plan = checked(*args, **kwargs)
        barrier.wait()
        return plan

    monkeypatch.setattr(approval, "plan_for_review", in_step)
    replies: dict[str, dict[str, Any]] = {}

    def approve(user: str, view: dict[str, Any]) -> None:
        replies[user] = response_json(driver.submit(user, view, decision_values("approve")))

    threads = [
        threading.Thread(target=approve, args=(u, v)) for u, v in zip((HR, HR2), views, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(r == {} for r in replies.values()) == [False, True], replies
    loser = next(r for r in replies.values() if r)
    assert "already approved" in str(loser["errors"])
    plan = the_plan(session_factory)
    kinds = [e.kind for e in history(session_factory, plan)]
    assert kinds == ["submitted", "approved", "sent"]
    with session_factory() as db:
        requests = db.scalars(
            select(Delivery).where(Delivery.kind == DeliveryKind.ACK_REQUEST)
        ).all()
    assert len(requests) == 1
    assert len(dm_messages(slack, EMPLOYEE)) == 1


def test_send_after_meeting_moves_the_dates_and_reminds_once(
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    slack: FakeSlack,
    session_factory: sessionmaker[Session],
) -> None:
    submit_draft(driver, delivery=SEND_AFTER_MEETING)
    [request] = requests_in(slack)
    assert "after meeting" in str(request["blocks"])
    assert review(driver, HR, request, "approve") == {}
    plan = the_plan(session_factory)
    assert (plan.status, plan.review) == (PlanStatus.DRAFT, Review.APPROVED)
    assert dm_messages(slack, EMPLOYEE) == []
    ready = dm_messages(slack, MANAGER)[-1]
    send = button(ready, Action.SEND_PLAN)
    assert send is not None and send["text"]["text"] == "Send to Eli"

    reminders = lambda: [  # noqa: E731
        m for m in dm_messages(slack, MANAGER) if m["text"].startswith(":wave: A reminder")
    ]
    clock.move_to(datetime(2027, 1, 6, 16, 0, tzinfo=UTC))  # 2 business days on
    driver.dispatcher.tick()
    assert len(reminders()) == 1
    clock.move_to(datetime(2027, 1, 7, 14, 0, tzinfo=UTC))  # Thursday, 3 days after the start
    driver.dispatcher.tick()
    assert len(reminders()) == 1
    assert dm_messages(slack, EMPLOYEE) == []

    for _ in range(2):  # a double click sends once
        driver.press(MANAGER, ready, Action.SEND_PLAN)
    plan = the_plan(session_factory)
    assert plan.status == PlanStatus.ACTIVE
    assert (plan.start_date, plan.end_date) == (date(2027, 1, 7), TODAY + timedelta(days=63))
    assert [g.due_date for g in plan.goals] == [TODAY + timedelta(days=33)]
    assert len(dm_messages(slack, EMPLOYEE)) == 1
    sent = [e for e in history(session_factory, plan) if e.kind == "sent"]
    assert len(sent) == 1 and sent[0].data["moved_days"] == 3
    assert sent[0].data["before"] == {"start_date": "2027-01-04", "end_date": "2027-03-05"}
    hr_opened = [m for m in slack.messages(HR_CHANNEL) if "opened" in m["text"]]
    assert "sent 3 days after its planned start" in hr_opened[-1]["text"]
    assert "Sent to" in str(slack.messages(slack.dm_channel(MANAGER))[-1]["blocks"]) or any(
        "Sent to" in str(m.get("blocks")) for m in dm_messages(slack, MANAGER)
    )
    with session_factory() as db:
        prompts = db.scalars(
            select(Delivery).where(Delivery.kind == DeliveryKind.CHECKIN_PROMPT)
        ).all()
        ack = db.scalars(select(Delivery).where(Delivery.kind == DeliveryKind.ACK_REMINDER)).one()
    days = sorted(date.fromisoformat(p.payload["local_date"]) for p in prompts)
    assert days[0] == date(2027, 1, 13) and all(d.weekday() == 2 for d in days)
    assert days[-1] <= plan.end_date
    # The acknowledgement clock starts at the sending: 2 business days after Thursday.
    assert ack.due_at.date() == date(2027, 1, 11)

    clock.move_to(datetime(2027, 1, 12, 16, 0, tzinfo=UTC))
    driver.dispatcher.tick()
    assert len(reminders()) == 1


def test_a_withdrawn_draft_is_never_heard_of(
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    slack: FakeSlack,
    session_factory: sessionmaker[Session],
) -> None:
    submit_draft(driver)
    plan = the_plan(session_factory)
    reply = response_json(driver.command(MANAGER, f"withdraw {plan.public_id}"))
    assert "is withdrawn" in reply["text"]
    assert the_plan(session_factory).status == PlanStatus.WITHDRAWN
    [request] = requests_in(slack)
    assert button(request, Action.REVIEW_DRAFT) is None and "Withdrawn by" in str(request["blocks"])
    refused = response_json(driver.command(OTHER_MANAGER, f"withdraw {plan.public_id}"))
    assert refused["text"] == f"No plan {plan.public_id} was found."
    clock.move_to(OPENED + timedelta(days=30))
    driver.dispatcher.tick()
    assert dm_messages(slack, EMPLOYEE) == []
    assert [e.kind for e in history(session_factory, plan)] == ["submitted", "withdrawn"]


def test_a_plan_the_submitter_may_not_see_is_flagged_for_hr_only(
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    slack: FakeSlack,
    session_factory: sessionmaker[Session],
) -> None:
    # Another manager's plan for the employee is open, and the manager may not see it.
    view = open_form(driver, user=OTHER_MANAGER)
    values = form_values(view, start=TODAY)
    assert response_json(driver.submit(OTHER_MANAGER, view, values)) == {}
    assert review(driver, HR, requests_in(slack)[-1], "approve") == {}
    existing = the_plan(session_factory)
    assert existing.status == PlanStatus.ACTIVE

    # Field errors do not depend on it: the same broken form for someone without a plan.
    slack.add_user("UFRESH", name="fred", real_name="Fred Fresh", tz="Europe/Berlin")
    answers = []
    for employee in (EMPLOYEE, "UFRESH"):
        view = open_form(driver)
        broken = form_values(view, start=TODAY, employee=employee, consequences="")
        answers.append(response_json(driver.submit(MANAGER, view, broken)))
    assert answers[0] == answers[1] and set(answers[0]["errors"]) == {Block.CONSEQUENCES}

    # A valid draft goes to HR as usual; only HR's copy names the open plan.
    assert submit_draft(driver) == {}
    draft = the_plan(session_factory)
    told = dm_messages(slack, MANAGER)[-1]
    assert "is with HR for approval" in told["text"] and existing.public_id not in str(told)
    request = requests_in(slack)[-1]
    assert f"already has an open plan, *{existing.public_id}*" in str(request["blocks"])
    assert existing.public_id not in json_dump_all(dm_messages(slack, MANAGER))

    # HR cannot send it on while the other plan is open, and is told why.
    refused = review(driver, HR, request, "approve")
    assert existing.public_id in str(refused["errors"])
    assert the_plan(session_factory).review == Review.PENDING
    assert [e.kind for e in history(session_factory, draft)] == ["submitted"]


def json_dump_all(messages: list[dict[str, Any]]) -> str:
    import json

    return json.dumps(messages)


def test_without_an_hr_channel_each_hr_person_is_asked_and_every_copy_is_updated(
    clock: time_machine.Coordinates,
    settings: Settings,
    driver: SlackDriver,
    slack: FakeSlack,
    session_factory: sessionmaker[Session],
) -> None:
    object.__setattr__(settings, "hr_channel_id", None)
    assert submit_draft(driver) == {}
    copies = {hr: requests_in(slack, slack.dm_channel(hr)) for hr in (HR, HR2)}
    assert all(len(found) == 1 for found in copies.values()), copies
    assert slack.messages(HR_CHANNEL) == []
    # The Home tab of HR lists the draft with its Review button.
    driver.event({"type": "app_home_opened", "user": HR, "channel": "D0HOME", "tab": "home"})
    home = str(slack.home_view(HR))
    assert "Waiting for HR approval" in home and Action.REVIEW_DRAFT in home
    request = copies[HR2][0]
    before = len(slack.calls_to("views.open"))
    driver.press(HR2, request, Action.REVIEW_DRAFT)
    view = opened_view(slack, before)
    assert view is not None
    assert response_json(driver.submit(HR2, view, decision_values("approve"))) == {}
    for hr in (HR, HR2):
        [decided] = requests_in(slack, slack.dm_channel(hr))
        assert f"Approved by <@{HR2}>" in str(decided["blocks"])
        assert button(decided, Action.REVIEW_DRAFT) is None
    assert len(dm_messages(slack, EMPLOYEE)) == 1


def test_a_draft_nobody_in_hr_could_be_sent_says_so(
    clock: time_machine.Coordinates,
    settings: Settings,
    driver: SlackDriver,
    slack: FakeSlack,
    session_factory: sessionmaker[Session],
) -> None:
    object.__setattr__(settings, "hr_channel_id", None)
    object.__setattr__(settings, "hr_user_ids", frozenset({MANAGER}))
    assert submit_draft(driver) == {}
    told = dm_messages(slack, MANAGER)[-1]["text"]
    assert "nobody else with HR rights" in told and "/pip list drafts" in told
    assert the_plan(session_factory).status == PlanStatus.DRAFT
