"""What check-in prompts, reminders and notices say, and what they change before they go.

Each `prepare_*` runs before its message is rendered and makes the changes it needs through
services (it opens the check-in, waits while its person is away, records a miss); the
renderers only read.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

import views.checkins as checkin_views
from models import Checkin, Delivery, DeliveryKind, DeliveryStatus, Plan
from scheduler.messages import (
    Outgoing,
    Postpone,
    RenderContext,
    Skip,
    plan_of,
    recipients_of,
)
from services.away import prompt_dropped, wait_if_away
from services.calendar import local_date, local_instant, next_business_day
from services.checkins import find_scheduled, has_answer, open_for_delivery
from services.missed import Outstanding, outstanding, record_missed, still_waiting
from views.common import section
from views.plan_messages import fmt_date
from views.prose import mention, render

SUPERSEDED = "superseded by a newer check-in"


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
    """Postpone the message when its person's Slack status shows them away (the rest of its
    check-in moves along with it)."""
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


# -- the employee's prompt and reminder


def prepare_checkin_prompt(ctx: RenderContext) -> Skip | Postpone | None:
    """Before the prompt: wait while the employee is away, else open the check-in."""
    plan = plan_of(ctx)
    if superseded(ctx):
        return Skip(SUPERSEDED)
    waiting = _wait_if_away(ctx, plan)
    if waiting:
        return waiting
    open_for_delivery(ctx.db, plan, ctx.delivery, _occurrence(ctx))
    return None


def checkin_prompt(ctx: RenderContext) -> Outgoing | Skip:
    """The employee's check-in prompt, with their goals and a Check in button."""
    plan = plan_of(ctx)
    if superseded(ctx):
        return Skip(SUPERSEDED)
    checkin = find_scheduled(ctx.db, plan, _occurrence(ctx))
    if checkin is None:
        return Skip("the check-in was not opened")
    message = checkin_views.checkin_prompt(plan, checkin)
    return Outgoing(text=message["text"], blocks=message["blocks"])


def _open_for_reminder(ctx: RenderContext, plan: Plan) -> Checkin | Skip:
    """The check-in a reminder is about, or why it is no longer owed."""
    checkin = find_scheduled(ctx.db, plan, _occurrence(ctx))
    if ctx.delivery.kind == DeliveryKind.REVIEW_REMINDER:
        if checkin is None or checkin.reviewed_at is not None:
            return Skip("already reviewed" if checkin else "never prompted")
    elif checkin is None:
        return Skip("the check-in prompt was never sent")
    elif has_answer(checkin) or checkin.reviewed_at is not None:
        return Skip("already answered")
    return Skip(SUPERSEDED) if superseded(ctx) else checkin


def prepare_reminder(ctx: RenderContext) -> Skip | Postpone | None:
    """Before a check-in or review reminder: wait while its person is away."""
    plan = plan_of(ctx)
    found = _open_for_reminder(ctx, plan)
    return found if isinstance(found, Skip) else _wait_if_away(ctx, plan)


def checkin_reminder(ctx: RenderContext) -> Outgoing | Skip:
    """The employee's reminder of an open check-in, in the prompt's thread."""
    plan = plan_of(ctx)
    checkin = _open_for_reminder(ctx, plan)
    if isinstance(checkin, Skip):
        return checkin
    prompt = _prompt_message(ctx, checkin)
    text = render(
        "checkin_reminder",
        plan_id=plan.public_id,
        day=fmt_date(checkin.occurrence_date),
        manager=mention(plan.manager_id),
        hr_contact=ctx.settings.hr_contact,
        in_thread=prompt is not None,
    )
    return Outgoing(
        text=text, blocks=[section(text)], thread_ts=prompt.message_ts if prompt else None
    )


# -- the manager's review prompt and reminder


def _review_not_owed(ctx: RenderContext, plan: Plan) -> Skip | None:
    if superseded(ctx):
        return Skip(SUPERSEDED)
    if prompt_dropped(ctx.db, plan, _occurrence(ctx)):
        return Skip("the employee's prompt never went out")
    return None


def prepare_review_prompt(ctx: RenderContext) -> Skip | Postpone | None:
    """Before the review prompt: wait while the manager is away, else open the check-in."""
    plan = plan_of(ctx)
    early = _review_not_owed(ctx, plan) or _wait_if_away(ctx, plan)
    if early:
        return early
    checkin = open_for_delivery(ctx.db, plan, ctx.delivery, _occurrence(ctx))
    return Skip("already reviewed") if checkin.reviewed_at is not None else None


def review_prompt(ctx: RenderContext) -> Outgoing | Skip:
    """The manager's prompt to review a check-in."""
    plan = plan_of(ctx)
    skip = _review_not_owed(ctx, plan)
    if skip:
        return skip
    checkin = find_scheduled(ctx.db, plan, _occurrence(ctx))
    if checkin is None:
        return Skip("the check-in was not opened")
    if checkin.reviewed_at is not None:
        return Skip("already reviewed")
    message = checkin_views.review_prompt(plan, checkin)
    return Outgoing(text=message["text"], blocks=message["blocks"])


def review_reminder(ctx: RenderContext) -> Outgoing | Skip:
    """The manager's reminder of a check-in still to review, with the Log review button."""
    plan = plan_of(ctx)
    checkin = _open_for_reminder(ctx, plan)
    if isinstance(checkin, Skip):
        return checkin
    message = checkin_views.review_prompt(plan, checkin)
    text = render(
        "review_reminder",
        plan_id=plan.public_id,
        day=fmt_date(checkin.occurrence_date),
        employee=mention(plan.employee_id),
        answered=has_answer(checkin),
    )
    return Outgoing(text=text, blocks=[section(text), *message["blocks"][1:]])


# -- the missed check


def _missing(ctx: RenderContext, plan: Plan) -> tuple[Checkin, Outstanding] | Skip | Postpone:
    """What the check-in still lacks; a Skip when never prompted or nothing is missing; a
    Postpone while a message of the check-in waits for someone who is away."""
    checkin = find_scheduled(ctx.db, plan, _occurrence(ctx))
    if checkin is None:
        return Skip("never prompted")
    if still_waiting(ctx.db, plan, _occurrence(ctx)):
        to = recipients_of(ctx, plan)
        today = local_date(ctx.now, to.employee_tz)
        again = next_business_day(today, to.employee_days)
        return Postpone(
            local_instant(again, to.checkin_time, to.employee_tz), "check-in still waiting"
        )
    missing = outstanding(ctx.db, checkin)
    return (checkin, missing) if missing.anything else Skip("answered or reviewed")


def prepare_checkin_missed(ctx: RenderContext) -> Skip | Postpone | None:
    """Before the missed notice: record in the history what the check-in is missing."""
    found = _missing(ctx, plan_of(ctx))
    if isinstance(found, Skip | Postpone):
        return found
    record_missed(ctx.db, *found)
    return None


def checkin_missed(ctx: RenderContext) -> Outgoing | Skip | Postpone:
    """To HR (or the manager): what a check-in is missing once its time is up."""
    plan = plan_of(ctx)
    found = _missing(ctx, plan)
    if isinstance(found, Skip | Postpone):
        return found
    checkin, missing = found
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


# -- notices


def away_notice(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    """The manager hears once that a check-in waits because the employee appears away."""
    day = date.fromisoformat(str(ctx.delivery.payload["occurrence_date"]))
    text = render(
        "checkin_waiting",
        plan_id=plan.public_id,
        day=fmt_date(day),
        employee=mention(plan.employee_id),
    )
    return Outgoing(text=text, blocks=[section(text)])


def review_notice(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    """The review, sent to the employee once the manager saved it."""
    checkin = ctx.db.get(Checkin, int(ctx.delivery.payload["checkin_id"]))
    if checkin is None:
        return Skip("check-in gone")
    message = checkin_views.review_for_employee(plan, checkin, ctx.settings.hr_contact)
    return Outgoing(text=message["text"], blocks=message["blocks"])
