"""What pausing and resuming a plan says, and the resume date that restarts it."""

from __future__ import annotations

from datetime import date

from models import Plan, PlanPause
from scheduler.messages import Outgoing, RenderContext, Skip, plan_of, recipients_of
from services import audit
from services.pauses import next_checkin, resume_on_schedule
from views.common import section
from views.plan_messages import fmt_date
from views.prose import mention, render


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
        hr_contact=ctx.settings.hr_contact,
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


def prepare_resume(ctx: RenderContext) -> Skip | None:
    """On the resume date, before the employee's message: restart the plan."""
    plan = plan_of(ctx)
    pause = _pause(ctx)
    if pause is None:
        return Skip("pause gone")
    to = recipients_of(ctx, plan)
    resumed = resume_on_schedule(ctx.db, plan, pause, recipients=to, now=ctx.now)
    if not resumed and pause.resumed_by != audit.SYSTEM:
        return Skip("resumed by hand before its date")
    return None


def resume_on_date(ctx: RenderContext) -> Outgoing | Skip:
    """The employee's message that their plan restarted on its resume date."""
    plan = plan_of(ctx)
    pause = _pause(ctx)
    if pause is None:
        return Skip("pause gone")
    if pause.resumed_on is None or pause.resumed_by != audit.SYSTEM:
        return Skip("resumed by hand before its date")
    text = _resumed_text(ctx, plan, pause, "employee")
    return Outgoing(text=text, blocks=[section(text)])


def _paused_text(ctx: RenderContext, plan: Plan, pause: PlanPause, audience: str) -> str:
    return render(
        "plan_paused",
        audience=audience,
        hr_contact=ctx.settings.hr_contact,
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


def _audience(ctx: RenderContext, plan: Plan) -> str:
    return "employee" if ctx.delivery.recipient_id == plan.employee_id else "manager"


def _paused_message(ctx: RenderContext, plan: Plan, audience: str) -> Outgoing | Skip:
    pause = _pause(ctx)
    if pause is None:
        return Skip("pause gone")
    text = _paused_text(ctx, plan, pause, audience)
    return Outgoing(text=text, blocks=[section(text)])


def _resumed_message(ctx: RenderContext, plan: Plan, audience: str) -> Outgoing | Skip:
    pause = _pause(ctx)
    if pause is None or pause.resumed_on is None:
        return Skip("not resumed")
    text = _resumed_text(ctx, plan, pause, audience)
    return Outgoing(text=text, blocks=[section(text)])


def paused(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    """To the employee or the manager: the plan is paused."""
    return _paused_message(ctx, plan, _audience(ctx, plan))


def hr_paused(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    """To HR: the plan is paused."""
    return _paused_message(ctx, plan, "hr")


def resumed(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    """To the employee or the manager: the plan is running again."""
    return _resumed_message(ctx, plan, _audience(ctx, plan))


def hr_resumed(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    """To HR: the plan is running again."""
    return _resumed_message(ctx, plan, "hr")
