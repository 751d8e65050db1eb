"""What pausing and resuming a plan says, and the resume date that restarts it."""

from __future__ import annotations

from datetime import date

from models import DeliveryKind, Plan, PlanPause
from scheduler.messages import (
    Outgoing,
    RenderContext,
    Skip,
    hr_notice,
    notice,
    plan_of,
    recipients_of,
    renders,
)
from services import audit
from services.pauses import next_checkin, resume_on_schedule
from views.common import section
from views.plan_messages import fmt_date
from views.prose import mention, render

NEUTRAL_TEXT = "A message from PIP Bot about your plan"


def _pause(ctx: RenderContext) -> PlanPause | None:
    return ctx.db.get(PlanPause, int(ctx.delivery.payload["pause_id"]))


def _next(ctx: RenderContext, plan: Plan, pause: PlanPause) -> str | None:
    start = pause.restart_on or date.min
    day = next_checkin(ctx.db, plan, recipients_of(ctx, plan), start)
    return fmt_date(day) if day else None


def _resumed_text(ctx: RenderContext, plan: Plan, pause: PlanPause, audience: str) -> str:
    if not (pause.resumed_on and pause.end_before and pause.end_after):
        raise LookupError(f"pause {pause.id} has not ended")  # the sender fails the delivery
    return render(
        "plan_resumed",
        audience=audience,
        plan_id=plan.public_id,
        employee=mention(plan.employee_id),
        manager=mention(plan.manager_id),
        by=None if pause.resumed_by in (None, audit.SYSTEM) else mention(pause.resumed_by),
        resumed_on=fmt_date(pause.resumed_on),
        days=pause.business_days or 0,
        end_before=fmt_date(pause.end_before),
        end_after=fmt_date(pause.end_after),
        next_checkin=_next(ctx, plan, pause),
    )


@renders(DeliveryKind.RESUME)
def _resume_on_date(ctx: RenderContext) -> Outgoing | Skip:
    """On the resume date: restart the plan, and this is the employee's message about it."""
    plan = plan_of(ctx)
    pause = _pause(ctx)
    if pause is None:
        return Skip("pause gone")
    to = recipients_of(ctx, plan)
    resumed = resume_on_schedule(ctx.db, plan, pause, recipients=to, now=ctx.now)
    if not resumed and pause.resumed_by != audit.SYSTEM:
        return Skip("resumed by hand before its date")
    text = _resumed_text(ctx, plan, pause, "employee")
    return Outgoing(text=NEUTRAL_TEXT, blocks=[section(text)])


def _paused_text(ctx: RenderContext, plan: Plan, pause: PlanPause, audience: str) -> str:
    return render(
        "plan_paused",
        audience=audience,
        plan_id=plan.public_id,
        employee=mention(plan.employee_id),
        manager=mention(plan.manager_id),
        by=mention(pause.paused_by),
        by_manager=pause.paused_by == plan.manager_id,
        paused_on=fmt_date(pause.paused_on),
        resume_on=fmt_date(pause.resume_on) if pause.resume_on else None,
        reason=pause.reason,
        show_reason=(
            pause.tell_employee
            if audience == "employee"
            else audience == "manager" or ctx.settings.hr_notice_detail == "full"
        ),
        tell_employee=pause.tell_employee,
    )


@notice("paused")
def _paused(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    pause = _pause(ctx)
    if pause is None:
        return Skip("pause gone")
    if ctx.delivery.recipient_id == plan.employee_id:
        text = _paused_text(ctx, plan, pause, "employee")
        return Outgoing(text=NEUTRAL_TEXT, blocks=[section(text)])
    text = _paused_text(ctx, plan, pause, "manager")
    return Outgoing(text=text, blocks=[section(text)])


@hr_notice("paused")
def _hr_paused(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    pause = _pause(ctx)
    if pause is None:
        return Skip("pause gone")
    text = _paused_text(ctx, plan, pause, "hr")
    return Outgoing(text=text, blocks=[section(text)])


@notice("resumed")
def _resumed(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    pause = _pause(ctx)
    if pause is None or pause.resumed_on is None:
        return Skip("not resumed")
    if ctx.delivery.recipient_id == plan.employee_id:
        text = _resumed_text(ctx, plan, pause, "employee")
        return Outgoing(text=NEUTRAL_TEXT, blocks=[section(text)])
    text = _resumed_text(ctx, plan, pause, "manager")
    return Outgoing(text=text, blocks=[section(text)])


@hr_notice("resumed")
def _hr_resumed(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    pause = _pause(ctx)
    if pause is None or pause.resumed_on is None:
        return Skip("not resumed")
    text = _resumed_text(ctx, plan, pause, "hr")
    return Outgoing(text=text, blocks=[section(text)])
