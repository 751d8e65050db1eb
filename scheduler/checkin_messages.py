"""What check-in prompts, reminders and notices say, rendered when they are sent."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from models import Checkin, Delivery, DeliveryKind, DeliveryStatus, Plan
from scheduler.messages import (
    Outgoing,
    Postpone,
    RenderContext,
    Skip,
    notice,
    plan_of,
    recipients_of,
    renders,
)
from services.away import prompt_dropped, wait_if_away
from services.calendar import local_date, local_instant, next_business_day
from services.checkins import find_scheduled, has_answer, scheduled_checkin
from services.missed import outstanding, record_missed, still_waiting
from views.checkins import checkin_prompt, occurrence_label, review_for_employee, review_prompt
from views.common import section
from views.plan_messages import fmt_date
from views.prose import mention, render

# Kinds whose stale occurrence is dropped once a newer one of the same kind is due.
SUPERSEDABLE = {
    DeliveryKind.CHECKIN_PROMPT,
    DeliveryKind.CHECKIN_REMINDER,
    DeliveryKind.REVIEW_PROMPT,
    DeliveryKind.REVIEW_REMINDER,
}


def _occurrence(ctx: RenderContext) -> date:
    return date.fromisoformat(str(ctx.delivery.payload["occurrence_date"]))


def superseded(ctx: RenderContext) -> bool:
    """True when a newer occurrence of the same prompt is already due (after downtime)."""
    delivery = ctx.delivery
    newer = ctx.db.scalar(
        select(Delivery.id)
        .where(
            Delivery.plan_id == delivery.plan_id,
            Delivery.kind == delivery.kind,
            Delivery.recipient_id == delivery.recipient_id,
            Delivery.id != delivery.id,
            Delivery.due_at > delivery.due_at,
            Delivery.due_at <= ctx.now,
            Delivery.status.in_(
                [DeliveryStatus.PENDING, DeliveryStatus.CLAIMED, DeliveryStatus.SENT]
            ),
        )
        .limit(1)
    )
    return newer is not None


def _wait_if_away(ctx: RenderContext, plan: Plan) -> Postpone | None:
    """Postpone the message when its person's Slack status shows them away."""
    to = recipients_of(ctx, plan)
    until = wait_if_away(ctx.db, plan, ctx.delivery, to, ctx.settings.away_status, ctx.now)
    return Postpone(until, "recipient appears away") if until else None


def _prompt_message(ctx: RenderContext, checkin: Checkin) -> Delivery | None:
    return ctx.db.scalar(
        select(Delivery).where(
            Delivery.checkin_id == checkin.id,
            Delivery.kind == DeliveryKind.CHECKIN_PROMPT,
            Delivery.status == DeliveryStatus.SENT,
        )
    )


@renders(DeliveryKind.CHECKIN_PROMPT)
def _checkin_prompt(ctx: RenderContext) -> Outgoing | Skip:
    plan = plan_of(ctx)
    if superseded(ctx):
        return Skip("superseded by a newer check-in")
    waiting = _wait_if_away(ctx, plan)
    if waiting:
        return waiting
    checkin = scheduled_checkin(ctx.db, plan, _occurrence(ctx))
    ctx.delivery.checkin_id = checkin.id
    message = checkin_prompt(plan, checkin)
    return Outgoing(text=message["text"], blocks=message["blocks"])


@renders(DeliveryKind.CHECKIN_REMINDER)
def _checkin_reminder(ctx: RenderContext) -> Outgoing | Skip:
    plan = plan_of(ctx)
    checkin = find_scheduled(ctx.db, plan, _occurrence(ctx))
    if checkin is None:
        return Skip("the check-in prompt was never sent")
    if has_answer(checkin) or checkin.reviewed_at is not None:
        return Skip("already answered")
    if superseded(ctx):
        return Skip("superseded by a newer check-in")
    waiting = _wait_if_away(ctx, plan)
    if waiting:
        return waiting
    prompt = _prompt_message(ctx, checkin)
    text = (
        f":wave: A reminder: {occurrence_label(checkin)} on plan *{plan.public_id}* is waiting "
        "for your answer. Press *Check in* above, or reply in this thread."
    )
    return Outgoing(
        text=text, blocks=[section(text)], thread_ts=prompt.message_ts if prompt else None
    )


@renders(DeliveryKind.REVIEW_PROMPT)
def _review_prompt(ctx: RenderContext) -> Outgoing | Skip:
    plan = plan_of(ctx)
    if superseded(ctx):
        return Skip("superseded by a newer check-in")
    if prompt_dropped(ctx.db, plan, _occurrence(ctx)):
        return Skip("the employee's prompt never went out")
    waiting = _wait_if_away(ctx, plan)
    if waiting:
        return waiting
    checkin = scheduled_checkin(ctx.db, plan, _occurrence(ctx))
    if checkin.reviewed_at is not None:
        return Skip("already reviewed")
    ctx.delivery.checkin_id = checkin.id
    message = review_prompt(plan, checkin)
    return Outgoing(text=message["text"], blocks=message["blocks"])


@renders(DeliveryKind.REVIEW_REMINDER)
def _review_reminder(ctx: RenderContext) -> Outgoing | Skip:
    plan = plan_of(ctx)
    checkin = find_scheduled(ctx.db, plan, _occurrence(ctx))
    if checkin is None or checkin.reviewed_at is not None:
        return Skip("already reviewed" if checkin else "never prompted")
    if superseded(ctx):
        return Skip("superseded by a newer check-in")
    waiting = _wait_if_away(ctx, plan)
    if waiting:
        return waiting
    message = review_prompt(plan, checkin)
    text = ":wave: A reminder: " + message["text"]
    return Outgoing(text=text, blocks=[section(text), *message["blocks"][1:]])


@renders(DeliveryKind.CHECKIN_MISSED)
def _checkin_missed(ctx: RenderContext) -> Outgoing | Skip | Postpone:
    plan = plan_of(ctx)
    occurrence = _occurrence(ctx)
    checkin = find_scheduled(ctx.db, plan, occurrence)
    if checkin is None:
        return Skip("never prompted")
    if still_waiting(ctx.db, plan, occurrence):
        to = recipients_of(ctx, plan)
        today = local_date(ctx.now, to.employee_tz)
        again = next_business_day(today, to.employee_days)
        return Postpone(
            local_instant(again, to.checkin_time, to.employee_tz), "check-in still waiting"
        )
    missing = outstanding(ctx.db, checkin)
    if not missing.anything:
        return Skip("answered or reviewed")
    record_missed(ctx.db, checkin, missing)
    text = render(
        "checkin_missed",
        plan_id=plan.public_id,
        day=fmt_date(checkin.occurrence_date),
        employee=mention(plan.employee_id),
        manager=mention(plan.manager_id),
        self_assessment=(
            fmt_date(missing.self_assessment_asked) if missing.self_assessment_asked else None
        ),
        review=fmt_date(missing.review_asked) if missing.review_asked else None,
        for_manager=ctx.delivery.recipient_id == plan.manager_id,
    )
    return Outgoing(text=text, blocks=[section(text)])


@notice("away")
def _away_notice(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    """The manager hears once that a check-in waits because the employee appears away."""
    day = date.fromisoformat(str(ctx.delivery.payload["occurrence_date"]))
    text = render(
        "checkin_waiting",
        plan_id=plan.public_id,
        day=fmt_date(day),
        employee=mention(plan.employee_id),
    )
    return Outgoing(text=text, blocks=[section(text)])


@notice("review")
def _review_notice(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    """The review, sent to the employee once the manager saved it."""
    checkin = ctx.db.get(Checkin, int(ctx.delivery.payload["checkin_id"]))
    if checkin is None:
        return Skip("check-in gone")
    message = review_for_employee(plan, checkin, ctx.settings.hr_contact)
    return Outgoing(text=message["text"], blocks=message["blocks"])
