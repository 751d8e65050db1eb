"""Messages about a plan: the employee's copy, confirmations and notices."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models import Plan, utcnow
from services.calendar import business_days_after
from services.plans import is_acknowledged
from services.schedule import NOT_ACKNOWLEDGED_BUSINESS_DAYS
from services.status_text import fmt_date as fmt_date  # views and scheduler import it here
from views.common import (
    SECTION_TEXT_MAX,
    actions,
    button,
    context,
    divider,
    escape,
    header,
    section,
)
from views.ids import Action, Block, Callback
from views.inputs import modal, text_input
from views.plan_form import CADENCES, WEEKDAYS
from views.prose import Mrkdwn, mention, render, say

MESSAGE_MAX_BLOCKS = 50


SURFACE = "views/plan_messages"


def discreet_text(sender_id: str | None = None) -> str:
    """The notification text of a DM to an employee: who it is from, never what it is about
    (phones show it on the lock screen)."""
    return say(SURFACE, "discreet", sender=mention(sender_id) if sender_id else None)


def help_line(hr_contact: str) -> str:
    """Who the employee can turn to (HR_CONTACT), as a sentence of mrkdwn."""
    return say(SURFACE, "help", contact=hr_contact)


def fmt_when(instant: datetime) -> Mrkdwn:
    """An instant that Slack shows in each reader's own time zone (UTC as the fallback)."""
    fallback = f"{instant:%-d %b %Y at %H:%M} UTC"
    epoch = int(instant.timestamp())
    return Mrkdwn(f"<!date^{epoch}^{{date_short_pretty}} at {{time}}|{fallback}>")


def split_sections(mrkdwn: str) -> list[dict[str, Any]]:
    """Mrkdwn as one or more sections of at most 3000 characters, split at line ends."""
    limit = SECTION_TEXT_MAX - 100
    chunks: list[str] = []
    current = ""
    for line in mrkdwn.splitlines():
        while len(line) > limit:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:limit])
            line = line[limit:]
        if len(current) + len(line) + 1 > limit:
            chunks.append(current)
            current = ""
        current += line + "\n"
    chunks.append(current)
    return [section(chunk.rstrip()) for chunk in chunks if chunk.strip()]


def long_sections(title: str, text: str) -> list[dict[str, Any]]:
    """A titled user text, escaped, as sections: nothing is cut, however long."""
    head = f"*{title}*\n" if title else ""
    return split_sections(head + escape(text))


def schedule_line(plan: Plan) -> str:
    """`Every week on Wednesdays, 4 Jan 2027 to 5 Mar 2027`."""
    return say(
        SURFACE,
        "schedule",
        cadence=CADENCES[plan.cadence],
        weekday=WEEKDAYS[plan.checkin_weekday],
        start=fmt_date(plan.start_date),
        end=fmt_date(plan.end_date),
    )


def plan_body(plan: Plan) -> list[dict[str, Any]]:
    """The whole plan, laid out to read: issues, standard, goals, steps, support, dates."""
    blocks: list[dict[str, Any]] = []
    blocks += long_sections("Issues", plan.issues)
    blocks += long_sections("Expected standard", plan.expectations)
    blocks.append(header("Goals"))
    for number, goal in enumerate(plan.goals, start=1):
        blocks.append(
            section(
                say(
                    SURFACE,
                    "goal",
                    number=number,
                    description=goal.description,
                    measure=goal.measure,
                    target=goal.target,
                    due=fmt_date(goal.due_date),
                )
            )
        )
    if plan.steps:
        steps = "\n".join(
            f"• {s.description}" + (f" (by {fmt_date(s.due_date)})" if s.due_date else "")
            for s in plan.steps
        )
        blocks += long_sections("Action steps", steps)
    if plan.support:
        blocks += long_sections("Support and resources", plan.support)
    blocks.append(section(f"*Dates and check-ins*\n{schedule_line(plan)}"))
    blocks += long_sections("If the standard is not met", plan.consequences)
    return blocks


def employee_plan_message(
    plan: Plan,
    *,
    round_: int = 1,
    changed: list[str] | None = None,
    reason: str = "",
    hr_contact: str = "",
) -> dict[str, Any]:
    """The employee's copy of the plan with Acknowledge and Respond buttons (text + blocks).

    Round 1 is the new plan; a later round is an amended copy that says what changed
    (`changed`, the parts by name) and why (`reason`).
    """
    amended = round_ > 1
    names = {
        "manager": mention(plan.manager_id),
        "plan_id": plan.public_id,
        "start": fmt_date(plan.start_date),
        "end": fmt_date(plan.end_date),
    }
    if amended:
        intro = render(
            "ack_request_amended", changed=", ".join(changed or []), reason=reason, **names
        )
    else:
        asked = plan.ack_requested_at or utcnow()  # set when stored; a plan in memory is new
        intro = render(
            "ack_request",
            ack_by=fmt_date(business_days_after(asked.date(), NOT_ACKNOWLEDGED_BUSINESS_DAYS)),
            schedule=f"{CADENCES[plan.cadence]} on {WEEKDAYS[plan.checkin_weekday]}s",
            **names,
        )
    blocks = [header(f"Performance improvement plan {plan.public_id}")]
    blocks += split_sections(intro + "\n\n" + help_line(hr_contact))
    blocks.append(divider())
    blocks += plan_body(plan)
    blocks.append(divider())
    blocks += acknowledgement_blocks(plan, round_)
    return {"text": discreet_text(plan.manager_id), "blocks": blocks[:MESSAGE_MAX_BLOCKS]}


def acknowledge_value(public_id: str, round_: int) -> str:
    """The Acknowledge button's value: the plan and the version (round) it acknowledges."""
    return f"{public_id}:{round_}"


def parse_acknowledge_value(value: str) -> tuple[str, int | None]:
    """The plan id and round from an Acknowledge button (older buttons carry no round)."""
    public_id, _, round_ = value.partition(":")
    return public_id, int(round_) if round_.isdigit() else None


def acknowledge_button(public_id: str, round_: int) -> dict[str, Any]:
    """The primary Acknowledge receipt button."""
    return button(
        Action.ACKNOWLEDGE,
        "Acknowledge receipt",
        acknowledge_value(public_id, round_),
        primary=True,
    )


def acknowledgement_blocks(plan: Plan, round_: int) -> list[dict[str, Any]]:
    """The closing blocks of the employee's copy: the buttons, or the acknowledgement."""
    respond = button(Action.RESPOND, "Respond", plan.public_id)
    ask_hr = button(Action.ASK_HR, "Ask HR to review", plan.public_id)
    acknowledged = is_acknowledged(plan)
    if acknowledged and plan.acknowledged_at is not None:
        return [
            context(render("acknowledged", when=fmt_when(plan.acknowledged_at))),
            actions(Block.PLAN_ACTIONS, respond, ask_hr),
        ]
    acknowledge = acknowledge_button(plan.public_id, round_)
    elements = [acknowledge, respond, ask_hr]
    return [actions(Block.PLAN_ACTIONS, *elements)]


def respond_modal(plan: Plan) -> dict[str, Any]:
    """The employee's written response to a plan, prefilled with what they wrote before."""
    blocks = [
        context(
            say(SURFACE, "respond_intro", plan_id=plan.public_id, manager=mention(plan.manager_id))
        ),
        text_input(
            Block.RESPONSE,
            Action.RESPONSE_TEXT,
            "Your response",
            plan.employee_response,
            multiline=True,
        ),
    ]
    return modal(Callback.RESPOND, "Respond to your plan", "Send response", blocks, plan.public_id)
