"""The pause form (`/pip pause`) and what `/pip resume` answers."""

from __future__ import annotations

from datetime import date
from typing import Any

from models import Plan, PlanPause
from services.audit import SYSTEM
from services.pauses import PauseRequest
from views import state
from views.common import context
from views.ids import Action, Block, Callback
from views.inputs import checkboxes_input, date_input, modal, option, text_input
from views.plan_messages import fmt_date
from views.prose import mention, say

TELL = "tell"
SURFACE = "views/pause"


def pause_modal(plan: Plan) -> dict[str, Any]:
    """A reason (required), an optional resume date, and whether the employee hears why."""
    blocks = [
        context(
            say(
                SURFACE,
                "intro",
                plan_id=plan.public_id,
                employee=mention(plan.employee_id),
                end=fmt_date(plan.end_date),
            )
        ),
        text_input(
            Block.REASON,
            Action.REASON,
            "Reason",
            multiline=True,
            hint=say(SURFACE, "reason_hint"),
        ),
        date_input(
            Block.RESUME_ON,
            Action.RESUME_ON,
            "Resume on",
            optional=True,
            hint=say(SURFACE, "resume_hint"),
        ),
        checkboxes_input(
            Block.TELL_EMPLOYEE,
            Action.TELL_EMPLOYEE,
            "The employee's message",
            [option(say(SURFACE, "tell_label"), TELL, say(SURFACE, "tell_description"))],
            optional=True,
        ),
    ]
    return modal(Callback.PAUSE, "Pause plan", "Pause", blocks, plan.public_id)


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
