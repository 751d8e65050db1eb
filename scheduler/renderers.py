"""Every owed message's renderer, in one table, and the two steps that send one.

Before a delivery is rendered, `prepare_delivery` makes what it needs in the database through
services (the check-in it asks about, a miss on record, a plan restarted on its date, a wait
while its person is away). `render_delivery` then only reads: it returns the message, or why
it is no longer owed (Skip) or not yet (Postpone).
"""

from __future__ import annotations

from collections.abc import Callable

from models import DeliveryKind, Notice
from scheduler import (
    approval_messages,
    backlog,
    checkin_messages,
    close_messages,
    messages,
    pause_messages,
    voice_messages,
)
from scheduler.messages import (
    NoticeRenderer,
    Outgoing,
    Postpone,
    RenderContext,
    Renderer,
    Skip,
    discreet,
    held,
    notice_of,
    plan_of,
    sealed,
)

Preparer = Callable[[RenderContext], "Skip | Postpone | None"]

# What each NOTICE says, by the payload's `notice`.
NOTICES: dict[Notice, NoticeRenderer] = {
    Notice.ACKNOWLEDGED: messages.acknowledged,
    Notice.RESPONDED: messages.responded,
    Notice.UNDELIVERABLE: messages.undeliverable,
    Notice.RECEIPT: messages.receipt,
    Notice.AWAY: checkin_messages.away_notice,
    Notice.REVIEW: checkin_messages.review_notice,
    Notice.OUTCOME: close_messages.outcome_notice,
    Notice.PAUSED: pause_messages.paused,
    Notice.RESUMED: pause_messages.resumed,
    Notice.SUBMITTED: approval_messages.submitted,
    Notice.APPROVED: approval_messages.approved,
    Notice.CHANGES_REQUESTED: approval_messages.changes_requested,
    Notice.READY_TO_SEND: approval_messages.ready_to_send,
    Notice.ASK_HR_SENT: voice_messages.asked_receipt,
}

# What each HR_NOTICE says, by the payload's `notice`.
HR_NOTICES: dict[Notice, NoticeRenderer] = {
    Notice.OPENED: messages.hr_opened,
    Notice.OPEN_REFUSED: messages.hr_open_refused,
    Notice.EXTENDED: messages.hr_extended,
    Notice.AMENDED: messages.hr_amended,
    Notice.RECEIPT: messages.hr_receipt,
    Notice.RESPONDED: voice_messages.hr_voice,
    Notice.ASK_HR: voice_messages.hr_voice,
    Notice.PAUSED: pause_messages.hr_paused,
    Notice.RESUMED: pause_messages.hr_resumed,
    Notice.CLOSED: close_messages.hr_closed,
    Notice.RECORD: close_messages.hr_record,
    Notice.APPROVAL_REQUEST: approval_messages.approval_request,
}


def _by_notice(table: dict[Notice, NoticeRenderer]) -> Renderer:
    """A renderer that hands each delivery to the one of `table` its payload names."""

    def render(ctx: RenderContext) -> Outgoing | Skip:
        renderer = table.get(notice_of(ctx.delivery))
        if renderer is None:
            raise LookupError(f"no {ctx.delivery.kind} renderer for {notice_of(ctx.delivery)!r}")
        return renderer(ctx, plan_of(ctx))

    return render


RENDERERS: dict[DeliveryKind, Renderer] = {
    DeliveryKind.ACK_REQUEST: messages.ack_request,
    DeliveryKind.ACK_REMINDER: messages.ack_reminder,
    DeliveryKind.NOT_ACKNOWLEDGED: messages.not_acknowledged,
    DeliveryKind.PLAN_CONFIRMATION: messages.plan_confirmation,
    DeliveryKind.CHECKIN_PROMPT: checkin_messages.checkin_prompt,
    DeliveryKind.CHECKIN_REMINDER: checkin_messages.checkin_reminder,
    DeliveryKind.REVIEW_PROMPT: checkin_messages.review_prompt,
    DeliveryKind.REVIEW_REMINDER: checkin_messages.review_reminder,
    DeliveryKind.CHECKIN_MISSED: checkin_messages.checkin_missed,
    DeliveryKind.END_OF_PLAN: close_messages.end_of_plan,
    DeliveryKind.OUTCOME_REMINDER: close_messages.outcome_reminder,
    DeliveryKind.OUTCOME_OVERDUE: close_messages.outcome_overdue,
    DeliveryKind.SEND_REMINDER: approval_messages.send_reminder,
    DeliveryKind.RETENTION_NOTICE: messages.retention_run,
    DeliveryKind.RESUME: pause_messages.resume_on_date,
    DeliveryKind.NOTICE: _by_notice(NOTICES),
    DeliveryKind.HR_NOTICE: _by_notice(HR_NOTICES),
}

# What a delivery changes before it is rendered (kinds not named change nothing).
PREPARERS: dict[DeliveryKind, Preparer] = {
    DeliveryKind.CHECKIN_PROMPT: checkin_messages.prepare_checkin_prompt,
    DeliveryKind.CHECKIN_REMINDER: checkin_messages.prepare_reminder,
    DeliveryKind.REVIEW_PROMPT: checkin_messages.prepare_review_prompt,
    DeliveryKind.REVIEW_REMINDER: checkin_messages.prepare_reminder,
    DeliveryKind.CHECKIN_MISSED: checkin_messages.prepare_checkin_missed,
    DeliveryKind.RESUME: pause_messages.prepare_resume,
}


def prepare_delivery(ctx: RenderContext) -> Skip | Postpone | None:
    """Make what `ctx.delivery` needs before it is rendered (the caller commits); a Skip or
    a Postpone when it goes no further now."""
    early = held(ctx)
    if early is not None:
        return early
    folded = backlog.fold(ctx)
    if isinstance(folded, Skip):
        return folded
    if folded is not None:  # a summary of missed check-ins, instead of its own check
        backlog.prepare_summary(ctx)
        return None
    prepare = PREPARERS.get(ctx.delivery.kind)
    return prepare(ctx) if prepare is not None else None


def render_delivery(ctx: RenderContext) -> Outgoing | Skip | Postpone:
    """The message for `ctx.delivery`, or why it is no longer owed (or not yet); reads only."""
    plan = ctx.plan
    early = held(ctx)
    if early is not None:
        return early
    renderer = RENDERERS.get(ctx.delivery.kind)
    if renderer is None:
        raise LookupError(f"no renderer for delivery kind {ctx.delivery.kind}")
    folded = backlog.fold(ctx)
    outcome: Outgoing | Skip | Postpone
    if folded is not None:
        outcome = sealed(ctx, folded)
    else:
        outcome = renderer(ctx)
        if isinstance(outcome, Outgoing):
            outcome = sealed(ctx, backlog.annotate(ctx, outcome))
    if isinstance(outcome, Outgoing) and plan is not None:
        if ctx.delivery.recipient_id == plan.employee_id:
            return discreet(outcome, plan, ctx.delivery)
    return outcome
