"""Closing plans: the end-of-plan prompts, every outcome, export and report through Slack."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models import Delivery, Plan, PlanEvent, PlanStatus
from tests.constants import EMPLOYEE, HR, HR_CHANNEL, MANAGER, OTHER_MANAGER, OUTSIDER
from tests.fakeslack import FakeSlack
from tests.plan_helpers import body, dm_messages
from tests.services.test_export import (
    AMEND_REASON,
    CHECKIN_DATES,
    GOALS,
    OUTCOME_SUMMARY,
    RESPONSE,
    build_plan,
    private_note,
)
from tests.slackdriver import SlackDriver, response_json
from views.ids import Action, Block, goal_field

OPENED = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)  # Monday; the plan ends Fri 5 Mar 2027
END_PROMPT = datetime(2027, 3, 5, 9, 0, tzinfo=UTC)  # 10:00 in Berlin, the manager's zone


def _end_prompts(slack: FakeSlack) -> list[dict[str, Any]]:
    return [m for m in dm_messages(slack, MANAGER) if "reaches its end date" in m["text"]]


def _outcome_reminders(slack: FakeSlack) -> list[dict[str, Any]]:
    return [m for m in dm_messages(slack, MANAGER) if "outcome is not recorded yet" in m["text"]]


def _hr_overdue(slack: FakeSlack) -> list[dict[str, Any]]:
    return [m for m in slack.messages(HR_CHANNEL) if "no outcome has been recorded" in m["text"]]


def test_end_prompt_reminder_and_hr_notice_come_once_on_the_right_days(
    plan: Plan, clock: time_machine.Coordinates, driver: SlackDriver, slack: FakeSlack
) -> None:
    # End Fri 5 Mar; + 2 business days = Tue 9 Mar; + 5 = Fri 12 Mar; 10:00 CET = 09:00 UTC.
    for moment, prompts, reminders, overdue in [
        (datetime(2027, 3, 5, 8, 59, tzinfo=UTC), 0, 0, 0),
        (END_PROMPT, 1, 0, 0),
        (datetime(2027, 3, 8, 9, 0, tzinfo=UTC), 1, 0, 0),
        (datetime(2027, 3, 9, 8, 59, tzinfo=UTC), 1, 0, 0),
        (datetime(2027, 3, 9, 9, 0, tzinfo=UTC), 1, 1, 0),
        (datetime(2027, 3, 12, 8, 59, tzinfo=UTC), 1, 1, 0),
        (datetime(2027, 3, 12, 9, 0, tzinfo=UTC), 1, 1, 1),
        (datetime(2027, 3, 20, 9, 0, tzinfo=UTC), 1, 1, 1),
    ]:
        clock.move_to(moment)
        for _ in range(12):  # weeks of check-in messages come due with the first jump
            driver.dispatcher.tick()
        assert len(_end_prompts(slack)) == prompts, moment
        assert len(_outcome_reminders(slack)) == reminders, moment
        assert len(_hr_overdue(slack)) == overdue, moment
    assert Action.RECORD_OUTCOME in str(_end_prompts(slack)[0]["blocks"])


def _close_form(driver: SlackDriver, user: str, plan: Plan) -> dict[str, Any]:
    driver.command(user, f"close {plan.public_id}")
    return driver.slack.calls_to("views.open")[-1].response["view"]


def _close_values(plan: Plan, outcome: str, summary: str = "Met every goal.") -> dict:
    values: dict[str, Any] = {
        Block.OUTCOME: {
            Action.OUTCOME: {
                "type": "static_select",
                "selected_option": {
                    "text": {"type": "plain_text", "text": outcome},
                    "value": outcome,
                },
            }
        },
        Block.SUMMARY: {Action.SUMMARY: {"type": "plain_text_input", "value": summary}},
        Block.EFFECTIVE_DATE: {
            Action.EFFECTIVE_DATE: {"type": "datepicker", "selected_date": "2027-03-05"}
        },
    }
    for goal in plan.goals:
        values[goal_field(Action.GOAL_STATUS, goal.id)] = {
            Action.GOAL_STATUS: {
                "type": "static_select",
                "selected_option": {
                    "text": {"type": "plain_text", "text": "x"},
                    "value": "met",
                },
            }
        }
    return values


# How each outcome is said to the employee, the manager and HR.
OUTCOME_WORDS = {
    "successful": "met the expected standard",
    "unsuccessful": "expected standard was not met",
    "cancelled": "withdrawn",
}


@pytest.mark.parametrize("outcome", ["successful", "unsuccessful", "cancelled"])
@pytest.mark.parametrize("closer", [MANAGER, HR])
def test_each_outcome_is_recorded_and_told(
    plan: Plan,
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
    outcome: str,
    closer: str,
) -> None:
    clock.move_to(END_PROMPT)
    driver.dispatcher.tick()
    view = _close_form(driver, closer, plan)
    reply = driver.submit(closer, view, _close_values(plan, outcome, "Summary for the record."))
    assert response_json(reply) == {}
    with session_factory() as db:
        fresh = db.get(Plan, plan.id)
        assert fresh is not None and fresh.status == PlanStatus.CLOSED
        assert fresh.outcome is not None and fresh.outcome.value == outcome
        [event] = db.scalars(select(PlanEvent).where(PlanEvent.kind == "closed")).all()
        assert event.data["outcome"] == outcome
        pending = db.scalars(
            select(Delivery).where(Delivery.plan_id == plan.id, Delivery.status == "pending")
        ).all()
    assert pending == []
    ended = "has ended" if outcome != "cancelled" else "has been withdrawn"
    employee = [m for m in dm_messages(slack, EMPLOYEE) if "Your plan" in body(m)]
    employee = [m for m in employee if ended in body(m)]
    manager = [m for m in dm_messages(slack, MANAGER) if ended in m["text"]]
    hr = [m for m in slack.messages(HR_CHANNEL) if "has ended" in m["text"]]
    for messages in (employee, manager, hr):
        assert len(messages) == 1
        assert OUTCOME_WORDS[outcome] in body(messages[0])
    assert "Summary for the record." in json.dumps(employee[0]["blocks"])
    assert "Summary for the record." not in json.dumps(hr[0])  # summary only when configured
    # The record is attached for HR.
    names = sorted(u["filename"] for u in slack.uploads if u["channel_id"] == HR_CHANNEL)
    assert names == [
        f"{plan.public_id}-record.html",
        f"{plan.public_id}-record.md",
        f"{plan.public_id}-record.pdf",
    ]
    # After closing, nothing more of this plan is ever sent.
    sent = len(slack.calls_to("chat.postMessage"))
    for days in (1, 7, 30, 90):
        clock.move_to(END_PROMPT + timedelta(days=days))
        driver.dispatcher.tick()
    assert len(slack.calls_to("chat.postMessage")) == sent


def test_extend_instead_leads_into_the_extension(
    plan: Plan, driver: SlackDriver, session_factory: sessionmaker[Session], slack: FakeSlack
) -> None:
    view = _close_form(driver, MANAGER, plan)
    driver.click(
        MANAGER,
        Action.EXTEND_INSTEAD,
        value=plan.public_id,
        block_id=Block.CLOSE_EXTEND,
        view=view,
    )
    update = slack.calls_to("views.update")[-1]
    assert update.response["ok"] and update.args["view_id"] == view["id"]
    extension = update.args["view"]
    extension = json.loads(extension) if isinstance(extension, str) else extension
    assert extension["callback_id"] == "pip_extend"
    new_end = (plan.end_date + timedelta(days=30)).isoformat()
    values = {
        Block.END_DATE: {Action.END_DATE: {"type": "datepicker", "selected_date": new_end}},
        Block.REASON: {Action.REASON: {"type": "plain_text_input", "value": "Nearly there"}},
    }
    assert response_json(driver.submit(MANAGER, {**extension, "id": "V1"}, values)) == {}
    with session_factory() as db:
        fresh = db.get(Plan, plan.id)
        assert fresh is not None and fresh.status == PlanStatus.EXTENDED and fresh.outcome is None


def test_close_needs_a_summary_and_an_outcome(
    plan: Plan, driver: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    view = _close_form(driver, MANAGER, plan)
    reply = response_json(driver.submit(MANAGER, view, _close_values(plan, "successful", " ")))
    assert Block.SUMMARY in reply["errors"]
    values = _close_values(plan, "successful")
    values[Block.OUTCOME][Action.OUTCOME]["selected_option"] = None
    reply = response_json(driver.submit(MANAGER, view, values))
    assert Block.OUTCOME in reply["errors"]
    with session_factory() as db:
        assert db.get(Plan, plan.id).status != PlanStatus.CLOSED  # type: ignore[union-attr]


@pytest.mark.parametrize("user", [EMPLOYEE, OTHER_MANAGER, OUTSIDER])
def test_only_the_manager_and_hr_may_close(plan: Plan, driver: SlackDriver, user: str) -> None:
    reply = response_json(driver.command(user, f"close {plan.public_id}"))
    assert reply["text"] == f"No plan {plan.public_id} was found."


def test_the_record_outcome_button_opens_the_form(
    plan: Plan, clock: time_machine.Coordinates, driver: SlackDriver, slack: FakeSlack
) -> None:
    clock.move_to(END_PROMPT)
    for _ in range(10):  # two months of owed messages, in batches
        driver.dispatcher.tick()
    [prompt] = _end_prompts(slack)
    driver.press(MANAGER, prompt, Action.RECORD_OUTCOME)
    assert slack.calls_to("views.open")[-1].response["view"]["callback_id"] == "pip_close"


@pytest.mark.parametrize(("user", "private"), [(MANAGER, True), (HR, True), (EMPLOYEE, False)])
def test_export_uploads_the_whole_record_into_the_dm(
    driver: SlackDriver, db: Session, slack: FakeSlack, user: str, private: bool
) -> None:
    plan = build_plan(db)
    db.commit()
    reply = response_json(driver.command(user, f"export {plan.public_id}"))
    assert reply["response_type"] == "ephemeral"
    uploads = {u["filename"]: u for u in slack.uploads}
    html = uploads[f"{plan.public_id}-record.html"]["content"].decode()
    markdown = uploads[f"{plan.public_id}-record.md"]["content"].decode()
    assert {u["channel_id"] for u in slack.uploads} == {slack.dm_channel(user)}
    for document in (html, markdown):
        for goal in GOALS:
            assert goal in document
        for day in CHECKIN_DATES:
            assert f"{day:%a %-d %b %Y}" in document
        assert AMEND_REASON in document and RESPONSE in document
        assert OUTCOME_SUMMARY in document
        assert (private_note(1) in document) == private


def test_export_of_someone_elses_plan_is_not_found(
    driver: SlackDriver, db: Session, slack: FakeSlack
) -> None:
    plan = build_plan(db)
    db.commit()
    reply = response_json(driver.command(OUTSIDER, f"export {plan.public_id}"))
    assert reply["text"] == f"No plan {plan.public_id} was found."
    assert slack.uploads == []


def test_report_is_for_hr_with_a_csv(plan: Plan, driver: SlackDriver, slack: FakeSlack) -> None:
    reply = response_json(driver.command(HR, "report"))
    # Acknowledged at once; the figures follow in the same place (response_url).
    assert reply["response_type"] == "ephemeral" and "Preparing the report" in reply["text"]
    [figures] = slack.calls_to("response_url")
    assert figures.args["response_type"] == "ephemeral"
    assert "Open plans:* 1" in json.dumps(figures.args["blocks"])
    [upload] = slack.uploads
    assert upload["channel_id"] == slack.dm_channel(HR)
    rows = list(csv.DictReader(io.StringIO(upload["content"].decode())))
    assert [r["plan_id"] for r in rows] == [plan.public_id]
    for user in (MANAGER, EMPLOYEE, OUTSIDER):
        refusal = response_json(driver.command(user, "report"))
        assert refusal["text"] == "Only HR can run the report."
    assert len(slack.uploads) == 1


def test_the_close_form_asks_met_partly_met_or_not_met_with_the_summary_required(
    plan: Plan, driver: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    view = _close_form(driver, MANAGER, plan)
    summary = next(b for b in view["blocks"] if b.get("block_id") == Block.SUMMARY)
    assert summary["optional"] is False  # marked required in the form itself
    for goal in plan.goals:
        block = next(
            b
            for b in view["blocks"]
            if b.get("block_id") == goal_field(Action.GOAL_STATUS, goal.id)
        )
        options = [(o["text"]["text"], o["value"]) for o in block["element"]["options"]]
        assert options == [("Met", "met"), ("Partly met", "partly_met"), ("Not met", "not_met")]
    values = _close_values(plan, "successful")
    first = plan.goals[0]
    values[goal_field(Action.GOAL_STATUS, first.id)][Action.GOAL_STATUS]["selected_option"][
        "value"
    ] = "partly_met"
    assert response_json(driver.submit(MANAGER, view, values)) == {}
    with session_factory() as db:
        [event] = db.scalars(select(PlanEvent).where(PlanEvent.kind == "closed")).all()
        results = {g["goal_id"]: g["status"] for g in event.data["goals"]}
        fresh = db.get_one(Plan, plan.id)
        stored = {g.id: g.final_result for g in fresh.goals}
    expected = {g.id: "met" for g in plan.goals} | {first.id: "partly_met"}
    assert results == expected and stored == expected
