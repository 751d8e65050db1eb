"""The extension form (`/pip extend`)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from models import Plan
from views import state
from views.common import context, plain
from views.ids import Action, Block, Callback
from views.plan_messages import fmt_date
from views.prose import mention, say


def extend_modal(plan: Plan) -> dict[str, Any]:
    """A new end date and a reason; the current end date is shown and 30 days later offered."""
    return {
        "type": "modal",
        "callback_id": Callback.EXTEND,
        "private_metadata": plan.public_id,
        "title": plain("Extend plan", 24),
        "submit": plain("Extend", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            context(
                say(
                    "views/amend",
                    "extend_intro",
                    plan_id=plan.public_id,
                    employee=mention(plan.employee_id),
                    end=fmt_date(plan.end_date),
                )
            ),
            {
                "type": "input",
                "block_id": Block.END_DATE,
                "label": plain("New end date"),
                "element": {
                    "type": "datepicker",
                    "action_id": Action.END_DATE,
                    "initial_date": (plan.end_date + timedelta(days=30)).isoformat(),
                },
            },
            {
                "type": "input",
                "block_id": Block.REASON,
                "label": plain("Reason for the extension"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": Action.REASON,
                    "multiline": True,
                    "max_length": 3000,
                },
            },
        ],
    }


def read_extension(view: dict[str, Any]) -> tuple[date | None, str]:
    """The new end date and the reason typed into the extension form."""
    return (
        state.picked_date(view, Block.END_DATE, Action.END_DATE),
        state.text(view, Block.REASON, Action.REASON),
    )
