"""Filling in the plan form as a manager would, for handler and scheduler tests."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models import Plan
from services import plans
from services.access import Actor
from services.drafts import GoalDraft, PlanDraft
from services.schedule import Recipients
from services.users import Profile
from tests.constants import EMPLOYEE, MANAGER
from tests.fakeslack import FakeSlack
from tests.slackdriver import SlackDriver, response_json
from views.ids import Action, Block, goal_block
from views.plan_form import form_slots

GOAL_TEXTS = [(f"Goal text {i}", f"Measure text {i}", f"Target text {i}") for i in range(1, 11)]


def open_form(driver: SlackDriver, text: str = "new", user: str = MANAGER) -> dict[str, Any]:
    """Type `/pip <text>` and return the modal the fake Slack now shows."""
    driver.command(user, text)
    opened = [c for c in driver.slack.calls_to("views.open") if c.response.get("ok")]
    assert opened, driver.slack.calls_to("views.open")
    return opened[-1].response["view"]


def _text(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value or None}


def _date(day: date | None) -> dict[str, Any]:
    return {"type": "datepicker", "selected_date": day.isoformat() if day else None}


def _select(value: str | None) -> dict[str, Any]:
    option = {"text": {"type": "plain_text", "text": value}, "value": value} if value else None
    return {"type": "static_select", "selected_option": option}


def form_values(
    view: dict[str, Any],
    *,
    start: date,
    employee: str | None = EMPLOYEE,
    issues: str = "2 Nov: missed the release review. 9 Nov: late on the incident report.",
    expectations: str = "Reviews on time; incident reports within 24 hours.",
    consequences: str = "Further action up to and including dismissal.",
    support: str = "Weekly pairing with a senior engineer.",
    steps: str = "Shadow the on-call lead by 2027-01-20\nRead the incident handbook",
    cadence: str | None = "weekly",
    weekday: str | None = "2",
    length: str | None = "60",
    end: date | None = None,
    goals: list[dict[str, Any]] | None = None,
    delivery: str | None = None,
) -> dict[str, dict[str, Any]]:
    """`state.values` for the form in `view`, valid unless a keyword says otherwise."""
    slots, _ = form_slots(view)
    if goals is None:
        goals = [
            {
                "description": GOAL_TEXTS[i][0],
                "measure": GOAL_TEXTS[i][1],
                "target": GOAL_TEXTS[i][2],
                "due": start + timedelta(days=30 + i),
            }
            for i in range(len(slots))
        ]
    values: dict[str, dict[str, Any]] = {
        Block.EMPLOYEE: {Action.EMPLOYEE: {"type": "users_select", "selected_user": employee}},
        Block.ISSUES: {Action.ISSUES: _text(issues)},
        Block.EXPECTATIONS: {Action.EXPECTATIONS: _text(expectations)},
        Block.STEPS: {Action.STEPS: _text(steps)},
        Block.SUPPORT: {Action.SUPPORT: _text(support)},
        Block.CADENCE: {Action.CADENCE: _select(cadence)},
        Block.WEEKDAY: {Action.WEEKDAY: _select(weekday)},
        Block.START_DATE: {Action.START_DATE: _date(start)},
        Block.LENGTH: {Action.LENGTH: _select(length)},
        Block.END_DATE: {Action.END_DATE: _date(end)},
        Block.CONSEQUENCES: {Action.CONSEQUENCES: _text(consequences)},
    }
    if delivery is not None:
        option = {"text": {"type": "plain_text", "text": delivery}, "value": delivery}
        values[Block.DELIVERY] = {
            Action.DELIVERY: {"type": "radio_buttons", "selected_option": option}
        }
    for slot, goal in zip(slots, goals, strict=False):
        values[goal_block(Block.GOAL_DESCRIPTION, slot)] = {
            Action.GOAL_DESCRIPTION: _text(goal.get("description", ""))
        }
        values[goal_block(Block.GOAL_MEASURE, slot)] = {
            Action.GOAL_MEASURE: _text(goal.get("measure", ""))
        }
        values[goal_block(Block.GOAL_TARGET, slot)] = {
            Action.GOAL_TARGET: _text(goal.get("target", ""))
        }
        values[goal_block(Block.GOAL_DUE, slot)] = {Action.GOAL_DUE: _date(goal.get("due"))}
    return values


def open_plan(
    driver: SlackDriver, sessions: sessionmaker[Session], start: date, **form: Any
) -> Plan:
    """Open a plan through the form and return it as stored."""
    view = open_form(driver)
    reply = driver.submit(MANAGER, view, form_values(view, start=start, **form))
    assert response_json(reply) == {}, response_json(reply)
    with sessions() as db:
        plan = db.scalars(select(Plan).order_by(Plan.id.desc())).first()
        assert plan is not None
        plan.goals, plan.steps  # noqa: B018 - load them before the session closes
        return plan


def open_through_services(
    db: Session, manager: str, employee: str, *, now: datetime, hr_channel: str | None = None
) -> Plan:
    """Open a weekly plan (Wednesdays, 60 days from `now`'s date, one goal) through the
    services alone, no Slack; the caller commits."""
    today = now.date()
    draft = PlanDraft(
        employee_id=employee,
        issues="i",
        expectations="e",
        goals=[GoalDraft("d", "m", "t", today + timedelta(days=20))],
        weekday=2,
        start_date=today,
        length_days=60,
        consequences="c",
    )
    plan = plans.open_plan(
        db,
        Actor(manager),
        team_id="T",
        draft=draft,
        employee=Profile(employee, name=employee.lower()),
        recipients=Recipients("UTC", "UTC", hr_channel, time(10)),
        today=today,
        now=now,
    )
    assert plan is not None
    return plan


def dm_messages(slack: FakeSlack, user_id: str) -> list[dict[str, Any]]:
    """Every message the bot posted in its DM with `user_id`, oldest first."""
    return slack.messages(slack.dm_channel(user_id))


def body(message: dict[str, Any]) -> str:
    """What a person reads of a message: its blocks' text, and its notification text.

    A DM to an employee has neutral notification text ("You have a new message…"), so what
    it says is in the blocks.
    """
    parts = [str(message.get("text") or "")]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                parts.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message.get("blocks") or [])
    return "\n".join(parts)
