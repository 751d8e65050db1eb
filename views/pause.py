"""The pause form (`/pip pause`) and what `/pip resume` answers."""

from __future__ import annotations

from datetime import date
from typing import Any

from models import Plan, PlanPause
from services.audit import SYSTEM
from services.pauses import PauseRequest
from views import state
from views.common import context, plain
from views.ids import Action, Block, Callback
from views.plan_messages import fmt_date
from views.prose import mention, say

TELL = "tell"
SURFACE = "views/pause"


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
                say(
                    SURFACE,
                    "intro",
                    plan_id=plan.public_id,
                    employee=mention(plan.employee_id),
                    end=fmt_date(plan.end_date),
                )
            ),
            {
                "type": "input",
                "block_id": Block.REASON,
                "label": plain("Reason"),
                "hint": plain(say(SURFACE, "reason_hint")),
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
                "hint": plain(say(SURFACE, "resume_hint")),
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
                            "text": plain(say(SURFACE, "tell_label")),
                            "description": plain(say(SURFACE, "tell_description")),
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
    resumed_by = pause.resumed_by if pause.resumed_by not in (None, SYSTEM) else None
    return say(
        SURFACE,
        "pause_line",
        paused_on=fmt_date(pause.paused_on),
        by=mention(pause.paused_by),
        resume_on=fmt_date(pause.resume_on) if pause.resume_on else None,
        resumed_on=fmt_date(pause.resumed_on) if pause.resumed_on else None,
        resumed_by=mention(resumed_by) if resumed_by else None,
        days=pause.business_days,
        end_before=fmt_date(pause.end_before) if pause.end_before else None,
        end_after=fmt_date(pause.end_after) if pause.end_after else None,
        reason=pause.reason if with_reason else None,
    )


def resumed_answer(plan: Plan, pause: PlanPause, next_checkin: date | None) -> str:
    """What `/pip resume` answers once the plan runs again."""
    moved = pause.end_after is not None and pause.end_before is not None
    return say(
        SURFACE,
        "resumed",
        plan_id=plan.public_id,
        employee=mention(plan.employee_id),
        days=pause.business_days if moved else 0,
        end_before=fmt_date(pause.end_before) if pause.end_before else None,
        end_after=fmt_date(pause.end_after if moved and pause.end_after else plan.end_date),
        next_checkin=fmt_date(next_checkin) if next_checkin else None,
    )
