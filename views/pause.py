"""The pause form (`/pip pause`) and what `/pip resume` answers."""

from __future__ import annotations

from datetime import date
from typing import Any

from models import Plan, PlanPause
from services.audit import SYSTEM
from services.pauses import PauseRequest
from views import state
from views.common import context, escape, plain
from views.ids import Action, Block, Callback
from views.plan_messages import fmt_date

TELL = "tell"


def pause_modal(plan: Plan) -> dict[str, Any]:
    """A reason (required), an optional resume date, and whether the employee hears why."""
    return {
        "type": "modal",
        "callback_id": Callback.PAUSE,
        "private_metadata": plan.public_id,
        "title": plain("Pause plan", 24),
        "submit": plain("Pause", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            context(
                f"While plan *{plan.public_id}* with <@{plan.employee_id}> is paused, no "
                "check-ins, reminders or missed notices go out. When it restarts, its end "
                f"date (now {fmt_date(plan.end_date)}) moves later by the business days it "
                "was paused. The employee is told it is on hold, and HR is told."
            ),
            {
                "type": "input",
                "block_id": Block.REASON,
                "label": plain("Reason"),
                "hint": plain("For example sick leave, parental leave or an HR investigation."),
                "element": {
                    "type": "plain_text_input",
                    "action_id": Action.REASON,
                    "multiline": True,
                    "max_length": 3000,
                },
            },
            {
                "type": "input",
                "block_id": Block.RESUME_ON,
                "optional": True,
                "label": plain("Resume on"),
                "hint": plain("The plan restarts by itself that day. Leave empty if unknown."),
                "element": {"type": "datepicker", "action_id": Action.RESUME_ON},
            },
            {
                "type": "input",
                "block_id": Block.TELL_EMPLOYEE,
                "optional": True,
                "label": plain("The employee's message"),
                "element": {
                    "type": "checkboxes",
                    "action_id": Action.TELL_EMPLOYEE,
                    "options": [
                        {
                            "text": plain("Tell the employee the reason"),
                            "description": plain(
                                "Otherwise they only hear that the plan is on hold."
                            ),
                            "value": TELL,
                        }
                    ],
                },
            },
        ],
    }


def read_pause(view: dict[str, Any]) -> PauseRequest:
    """The pause form's reason, resume date and choice about telling the employee."""
    ticked = state.value(view, Block.TELL_EMPLOYEE, Action.TELL_EMPLOYEE).get("selected_options")
    return PauseRequest(
        reason=state.text(view, Block.REASON, Action.REASON),
        resume_on=state.picked_date(view, Block.RESUME_ON, Action.RESUME_ON),
        tell_employee=any(o.get("value") == TELL for o in ticked or []),
    )


def pause_text(pause: PlanPause, *, with_reason: bool) -> str:
    """One pause for `/pip show`: when, by whom, why (when the reader may see it), the move."""
    head = f"*Paused {fmt_date(pause.paused_on)}* by <@{pause.paused_by}>"
    if pause.resumed_on is None:
        head += f", until {fmt_date(pause.resume_on)}" if pause.resume_on else ", still paused"
    else:
        who = (
            "on its resume date"
            if pause.resumed_by in (None, SYSTEM)
            else f"by <@{pause.resumed_by}>"
        )
        head += f"; resumed {fmt_date(pause.resumed_on)} {who}"
        if pause.end_before and pause.end_after:
            head += (
                f" ({pause.business_days} business days; end date moved from "
                f"{fmt_date(pause.end_before)} to {fmt_date(pause.end_after)})"
            )
    if with_reason:
        head += f"\nReason: {escape(pause.reason)}"
    return head


def resumed_answer(plan: Plan, pause: PlanPause, next_checkin: date | None) -> str:
    """What `/pip resume` answers once the plan runs again."""
    moved = (
        f"It was paused for {pause.business_days} business days, so it now ends "
        f"{fmt_date(pause.end_after)} instead of {fmt_date(pause.end_before)}."
        if pause.end_after and pause.end_before and pause.end_after != pause.end_before
        else f"It still ends {fmt_date(plan.end_date)}."
    )
    after = f" The next check-in is {fmt_date(next_checkin)}." if next_checkin else ""
    return (
        f"Plan *{plan.public_id}* is running again. {moved}{after} "
        f"<@{plan.employee_id}> and HR are told."
    )
