"""What each kind of owed message says, rendered at the moment it is sent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from config import Settings
from models import Delivery, DeliveryKind, DeliveryStatus, Plan, PlanStatus
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


Renderer = Callable[[RenderContext], Outgoing | Skip | Postpone]
RENDERERS: dict[DeliveryKind, Renderer] = {}

# Messages that still matter once a plan is closed.
AFTER_CLOSE = {DeliveryKind.HR_NOTICE, DeliveryKind.NOTICE}


def renders(kind: DeliveryKind) -> Callable[[Renderer], Renderer]:
    """Register the renderer of one delivery kind."""

    def decorate(func: Renderer) -> Renderer:
        RENDERERS[kind] = func
        return func

    return decorate


Fold = Callable[[RenderContext], "Outgoing | Skip | None"]
Annotate = Callable[[RenderContext, Outgoing], Outgoing]
_BACKLOG: list[tuple[Fold, Annotate]] = []


def handles_backlog(fold: Fold, annotate: Annotate) -> None:
    """Register how a backlog after downtime is folded (see scheduler/backlog.py)."""
    _BACKLOG.append((fold, annotate))


def render_delivery(ctx: RenderContext) -> Outgoing | Skip | Postpone:
    """The message for `ctx.delivery`, or why it is no longer owed (or not yet)."""
    plan = ctx.plan
    if plan is not None and plan.status == PlanStatus.CLOSED:
        if ctx.delivery.kind not in AFTER_CLOSE:
            return Skip("plan closed")
    if plan is not None and plan.status == PlanStatus.PAUSED:
        if ctx.delivery.kind in HELD_WHILE_PAUSED:
            return Skip("plan paused")
    renderer = RENDERERS.get(ctx.delivery.kind)
    if renderer is None:
        raise LookupError(f"no renderer for delivery kind {ctx.delivery.kind}")
    for fold, _ in _BACKLOG:
        folded = fold(ctx)
        if folded is not None:
            outcome = _sealed(ctx, folded)
            break
    else:
        outcome = renderer(ctx)
        for _, annotate in _BACKLOG:
            if isinstance(outcome, Outgoing):
                outcome = annotate(ctx, outcome)
        outcome = _sealed(ctx, outcome)
    if isinstance(outcome, Outgoing) and plan is not None:
        if ctx.delivery.recipient_id == plan.employee_id:
            return discreet(outcome, plan, ctx.delivery)
    return outcome


def _sealed(ctx: RenderContext, outcome: Outgoing | Skip | Postpone) -> Outgoing | Skip | Postpone:
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
FROM_MANAGER_NOTICES = {"review", "outcome"}


def discreet(message: Outgoing, plan: Plan, delivery: Delivery) -> Outgoing:
    """`message` with notification text that says only who it is from: phones show it on
    the lock screen. The body (blocks, or the text itself when there are none) is unchanged."""
    from_manager = delivery.kind in FROM_MANAGER or (
        delivery.kind == DeliveryKind.NOTICE
        and delivery.payload.get("notice") in FROM_MANAGER_NOTICES
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


@renders(DeliveryKind.ACK_REQUEST)
def _ack_request(ctx: RenderContext) -> Outgoing | Skip:
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


@renders(DeliveryKind.ACK_REMINDER)
def _ack_reminder(ctx: RenderContext) -> Outgoing | Skip:
    plan = plan_of(ctx)
    if is_acknowledged(plan):
        return Skip("already acknowledged")
    original = _sent_ack_request(ctx.db, plan)
    text = render(
        "ack_reminder", plan_id=plan.public_id, manager=mention(plan.manager_id), link=None
    )
    button = acknowledge_button(plan.public_id, int(ctx.delivery.payload.get("round", 1)))
    blocks = [
        section(text),
        {"type": "actions", "block_id": Block.PLAN_ACTIONS, "elements": [button]},
    ]
    return Outgoing(text=text, blocks=blocks, thread_ts=original.message_ts if original else None)


@renders(DeliveryKind.NOT_ACKNOWLEDGED)
def _not_acknowledged(ctx: RenderContext) -> Outgoing | Skip:
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


@renders(DeliveryKind.PLAN_CONFIRMATION)
def _plan_confirmation(ctx: RenderContext) -> Outgoing | Skip:
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


NoticeRenderer = Callable[[RenderContext, Plan], Outgoing | Skip]


def _by_payload(
    kind: DeliveryKind, what: str
) -> Callable[[str], Callable[[NoticeRenderer], NoticeRenderer]]:
    """A renderer for `kind` that hands each delivery to the one registered for its
    payload's `notice`; returns the decorator that registers those."""
    table: dict[str, NoticeRenderer] = {}

    @renders(kind)
    def _dispatch(ctx: RenderContext) -> Outgoing | Skip:
        name = str(ctx.delivery.payload.get("notice", ""))
        renderer = table.get(name)
        if renderer is None:
            raise LookupError(f"unknown {what} {name!r}")
        return renderer(ctx, plan_of(ctx))

    def register(name: str) -> Callable[[NoticeRenderer], NoticeRenderer]:
        def decorate(func: NoticeRenderer) -> NoticeRenderer:
            table[name] = func
            return func

        return decorate

    return register


# @notice("name") renders a NOTICE whose payload says notice=name; likewise @hr_notice.
notice = _by_payload(DeliveryKind.NOTICE, "notice")
hr_notice = _by_payload(DeliveryKind.HR_NOTICE, "HR notice")


@hr_notice("opened")
def _hr_opened(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
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


@hr_notice("extended")
def _hr_extended(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
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


@hr_notice("open_refused")
def _hr_open_refused(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    text = render(
        "hr_open_refused",
        submitter=mention(str(ctx.delivery.payload.get("submitter", ""))),
        employee=mention(plan.employee_id),
        manager=mention(plan.manager_id),
        plan_id=plan.public_id,
    )
    return Outgoing(text=text, blocks=[section(text)])


@notice("acknowledged")
def _acknowledged(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    text = render(
        "acknowledged_notice",
        employee=mention(plan.employee_id),
        plan_id=plan.public_id,
        when=fmt_when(plan.acknowledged_at or ctx.now),
    )
    return Outgoing(text=text, blocks=[section(text)])


@notice("responded")
def _responded(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    head = render("responded_notice", employee=mention(plan.employee_id), plan_id=plan.public_id)
    response = str(ctx.delivery.payload.get("response", ""))
    blocks = [section(head), *long_sections("Their response", response)]
    return Outgoing(text=f"{head}\n{escape(response)}", blocks=blocks)


def _who(recipient: str) -> Mrkdwn:
    """A person as a mention, a channel as a channel link."""
    return Mrkdwn(f"<#{recipient}>") if recipient.startswith(("C", "G")) else mention(recipient)


@notice("undeliverable")
def _undeliverable(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    payload = ctx.delivery.payload
    text = render(
        "undeliverable",
        plan_id=plan.public_id,
        recipient=_who(str(payload.get("recipient", ""))),
        what=str(payload.get("what", "a message")),
        error=str(payload.get("error", "")),
    )
    return Outgoing(text=text, blocks=[section(text)])


@notice("receipt")
def _receipt(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    text = render(
        "receipt_recorded",
        plan_id=plan.public_id,
        when=fmt_when(plan.acknowledged_at or ctx.now),
        manager=mention(plan.manager_id),
    )
    return Outgoing(
        text=f"A message from PIP Bot about plan {plan.public_id}.", blocks=[section(text)]
    )


@hr_notice("receipt")
def _hr_receipt(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    text = render(
        "hr_receipt",
        plan_id=plan.public_id,
        employee=mention(plan.employee_id),
        manager=mention(plan.manager_id),
        when=fmt_when(plan.acknowledged_at or ctx.now),
    )
    return Outgoing(text=text, blocks=[section(text)])


@hr_notice("amended")
def _hr_amended(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
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


@renders(DeliveryKind.RETENTION_NOTICE)
def _retention_run(ctx: RenderContext) -> Outgoing | Skip:
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
