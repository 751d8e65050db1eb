"""The employee's voice to HR: the Ask HR form, HR's notices and the form that shows the text."""

from __future__ import annotations

from typing import Any

from models import Plan
from views.common import actions, button, context, plain, section
from views.ids import Action, Block, Callback
from views.inputs import modal, text_input
from views.plan_messages import help_line, long_sections
from views.prose import Mrkdwn, mention, say

SURFACE = "views/voice"
VOICE_TITLES = {"responded": "The employee's response", "hr_review_requested": "Request to HR"}


def ask_hr_modal(plan: Plan, hr_contact: str) -> dict[str, Any]:
    """The employee's short form: what they want HR to look at."""
    blocks = [
        context(say(SURFACE, "ask_intro", plan_id=plan.public_id, contact=hr_contact)),
        text_input(
            Block.ASK_HR_TEXT,
            Action.ASK_HR_TEXT,
            say(SURFACE, "ask_label"),
            multiline=True,
            placeholder=say(SURFACE, "ask_placeholder"),
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
            context(
                say(
                    SURFACE,
                    "voice_head",
                    plan_id=plan.public_id,
                    employee=mention(plan.employee_id),
                    manager=mention(plan.manager_id),
                )
            ),
            *long_sections("", text)[:90],
        ],
    }


def asked_text(plan: Plan, hr_contact: str) -> str:
    """The employee's receipt for asking HR to review."""
    return say(SURFACE, "asked", plan_id=plan.public_id, help=Mrkdwn(help_line(hr_contact)))


def employee_section(text: str) -> dict[str, Any]:
    """One section for a short message to the employee."""
    return section(text)
