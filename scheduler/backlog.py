"""After downtime: one message per person and plan, not the pile the outbox owes.

When the dispatcher comes back from a long stop, a plan may owe a person many prompts and
nudges at once. Deciding at the moment each one is rendered (so any number of replicas agree
without talking to each other):

- a prompt or nudge is folded into a *newer* prompt of the same plan to the same person that
  is due too; that newest prompt then says what else is outstanding;
- a nudge does not follow its own prompt within `NUDGE_GAP` (or at all, if the prompt was
  never sent): a reminder never arrives in the same minute as what it reminds of;
- HR "missed" notices due together, for check-ins more than `MISSED_OVERDUE_DAYS` business
  days old, become one summary notice per plan, carried by the newest of them (a single one
  due alone reads as itself).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from sqlalchemy import ColumnElement, func, select

from models import Checkin, CheckinKind, Delivery, DeliveryKind, DeliveryStatus, Plan
from scheduler.messages import Outgoing, RenderContext, Skip, plan_of
from services.calendar import business_days_after, checkin_dates
from services.checkins import find_scheduled, has_answer, mark_missed, scheduled_checkin
from services.plans import is_acknowledged
from views.common import section
from views.plan_messages import fmt_date
from views.prose import mention, render

PROMPTS = (DeliveryKind.CHECKIN_PROMPT, DeliveryKind.REVIEW_PROMPT, DeliveryKind.END_OF_PLAN)
# Each nudge, and the prompt it follows.
NUDGES = {
    DeliveryKind.ACK_REMINDER: DeliveryKind.ACK_REQUEST,
    DeliveryKind.CHECKIN_REMINDER: DeliveryKind.CHECKIN_PROMPT,
    DeliveryKind.REVIEW_REMINDER: DeliveryKind.REVIEW_PROMPT,
    DeliveryKind.OUTCOME_REMINDER: DeliveryKind.END_OF_PLAN,
}
NUDGE_GAP = timedelta(hours=4)
MISSED_OVERDUE_DAYS = 2
FOLDED = "folded into a newer prompt"
SUMMARISED = "folded into a summary of missed check-ins"
_LIVE = (DeliveryStatus.PENDING, DeliveryStatus.CLAIMED, DeliveryStatus.SENT)


def fold(ctx: RenderContext) -> Outgoing | Skip | None:
    """What to send instead of the delivery's own message (a Skip, a summary), or None."""
    delivery = ctx.delivery
    if ctx.plan is None:
        return None
    if delivery.kind in PROMPTS or delivery.kind in NUDGES:
        if _newer_prompt_due(ctx):
            return Skip(FOLDED)
    if delivery.kind in NUDGES and _prompt_too_recent(ctx):
        return Skip("its prompt went out moments ago")
    if delivery.kind == DeliveryKind.CHECKIN_MISSED and _overdue(ctx, delivery):
        return _missed_summary(ctx, ctx.plan)
    return None


def prepare_summary(ctx: RenderContext) -> None:
    """Before a summary of missed check-ins goes out (`fold` gave one): mark each check-in
    it names missed."""
    plan = plan_of(ctx)
    for occurrence in map(_occurrence_of, _summarised(ctx, plan)):
        mark_missed(ctx.db, scheduled_checkin(ctx.db, plan, occurrence))


def annotate(ctx: RenderContext, message: Outgoing) -> Outgoing:
    """Add to a prompt that folded older ones what else is outstanding on the plan."""
    plan = ctx.plan
    if plan is None or ctx.delivery.kind not in PROMPTS or not _folded_any(ctx):
        return message
    lines = _outstanding(ctx, plan)
    if not lines:
        return message
    extra = "\n".join(lines)
    blocks = list(message.blocks)
    blocks.insert(min(1, len(blocks)), section(extra))
    return replace(message, text=f"{message.text}\n{extra}", blocks=blocks)


# -- prompts and nudges


def _same_thread(ctx: RenderContext) -> list[ColumnElement[bool]]:
    delivery = ctx.delivery
    return [
        Delivery.plan_id == delivery.plan_id,
        Delivery.recipient_id == delivery.recipient_id,
        Delivery.id != delivery.id,
    ]


def _newer_prompt_due(ctx: RenderContext) -> bool:
    newer = ctx.db.scalar(
        select(Delivery.id)
        .where(
            *_same_thread(ctx),
            Delivery.kind.in_(PROMPTS),
            Delivery.due_at > ctx.delivery.due_at,
            Delivery.due_at <= ctx.now,
            Delivery.status.in_(_LIVE),
        )
        .limit(1)
    )
    return newer is not None


def _prompt_too_recent(ctx: RenderContext) -> bool:
    """True when the nudge's own prompt went out less than NUDGE_GAP ago."""
    delivery = ctx.delivery
    prompt_kind = NUDGES[delivery.kind]
    query = select(func.max(Delivery.sent_at)).where(
        Delivery.plan_id == delivery.plan_id,
        Delivery.kind == prompt_kind,
        Delivery.status == DeliveryStatus.SENT,
    )
    occurrence = delivery.payload.get("occurrence_date")
    if occurrence:
        query = query.where(Delivery.checkin_id == _checkin_id(ctx, str(occurrence)))
    sent = ctx.db.scalar(query)
    if sent is None:
        return False  # the kind's own renderer decides (e.g. "never prompted")
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=ctx.now.tzinfo)
    return bool(ctx.now - sent < NUDGE_GAP)


def _checkin_id(ctx: RenderContext, occurrence: str) -> int | None:
    return ctx.db.scalar(
        select(Checkin.id).where(
            Checkin.plan_id == ctx.delivery.plan_id,
            Checkin.kind == CheckinKind.SCHEDULED,
            Checkin.occurrence_date == date.fromisoformat(occurrence),
        )
    )


def _folded_any(ctx: RenderContext) -> bool:
    """True when older prompts or nudges to this person are folded into this one."""
    delivery = ctx.delivery
    last_sent = ctx.db.scalar(
        select(func.max(Delivery.due_at)).where(
            *_same_thread(ctx),
            Delivery.kind.in_(PROMPTS),
            Delivery.status == DeliveryStatus.SENT,
        )
    )
    query = select(Delivery.id).where(
        *_same_thread(ctx),
        Delivery.kind.in_([*PROMPTS, *NUDGES]),
        Delivery.due_at < delivery.due_at,
        (Delivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.CLAIMED]))
        | ((Delivery.status == DeliveryStatus.SKIPPED) & (Delivery.last_error == FOLDED)),
    )
    if last_sent is not None:
        query = query.where(Delivery.due_at > last_sent)
    return ctx.db.scalar(query.limit(1)) is not None


def _outstanding(ctx: RenderContext, plan: Plan) -> list[str]:
    """What else the recipient still owes on the plan, in words."""
    recipient = ctx.delivery.recipient_id
    occurrence = ctx.delivery.payload.get("occurrence_date")
    before = date.fromisoformat(str(occurrence)) if occurrence else plan.end_date
    checkins = {
        c.occurrence_date: c
        for c in ctx.db.scalars(
            select(Checkin).where(Checkin.plan_id == plan.id, Checkin.kind == CheckinKind.SCHEDULED)
        )
    }
    lines: list[str] = []
    if recipient == plan.employee_id:
        if not is_acknowledged(plan):
            lines.append(render("backlog_unacknowledged", plan_id=plan.public_id))
        days = [
            d
            for d in checkin_dates(
                plan.start_date, plan.end_date, plan.checkin_weekday, plan.cadence
            )
            if d < before
            and d <= ctx.now.date()
            and not (d in checkins and has_answer(checkins[d]))
        ]
        if days:
            lines.append(
                render(
                    "backlog_unanswered",
                    days=", ".join(fmt_date(d) for d in days),
                    count=len(days),
                    manager=mention(plan.manager_id),
                )
            )
    elif recipient == plan.manager_id:
        days = [
            d
            for d, c in sorted(checkins.items())
            if d < before or ctx.delivery.kind == DeliveryKind.END_OF_PLAN
            if has_answer(c) and c.reviewed_at is None
        ]
        if days:
            lines.append(
                render(
                    "backlog_unreviewed",
                    days=", ".join(fmt_date(d) for d in days),
                    count=len(days),
                    plan_id=plan.public_id,
                )
            )
    return lines


# -- HR's missed notices


def _occurrence_of(delivery: Delivery) -> date:
    return date.fromisoformat(str(delivery.payload["occurrence_date"]))


def _overdue(ctx: RenderContext, delivery: Delivery) -> bool:
    """True when the notice's check-in is more than MISSED_OVERDUE_DAYS business days old."""
    occurrence = date.fromisoformat(str(delivery.payload["occurrence_date"]))
    return business_days_after(occurrence, MISSED_OVERDUE_DAYS) < ctx.now.date()


def _summarised(ctx: RenderContext, plan: Plan) -> list[Delivery]:
    """The check-ins of the overdue missed notices this delivery carries (newest last); empty
    when it carries none: it is alone, or a newer one carries them."""
    delivery = ctx.delivery
    rows = ctx.db.scalars(
        select(Delivery)
        .where(
            Delivery.plan_id == plan.id,
            Delivery.kind == DeliveryKind.CHECKIN_MISSED,
            Delivery.recipient_id == delivery.recipient_id,
            Delivery.due_at <= ctx.now,
            (Delivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.CLAIMED]))
            | ((Delivery.status == DeliveryStatus.SKIPPED) & (Delivery.last_error == SUMMARISED))
            | (Delivery.id == delivery.id),
        )
        .order_by(Delivery.due_at, Delivery.id)
    ).all()
    folded = [row for row in rows if _overdue(ctx, row)]
    if len(folded) < 2:
        return []  # a single late notice reads as itself
    return folded


def _missed_summary(ctx: RenderContext, plan: Plan) -> Outgoing | Skip | None:
    """One notice for all of a plan's overdue missed notices: the newest carries it."""
    folded = _summarised(ctx, plan)
    if not folded:
        return None
    if folded[-1].id != ctx.delivery.id:
        return Skip(SUMMARISED)
    missed = []
    for occurrence in map(_occurrence_of, folded):
        checkin = find_scheduled(ctx.db, plan, occurrence)
        if checkin is None or not (has_answer(checkin) or checkin.reviewed_at is not None):
            missed.append(occurrence)
    if not missed:
        return Skip("answered or reviewed")
    text = render(
        "checkin_missed_summary",
        plan_id=plan.public_id,
        employee=mention(plan.employee_id),
        manager=mention(plan.manager_id),
        days=", ".join(fmt_date(d) for d in missed),
        count=len(missed),
    )
    return Outgoing(text=text, blocks=[section(text)])
