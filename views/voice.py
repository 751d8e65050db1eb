"""The employee's voice to HR: the Ask HR form, HR's notices and the form that shows the text."""

from __future__ import annotations

from typing import Any

from models import Plan
from views.common import actions, button, context, plain, section
from views.ids import Action, Block, Callback
from views.inputs import modal, text_input
from views.plan_messages import help_line, long_sections

VOICE_TITLES = {"responded": "The employee's response", "hr_review_requested": "Request to HR"}


def ask_hr_modal(plan: Plan, hr_contact: str) -> dict[str, Any]:
    """The employee's short form: what they want HR to look at."""
    who = hr_contact or "your HR team"
    blocks = [
        context(
            f"HR gets what you write here with plan *{plan.public_id}*, and it is kept with "
            "the plan. Your manager sees that you asked HR to review, not what you wrote. "
            f"Your HR contact is {who}."
        ),
        text_input(
            Block.ASK_HR_TEXT,
            Action.ASK_HR_TEXT,
            "What would you like HR to look at?",
            multiline=True,
            placeholder="e.g. A goal I think can't be measured as written.",
        ),
    ]
    return modal(Callback.ASK_HR, "Ask HR to review", "Send to HR", blocks, plan.public_id)


def read_button(plan: Plan, sequence: int, label: str) -> dict[str, Any]:
    """HR's button that opens what the employee wrote."""
    return actions(
        Block.DRAFT_ACTIONS, button(Action.READ_VOICE, label, f"{plan.public_id}:{sequence}")
    )


def parse_read_value(value: str) -> tuple[str, int]:
    """The plan id and history sequence from a Read button."""
    public_id, _, sequence = value.partition(":")
    return public_id, int(sequence) if sequence.isdigit() else 0


def voice_modal(plan: Plan, kind: str, text: str) -> dict[str, Any]:
    """What the employee wrote, for HR."""
    title = VOICE_TITLES.get(kind, "From the employee")
    return {
        "type": "modal",
        "callback_id": Callback.READ_VOICE,
        "title": plain(title, 24),
        "close": plain("Close", 24),
        "blocks": [
            context(f"Plan *{plan.public_id}* · <@{plan.employee_id}> with <@{plan.manager_id}>"),
            *long_sections("", text)[:90],
        ],
    }


def asked_text(plan: Plan, hr_contact: str) -> str:
    """The employee's receipt for asking HR to review."""
    return (
        f"HR has your request to review plan *{plan.public_id}*, and it is kept with the plan. "
        f"Someone from HR will get back to you. {help_line(hr_contact)}"
    )


def employee_section(text: str) -> dict[str, Any]:
    """One section for a short message to the employee."""
    return section(text)
