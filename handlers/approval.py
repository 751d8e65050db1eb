"""Drafts: HR's Review button and decision, the manager's Edit draft, Send and `/pip withdraw`."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from handlers.commands import plan_argument, subcommand
from handlers.context import (
    FORM_KEY,
    Listeners,
    deliver_soon,
    hr_recipients,
    open_modal,
    plan_recipients,
)
from models import EventKind, Plan, PlanStatus, utcnow
from services import approval, plans
from services.access import Actor, Permission
from services.amend import draft_from_plan
from services.calendar import local_date
from services.errors import InvalidPlan, UsageError
from slackio.directory import Directory
from views.approval import (
    approval_request,
    decided_line,
    decision_of,
    parse_review_value,
    review_modal,
    sent_line,
)
from views.common import context as context_block
from views.form_meta import form_meta
from views.ids import Action, Callback
from views.plan_form import edit_draft_modal, form_unreadable, read_plan_form
from views.prose import ANSWERS, mention, say

Update = tuple[str, str, dict[str, Any]]  # channel, ts, message


def register(app: Listeners) -> None:
    """Listen for the Review, Edit draft and Send buttons and the two draft forms."""
    app.action(Action.REVIEW_DRAFT)(handle_review_open)
    app.view(Callback.REVIEW_DRAFT)(handle_review_submit)
    app.action(Action.EDIT_DRAFT)(handle_edit_draft_open)
    app.view(Callback.EDIT_DRAFT)(handle_edit_draft_submit)
    app.action(Action.SEND_PLAN)(handle_send_plan)


def _post_updates(client: WebClient, updates: list[Update]) -> None:
    for channel, ts, message in updates:
        client.chat_update(channel=channel, ts=ts, text=message["text"], blocks=message["blocks"])


def _request_updates(db: Session, plan: Plan, round_: int, line: str) -> list[Update]:
    """The new text of every approval request of `round_` that reached HR (built before the
    commit, so nothing is loaded lazily afterwards)."""
    other = approval.hidden_open_plan(db, plan)
    message = approval_request(plan, round_, other, outcome=line)
    return [
        (str(d.channel_id), str(d.message_ts), message)
        for d in approval.approval_requests(db, plan, round_)
        if d.channel_id and d.message_ts
    ]


def handle_review_open(
    ack: Ack, body: dict[str, Any], client: WebClient, actor: Actor, db: Session
) -> None:
    """HR opens the whole draft to decide; anyone else gets the answer for a missing plan."""
    public_id, round_ = parse_review_value(body["actions"][0]["value"])
    plan = approval.plan_for_review(db, actor, public_id, round_)
    view = review_modal(plan, round_ or plan.review_round, approval.hidden_open_plan(db, plan))
    open_modal(ack, client, body["trigger_id"], view)


def handle_review_submit(
    ack: Ack,
    view: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    actor: Actor,
    db: Session,
) -> None:
    """Record HR's decision, tell the manager, and mark every copy of the request decided."""
    public_id, round_ = parse_review_value(view.get("private_metadata", ""))
    plan = approval.plan_for_review(db, actor, public_id, round_)
    decision, comment = decision_of(view)
    recipients = plan_recipients(db, client, plan, context)
    Directory(client).profile(db, actor.user_id)  # others are told this name if they try too
    now = utcnow()
    decided = approval.decide(
        db,
        actor,
        public_id,
        round_ or plan.review_round,
        decision=decision,
        comment=comment,
        recipients=recipients,
        today=local_date(now, recipients.employee_tz),
        now=now,
    )
    kind = EventKind.APPROVED if decided.approved else EventKind.CHANGES_REQUESTED
    updates = _request_updates(
        db,
        decided.plan,
        round_ or decided.plan.review_round,
        decided_line(kind, actor.user_id, now),
    )
    ack()
    _post_updates(client, updates)
    deliver_soon(db)


def handle_edit_draft_open(
    ack: Ack,
    body: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    actor: Actor,
    db: Session,
) -> None:
    """The manager's Edit draft: the plan form with everything they wrote."""
    settings = context["settings"]
    plan = plans.get_plan(db, actor, body["actions"][0]["value"], Permission.EDIT_DRAFT)
    if plan.status != PlanStatus.DRAFT:
        raise UsageError(say(ANSWERS, "not_a_draft", plan_id=plan.public_id))
    draft = draft_from_plan(plan)
    draft.send_after_meeting = plan.send_after_meeting
    view = edit_draft_modal(
        draft, plan.public_id, plan.employee_id, settings.approval_required, key=context[FORM_KEY]
    )
    open_modal(ack, client, body["trigger_id"], view)


def handle_edit_draft_submit(
    ack: Ack,
    view: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    actor: Actor,
    db: Session,
) -> None:
    """Save the changed draft; with approval it goes back to HR as a new round."""
    to_hr = hr_recipients(context, besides=actor.user_id)  # before the database is touched
    meta = form_meta(view, context[FORM_KEY])
    if meta is None:
        raise InvalidPlan({"form": form_unreadable()})
    plan = plans.get_plan(db, actor, meta.plan_id or "", Permission.EDIT_DRAFT)
    draft, _ = read_plan_form(view, meta)
    recipients = plan_recipients(db, client, plan, context)
    now = utcnow()
    approval.resubmit(
        db,
        actor,
        plan.public_id,
        draft,
        approval=context["settings"].approval_required,
        hr_recipients=to_hr,
        recipients=recipients,
        today=local_date(now, recipients.manager_tz),
        now=now,
    )
    ack()
    deliver_soon(db)


def handle_send_plan(
    ack: Ack,
    body: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    actor: Actor,
    db: Session,
) -> None:
    """The manager sends the plan after meeting: the employee gets it now, once."""
    plan = plans.get_plan(db, actor, body["actions"][0]["value"], Permission.SEND)
    recipients = plan_recipients(db, client, plan, context)
    now = utcnow()
    plan, _ = approval.send_plan(
        db, actor, plan.public_id, recipients, local_date(now, recipients.employee_tz), now
    )
    line = sent_line(plan, plan.sent_at or now)
    ack()
    container = body.get("container", {})
    message = body.get("message") or {}
    if container.get("channel_id") and container.get("message_ts"):
        kept = [b for b in message.get("blocks", []) if b.get("type") != "actions"]
        client.chat_update(
            channel=container["channel_id"],
            ts=container["message_ts"],
            text=message.get("text") or "Plan sent.",
            blocks=[*kept, context_block(line)],
        )
    deliver_soon(db)


@subcommand("withdraw")
def handle_command_withdraw(
    ack: Ack,
    command: dict[str, Any],
    args: str,
    client: WebClient,
    actor: Actor,
    db: Session,
) -> None:
    """`/pip withdraw <id>`: drop a draft before it is sent; the employee never hears of it."""
    now = utcnow()
    plan, first = approval.withdraw(db, actor, plan_argument(args, "withdraw"), now)
    updates = _request_updates(
        db, plan, plan.review_round, decided_line(EventKind.WITHDRAWN, actor.user_id, now)
    )
    text = say(ANSWERS, "withdrawn", plan_id=plan.public_id, employee=mention(plan.employee_id))
    if not first:
        text = say(ANSWERS, "already_withdrawn", plan_id=plan.public_id)
    ack(response_type="ephemeral", text=text)
    if first:
        _post_updates(client, updates)
