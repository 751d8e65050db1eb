"""What drafts owe: HR's approval requests, the manager's notices, the reminder to send."""

from __future__ import annotations

from models import DeliveryKind, Plan, PlanStatus, Review
from scheduler.messages import Outgoing, RenderContext, Skip, hr_notice, notice, plan_of, renders
from services import users
from services.approval import hidden_open_plan
from services.draft_outbox import APPROVAL_REQUEST
from views.approval import approval_request, draft_actions, edit_draft_button, send_button
from views.common import escape, section
from views.plan_messages import fmt_date
from views.prose import mention


def _first_name(ctx: RenderContext, user_id: str) -> str:
    known = users.last_known(ctx.db, user_id)
    name = known.display_name if known else "the employee"
    return name.split()[0] if known and known.real_name else name


def _round(ctx: RenderContext) -> int:
    return int(ctx.delivery.payload.get("round", 0))


@hr_notice(APPROVAL_REQUEST)
def _approval_request(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    if plan.status != PlanStatus.DRAFT or plan.review_round != _round(ctx):
        return Skip("no longer waiting for this decision")
    message = approval_request(plan, _round(ctx), hidden_open_plan(ctx.db, plan))
    return Outgoing(text=message["text"], blocks=message["blocks"])


@notice("submitted")
def _submitted(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    after = " and you send it" if plan.send_after_meeting else ""
    text = (
        f":hourglass_flowing_sand: Your draft plan *{plan.public_id}* for "
        f"{mention(plan.employee_id)} is with HR for approval. {mention(plan.employee_id)} hears "
        f"nothing about it until it is approved{after}. You get a message here when HR decides. "
        f"To withdraw the draft instead, type `/pip withdraw {plan.public_id}`."
    )
    if ctx.delivery.payload.get("unsent"):
        text += (
            "\nThere is no HR channel and nobody else with HR rights to send the request to, so "
            "please tell your HR team that it is waiting: they find it with `/pip list drafts`."
        )
    return Outgoing(text=text, blocks=[section(text)])


def _comment(ctx: RenderContext) -> str:
    comment = str(ctx.delivery.payload.get("comment", "")).strip()
    return "\n>" + escape(comment).replace("\n", "\n>") if comment else ""


@notice("approved")
def _approved(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    text = (
        f":white_check_mark: {mention(plan.decided_by or '')} in HR approved your plan "
        f"*{plan.public_id}* for {mention(plan.employee_id)}.{_comment(ctx)}\n"
        f"It has gone to {mention(plan.employee_id)}; your confirmation with the first check-in "
        "date follows."
    )
    return Outgoing(text=text, blocks=[section(text)])


@notice("changes_requested")
def _changes_requested(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    text = (
        f":pencil2: {mention(plan.decided_by or '')} in HR asked for changes to your draft plan "
        f"*{plan.public_id}* for {mention(plan.employee_id)} before it goes to them:"
        f"{_comment(ctx)}\n"
        "Press *Edit draft*: the form opens with everything you wrote, and sending it goes back "
        f"to HR. {mention(plan.employee_id)} has not seen the draft. To drop it instead, type "
        f"`/pip withdraw {plan.public_id}`."
    )
    blocks = [section(text)]
    if plan.status == PlanStatus.DRAFT and plan.review == Review.CHANGES_REQUESTED:
        blocks.append(draft_actions(edit_draft_button(plan)))
    return Outgoing(text=text, blocks=blocks)


def _send_text(ctx: RenderContext, plan: Plan, reminder: bool) -> str:
    who = mention(plan.employee_id)
    if reminder:
        head = f":wave: A reminder: your plan *{plan.public_id}* for {who} has not been sent yet."
    elif plan.review == Review.APPROVED and plan.decided_by:
        head = (
            f":white_check_mark: {mention(plan.decided_by)} in HR approved your plan "
            f"*{plan.public_id}* for {who}.{_comment(ctx)}\nIt stays with you until you send it."
        )
    else:
        head = f":memo: Your plan *{plan.public_id}* for {who} is saved and not sent yet."
    return (
        f"{head} Press *Send to {escape(_first_name(ctx, plan.employee_id))}* after you have "
        f"met: {who} gets the plan then, and the acknowledgement and check-ins start from that "
        f"day. It is planned to start on {fmt_date(plan.start_date)}; if it goes later, its "
        "dates move by the same number of days, so its length stays the same."
    )


def _send_message(ctx: RenderContext, plan: Plan, reminder: bool) -> Outgoing | Skip:
    if plan.status != PlanStatus.DRAFT or plan.review in (Review.PENDING,):
        return Skip("no longer waiting to be sent")
    if _round(ctx) != plan.review_round:
        return Skip("a newer version is waiting")
    text = _send_text(ctx, plan, reminder)
    button = send_button(plan, _first_name(ctx, plan.employee_id))
    return Outgoing(
        text=text, blocks=[section(text), draft_actions(button, edit_draft_button(plan))]
    )


@notice("ready_to_send")
def _ready_to_send(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    return _send_message(ctx, plan, reminder=False)


@renders(DeliveryKind.SEND_REMINDER)
def _send_reminder(ctx: RenderContext) -> Outgoing | Skip:
    return _send_message(ctx, plan_of(ctx), reminder=True)
