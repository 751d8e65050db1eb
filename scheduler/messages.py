"""What an owed message is made of (Outgoing, Skip, Postpone), and the plan messages.

Each renderer reads its delivery, plan and settings and returns the message or why it does
not go; `scheduler/renderers.py` lists which renderer says what, and what is prepared first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from config import Settings
from models import Delivery, DeliveryKind, DeliveryStatus, Notice, Plan, PlanStatus
from services.pauses import HELD_WHILE_PAUSED
from services.plans import is_acknowledged
from services.retention import policy_name
from services.schedule import (
    NOT_ACKNOWLEDGED_BUSINESS_DAYS,
    Recipients,
    cached_recipients,
    plan_checkin_dates,
)
from services.seals import SEAL, Seal
from views.common import escape, section
from views.ids import Block, EventType
from views.plan_form import CADENCES, WEEKDAYS
from views.plan_messages import (
    acknowledge_button,
    discreet_text,
    employee_plan_message,
    fmt_date,
    fmt_when,
    long_sections,
    split_sections,
)
from views.prose import Mrkdwn, mention, render
from views.record import with_context_line


@dataclass(frozen=True)
class Attachment:
    """A file to upload with a message."""

    filename: str
    content: str | bytes
    title: str


@dataclass(frozen=True)
class Outgoing:
    """A message ready to post: fallback text, blocks, a thread, or files to upload."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    seal: Seal | None = None


@dataclass(frozen=True)
class Skip:
    """The message is no longer owed (the reason is kept on the delivery)."""

    reason: str


@dataclass(frozen=True)
class Postpone:
    """The message is owed later (its person is away): try again at `until`.

    Unlike a Skip, what the renderer changed is kept (the rest of its check-in moved along).
    """

    until: datetime
    reason: str


@dataclass(frozen=True)
class RenderContext:
    """What a renderer may read: the delivery, its plan, the database and the settings."""

    db: Session
    delivery: Delivery
    plan: Plan | None
    settings: Settings
    now: datetime


Renderer = Callable[[RenderContext], "Outgoing | Skip | Postpone"]
NoticeRenderer = Callable[[RenderContext, Plan], "Outgoing | Skip"]

# Messages that still matter once a plan is closed.
AFTER_CLOSE = {DeliveryKind.HR_NOTICE, DeliveryKind.NOTICE}


def held(ctx: RenderContext) -> Skip | None:
    """A Skip when the delivery's plan is closed or paused and the message no longer goes."""
    plan = ctx.plan
    if plan is not None and plan.status == PlanStatus.CLOSED:
        if ctx.delivery.kind not in AFTER_CLOSE:
            return Skip("plan closed")
    if plan is not None and plan.status == PlanStatus.PAUSED:
        if ctx.delivery.kind in HELD_WHILE_PAUSED:
            return Skip("plan paused")
    return None


def notice_of(delivery: Delivery) -> Notice:
    """The notice a NOTICE or HR_NOTICE delivery carries (LookupError when unknown)."""
    name = str(delivery.payload.get("notice", ""))
    try:
        return Notice(name)
    except ValueError:
        raise LookupError(f"unknown {delivery.kind} {name!r}") from None


def sealed(ctx: RenderContext, outcome: Outgoing | Skip) -> Outgoing | Skip:
    """A message whose delivery carries a seal shows it in a context line (and, through
    `message_metadata`, carries the full hash in its Slack metadata)."""
    seal = Seal.from_payload((ctx.delivery.payload or {}).get(SEAL))
    if seal is None or not isinstance(outcome, Outgoing) or outcome.attachments:
        return outcome
    return replace(outcome, blocks=with_context_line(outcome.blocks, seal.line), seal=seal)


def message_metadata(delivery_id: int, kind: str, message: Outgoing) -> dict[str, Any]:
    """The Slack metadata of a posted delivery: the delivery id, and the seal when it has one."""
    payload: dict[str, Any] = {"delivery_id": delivery_id, "kind": kind}
    if message.seal is None:
        return {"event_type": EventType.DELIVERY, "event_payload": payload}
    return {"event_type": EventType.SEAL, "event_payload": {**payload, **message.seal.payload()}}


# Message metadata that carries a delivery id, to find a message already posted.
DELIVERY_EVENT_TYPES = frozenset({EventType.DELIVERY, EventType.SEAL})


# What the employee gets from their manager (anything else is from the bot).
FROM_MANAGER = {DeliveryKind.ACK_REQUEST}
FROM_MANAGER_NOTICES = {Notice.REVIEW, Notice.OUTCOME}


def discreet(message: Outgoing, plan: Plan, delivery: Delivery) -> Outgoing:
    """`message` with notification text that says only who it is from: phones show it on
    the lock screen. The body (blocks, or the text itself when there are none) is unchanged."""
    from_manager = delivery.kind in FROM_MANAGER or (
        delivery.kind == DeliveryKind.NOTICE
        and str(delivery.payload.get("notice")) in FROM_MANAGER_NOTICES
    )
    if message.attachments:
        return message  # an upload's text is its body (employees are sent none)
    text = discreet_text(plan.manager_id if from_manager else None)
    return replace(message, text=text, blocks=message.blocks or split_sections(message.text))


def recipients_of(ctx: RenderContext, plan: Plan) -> Recipients:
    """The plan's recipients, zones and business days from the profile cache."""
    settings = ctx.settings
    return cached_recipients(
        ctx.db, plan, settings.hr_channel_id, settings.checkin_time, settings.holiday_rules
    )


def plan_of(ctx: RenderContext) -> Plan:
    """The delivery's plan (every plan message has one)."""
    if ctx.plan is None:
        raise LookupError(f"delivery {ctx.delivery.id} has no plan")
    return ctx.plan


def _sent_ack_request(db: Session, plan: Plan) -> Delivery | None:
    return db.scalar(
        select(Delivery)
        .where(
            Delivery.plan_id == plan.id,
            Delivery.kind == DeliveryKind.ACK_REQUEST,
            Delivery.status == DeliveryStatus.SENT,
        )
        .order_by(Delivery.sent_at.desc())
        .limit(1)
    )


def ack_request(ctx: RenderContext) -> Outgoing | Skip:
    """The plan itself, to the employee, asking for acknowledgement of receipt."""
    plan = plan_of(ctx)
    payload = ctx.delivery.payload
    message = employee_plan_message(
        plan,
        hr_contact=ctx.settings.hr_contact,
        round_=int(payload.get("round", 1)),
        changed=list(payload.get("changed", [])),
        reason=str(payload.get("reason", "")),
    )
    return Outgoing(text=message["text"], blocks=message["blocks"])


def ack_reminder(ctx: RenderContext) -> Outgoing | Skip:
    """The reminder to acknowledge receipt, in the thread of the plan."""
    plan = plan_of(ctx)
    if is_acknowledged(plan):
        return Skip("already acknowledged")
    original = _sent_ack_request(ctx.db, plan)
    text = render(
        "ack_reminder",
        plan_id=plan.public_id,
        manager=mention(plan.manager_id),
        link=None,
        hr_contact=ctx.settings.hr_contact,
    )
    button = acknowledge_button(plan.public_id, int(ctx.delivery.payload.get("round", 1)))
    blocks = [
        section(text),
        {"type": "actions", "block_id": Block.PLAN_ACTIONS, "elements": [button]},
    ]
    return Outgoing(text=text, blocks=blocks, thread_ts=original.message_ts if original else None)


def not_acknowledged(ctx: RenderContext) -> Outgoing | Skip:
    """To the manager and HR: the plan is still not acknowledged."""
    plan = plan_of(ctx)
    if is_acknowledged(plan):
        return Skip("already acknowledged")
    original = _sent_ack_request(ctx.db, plan)
    sent = original.sent_at if original and original.sent_at else plan.ack_requested_at
    text = render(
        "not_acknowledged",
        plan_id=plan.public_id,
        employee=mention(plan.employee_id),
        sent=fmt_when(sent),
        days=NOT_ACKNOWLEDGED_BUSINESS_DAYS,
        for_manager=ctx.delivery.recipient_id == plan.manager_id,
    )
    return Outgoing(text=text, blocks=[section(text)])


def plan_confirmation(ctx: RenderContext) -> Outgoing | Skip:
    """To the manager: the plan went out, and when its first check-in is."""
    plan = plan_of(ctx)
    dates = plan_checkin_dates(ctx.db, plan, recipients_of(ctx, plan).employee_days)
    text = render(
        "plan_confirmation",
        plan_id=plan.public_id,
        employee=mention(plan.employee_id),
        start=fmt_date(plan.start_date),
        end=fmt_date(plan.end_date),
        cadence=CADENCES[plan.cadence].lower(),
        weekday=WEEKDAYS[plan.checkin_weekday],
        first_checkin=fmt_date(dates[0]) if dates else None,
        hr_notified=bool(ctx.settings.hr_channel_id),
    )
    return Outgoing(text=text, blocks=[section(text)])


def hr_opened(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    """To HR: a plan was opened."""
    text = render(
        "hr_opened",
        plan_id=plan.public_id,
        employee=mention(plan.employee_id),
        manager=mention(plan.manager_id),
        start=fmt_date(plan.start_date),
        end=fmt_date(plan.end_date),
        moved=int(ctx.delivery.payload.get("moved_days", 0) or 0),
        planned_start=_date_or_none(ctx.delivery.payload.get("planned_start")),
        planned_end=_date_or_none(ctx.delivery.payload.get("planned_end")),
    )
    return Outgoing(text=text, blocks=[section(text)])


def _date_or_none(value: object) -> str | None:
    return fmt_date(date.fromisoformat(str(value))) if value else None


def hr_extended(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    """To HR: a plan was extended."""
    payload = ctx.delivery.payload
    text = render(
        "hr_extended",
        plan_id=plan.public_id,
        employee=mention(plan.employee_id),
        manager=mention(plan.manager_id),
        before=fmt_date(date.fromisoformat(str(payload["before"]))),
        after=fmt_date(date.fromisoformat(str(payload["after"]))),
        reason=str(payload.get("reason", "")),
    )
    return Outgoing(text=text, blocks=split_sections(text))


def hr_open_refused(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    """To HR: someone tried to open a plan they may not open."""
    text = render(
        "hr_open_refused",
        submitter=mention(str(ctx.delivery.payload.get("submitter", ""))),
        employee=mention(plan.employee_id),
        manager=mention(plan.manager_id),
        plan_id=plan.public_id,
    )
    return Outgoing(text=text, blocks=[section(text)])


def acknowledged(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    """To the manager: the employee acknowledged receipt."""
    text = render(
        "acknowledged_notice",
        employee=mention(plan.employee_id),
        plan_id=plan.public_id,
        when=fmt_when(plan.acknowledged_at or ctx.now),
    )
    return Outgoing(text=text, blocks=[section(text)])


def responded(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    """To the manager: the employee wrote a response."""
    head = render("responded_notice", employee=mention(plan.employee_id), plan_id=plan.public_id)
    response = str(ctx.delivery.payload.get("response", ""))
    blocks = [section(head), *long_sections("Their response", response)]
    return Outgoing(text=f"{head}\n{escape(response)}", blocks=blocks)


def _who(recipient: str) -> Mrkdwn:
    """A person as a mention, a channel as a channel link."""
    return Mrkdwn(f"<#{recipient}>") if recipient.startswith(("C", "G")) else mention(recipient)


def undeliverable(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    """To the manager and HR: a message could not be delivered."""
    payload = ctx.delivery.payload
    text = render(
        "undeliverable",
        plan_id=plan.public_id,
        recipient=_who(str(payload.get("recipient", ""))),
        what=str(payload.get("what", "a message")),
        error=str(payload.get("error", "")),
    )
    return Outgoing(text=text, blocks=[section(text)])


def receipt(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    """To the employee: their acknowledgement is recorded."""
    text = render(
        "receipt_recorded",
        hr_contact=ctx.settings.hr_contact,
        plan_id=plan.public_id,
        when=fmt_when(plan.acknowledged_at or ctx.now),
        manager=mention(plan.manager_id),
    )
    return Outgoing(text=text, blocks=[section(text)])  # the text shown is discreet()'s


def hr_receipt(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    """To HR: the employee acknowledged receipt."""
    text = render(
        "hr_receipt",
        plan_id=plan.public_id,
        employee=mention(plan.employee_id),
        manager=mention(plan.manager_id),
        when=fmt_when(plan.acknowledged_at or ctx.now),
    )
    return Outgoing(text=text, blocks=[section(text)])


def hr_amended(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    """To HR: a plan was amended."""
    payload = ctx.delivery.payload
    changed = [str(c) for c in payload.get("changed", [])]
    text = render(
        "hr_amended",
        plan_id=plan.public_id,
        employee=mention(plan.employee_id),
        manager=mention(plan.manager_id),
        changed=", ".join(changed).lower(),
        reason=str(payload.get("reason", "")),
    )
    return Outgoing(text=text, blocks=split_sections(text))


def retention_run(ctx: RenderContext) -> Outgoing | Skip:
    """To HR: what the retention run deleted."""
    payload = ctx.delivery.payload
    days = int(payload.get("days", 0))
    text = render(
        "retention_run",
        deleted=int(payload.get("deleted", 0)),
        before=fmt_date(date.fromisoformat(str(payload["before"]))),
        policy=policy_name(days),
        held=int(payload.get("held", 0)),
    )
    return Outgoing(text=text, blocks=[section(text)])
