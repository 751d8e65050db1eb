"""What drafts owe: HR's approval requests, the manager's notices, the reminder to send."""

from __future__ import annotations

from models import Plan, PlanStatus, Review
from scheduler.messages import Outgoing, RenderContext, Skip, plan_of
from services import users
from services.approval import hidden_open_plan
from views.approval import approval_request as approval_request_message
from views.approval import draft_actions, edit_draft_button, send_button
from views.common import section
from views.plan_messages import fmt_date
from views.prose import mention, render


def _first_name(ctx: RenderContext, user_id: str) -> str:
    known = users.last_known(ctx.db, user_id)
    name = known.display_name if known else "the employee"
    return name.split()[0] if known and known.real_name else name


def _round(ctx: RenderContext) -> int:
    return int(ctx.delivery.payload.get("round", 0))


def _comment(ctx: RenderContext) -> str:
    return str(ctx.delivery.payload.get("comment", "")).strip()


def approval_request(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    """To HR: a draft waits for approval."""
    if plan.status != PlanStatus.DRAFT or plan.review_round != _round(ctx):
        return Skip("no longer waiting for this decision")
    message = approval_request_message(plan, _round(ctx), hidden_open_plan(ctx.db, plan))
    return Outgoing(text=message["text"], blocks=message["blocks"])


def submitted(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    """To the manager: the draft is with HR."""
    text = render(
        "draft_submitted",
        plan_id=plan.public_id,
        employee=mention(plan.employee_id),
        send_after_meeting=plan.send_after_meeting,
        unsent=bool(ctx.delivery.payload.get("unsent")),
    )
    return Outgoing(text=text, blocks=[section(text)])


def _decision_text(ctx: RenderContext, plan: Plan, template: str) -> str:
    return render(
        template,
        hr=mention(plan.decided_by or ""),
        plan_id=plan.public_id,
        employee=mention(plan.employee_id),
        comment=_comment(ctx),
    )


def approved(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    """To the manager: HR approved the draft, and it went to the employee."""
    text = _decision_text(ctx, plan, "draft_approved")
    return Outgoing(text=text, blocks=[section(text)])


def changes_requested(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    """To the manager: HR asked for changes to the draft."""
    text = _decision_text(ctx, plan, "draft_changes_requested")
    blocks = [section(text)]
    if plan.status == PlanStatus.DRAFT and plan.review == Review.CHANGES_REQUESTED:
        blocks.append(draft_actions(edit_draft_button(plan)))
    return Outgoing(text=text, blocks=blocks)


def _send_message(ctx: RenderContext, plan: Plan, reminder: bool) -> Outgoing | Skip:
    if plan.status != PlanStatus.DRAFT or plan.review in (Review.PENDING,):
        return Skip("no longer waiting to be sent")
    if _round(ctx) != plan.review_round:
        return Skip("a newer version is waiting")
    approved_by = plan.decided_by if plan.review == Review.APPROVED else None
    first_name = _first_name(ctx, plan.employee_id)
    text = render(
        "draft_ready_to_send",
        reminder=reminder,
        approved_by=mention(approved_by) if approved_by else None,
        comment=_comment(ctx),
        plan_id=plan.public_id,
        employee=mention(plan.employee_id),
        first_name=first_name,
        start=fmt_date(plan.start_date),
    )
    button = send_button(plan, first_name)
    return Outgoing(
        text=text, blocks=[section(text), draft_actions(button, edit_draft_button(plan))]
    )


def ready_to_send(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    """To the manager: the plan waits for them to send it after the meeting."""
    return _send_message(ctx, plan, reminder=False)


def send_reminder(ctx: RenderContext) -> Outgoing | Skip:
    """To the manager: the plan is still not sent."""
    return _send_message(ctx, plan_of(ctx), reminder=True)
