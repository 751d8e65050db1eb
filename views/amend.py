"""The extension form (`/pip extend`)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from models import Plan
from views import state
from views.common import context
from views.ids import Action, Block, Callback
from views.inputs import date_input, modal, text_input
from views.plan_messages import fmt_date
from views.prose import mention, say


def extend_modal(plan: Plan) -> dict[str, Any]:
    """A new end date and a reason; the current end date is shown and 30 days later offered."""
    blocks = [
        context(
            say(
                "views/amend",
                "extend_intro",
                plan_id=plan.public_id,
                employee=mention(plan.employee_id),
                end=fmt_date(plan.end_date),
            )
        ),
        date_input(
            Block.END_DATE, Action.END_DATE, "New end date", plan.end_date + timedelta(days=30)
        ),
        text_input(Block.REASON, Action.REASON, "Reason for the extension", multiline=True),
    ]
    return modal(Callback.EXTEND, "Extend plan", "Extend", blocks, plan.public_id)


def read_extension(view: dict[str, Any]) -> tuple[date | None, str]:
    """The new end date and the reason typed into the extension form."""
    return (
        state.picked_date(view, Block.END_DATE, Action.END_DATE),
        state.text(view, Block.REASON, Action.REASON),
    )
