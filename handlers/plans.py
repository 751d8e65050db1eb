"""Opening a plan (`/pip new` and its form) and the employee's acknowledgement and response."""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from handlers.commands import subcommand
from handlers.context import (
    FORM_KEY,
    PLAN_INTAKE,
    Listeners,
    deliver_soon,
    hr_recipients,
    open_modal,
)
from handlers.plan_intake import PlanJob, Resent, open_from_form, sent_view
from models import DeliveryKind, utcnow
from services import plans, users
from services.access import Actor, Permission
from services.calendar import local_date
from services.drafts import MAX_GOALS, GoalDraft
from services.errors import InvalidPlan, NotAllowed
from services.outbox import sent_messages
from slackio.directory import Directory
from views.form_meta import FormMeta, form_meta
from views.ids import Action, Block, Callback
from views.plan_form import (
    SURFACE,
    form_reason,
    form_unreadable,
    new_plan_modal,
    plan_modal,
    read_plan_form,
)
from views.plan_messages import (
    acknowledgement_blocks,
    discreet_text,
    employee_plan_message,
    parse_acknowledge_value,
    respond_modal,
)
from views.prose import ANSWERS, say
from views.record import sealed_blocks

MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
logger = logging.getLogger(__name__)


def register(app: Listeners) -> None:
    """Listen for the plan form, its buttons, and the employee's buttons on their plan."""
    app.action(Action.ADD_GOAL)(handle_form_add_goal)
    app.action(Action.REMOVE_GOAL)(handle_form_remove_goal)
    app.view(Callback.NEW_PLAN)(handle_form_submit)
    app.action(Action.ACKNOWLEDGE)(handle_plan_acknowledge)
    app.action(Action.RESPOND)(handle_plan_respond)
    app.view(Callback.RESPOND)(handle_response_submit)


@subcommand("new")
def handle_command_new(
    ack: Ack,
    command: dict[str, Any],
    args: str,
    client: WebClient,
    context: BoltContext,
    respond: Respond,
    actor: Actor,
    db: Session,
) -> None:
    """`/pip new [@employee]`: open the plan form at once, inside the trigger's 3 seconds."""
    match = MENTION.search(args)
    if not actor.may_open_plans:
        raise NotAllowed(plans.NOT_IN_GROUP)
    known = users.last_known(db, actor.user_id)  # no network before the modal
    today = local_date(utcnow(), known.tz if known else "UTC")
    approval = context["settings"].approval_required
    view = new_plan_modal(match and match[1], today, approval, key=context[FORM_KEY])
    open_modal(ack, client, command["trigger_id"], view)
    if args and not match:
        respond(
            response_type="ephemeral",
            text=say(ANSWERS, "no_person", typed=args),
        )


def _clicked_form(body: dict[str, Any], context: BoltContext) -> FormMeta | None:
    """The clicked form's metadata, or None (logged) when it is not a form this server made."""
    view = body.get("view")
    meta = form_meta(view, context[FORM_KEY]) if isinstance(view, dict) else None
    if meta is None:
        logger.info("block_actions from %s: plan form metadata refused", context.user_id)
    return meta


def handle_form_add_goal(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, db: Session
) -> None:
    """Add an empty goal to the form, keeping everything typed so far."""
    ack()
    meta = _clicked_form(body, context)
    if meta is None or len(meta.slots) >= MAX_GOALS:
        return
    view = body["view"]
    draft, _ = read_plan_form(view, meta)
    draft.goals.append(GoalDraft())
    meta.slots.append(meta.next_slot)
    meta.next_slot += 1
    updated = plan_modal(draft, meta, form_reason(view), key=context[FORM_KEY])
    # With the hash, a second quick click loses to the first (hash_conflict, ignored).
    client.views_update(view_id=view["id"], hash=view.get("hash"), view=updated)


def handle_form_remove_goal(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, db: Session
) -> None:
    """Remove one goal from the form, keeping everything else typed so far."""
    ack()
    meta = _clicked_form(body, context)
    value = str(body["actions"][0].get("value") or "")
    slot = int(value) if value.isascii() and value.isdigit() else None
    if meta is None or slot not in meta.slots or len(meta.slots) <= 1:
        return
    view = body["view"]
    draft, _ = read_plan_form(view, meta)
    index = meta.slots.index(slot)
    del draft.goals[index]
    del meta.slots[index]
    meta.goal_ids.pop(slot, None)
    updated = plan_modal(draft, meta, form_reason(view), key=context[FORM_KEY])
    client.views_update(view_id=view["id"], hash=view.get("hash"), view=updated)


def handle_form_submit(
    ack: Ack,
    body: dict[str, Any],
    view: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    actor: Actor,
    db: Session,
) -> None:
    """Open the plan from its form; errors go back onto the form's fields.

    With a plan writer (PLAN_WRITER=process), the form is acknowledged at once, drawn again
    as typed and marked "saving", and the writer checks and writes it away from this process
    (handlers/plan_intake.py). Inline, it is checked and written first and acknowledged
    after: a submission that fails keeps its modal open with what the manager typed.
    """
    to_hr = hr_recipients(context, besides=actor.user_id)  # before the database is touched
    meta = form_meta(view, context[FORM_KEY])
    if meta is None:
        raise InvalidPlan({"form": form_unreadable()})
    if not actor.may_open_plans:
        raise NotAllowed(plans.NOT_IN_GROUP)
    draft, _ = read_plan_form(view, meta)
    intake = context.get(PLAN_INTAKE)
    if intake is not None:
        saving = plan_modal(draft, meta, key=context[FORM_KEY], notice=say(SURFACE, "saving"))
        ack(response_action="update", view=saving)
        intake.submit(
            PlanJob(
                view=view,
                user_id=actor.user_id,
                is_hr=actor.is_hr,
                may_open_plans=actor.may_open_plans,
                team_id=context.team_id or "",
                hr_recipients=to_hr,
                acked_at=time.time(),
            )
        )
        return
    outcome = open_from_form(
        db,
        Directory(client),
        context["settings"],
        actor,
        draft,
        team_id=context.team_id or "",
        hr_recipients=to_hr,
        form_id=meta.form_id,
    )
    deliver_soon(db)
    if isinstance(outcome, str):  # the one answer that says nothing about that open plan
        ack(response_action="errors", errors={Block.EMPLOYEE: outcome})
        return
    if isinstance(outcome, Resent) and outcome.changed:  # say so rather than just close
        ack(response_action="update", view=sent_view(outcome))
        return
    ack()


def handle_plan_acknowledge(
    ack: Ack,
    body: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    actor: Actor,
    db: Session,
) -> None:
    """The employee acknowledges receipt: record it once, update the DM, tell the manager."""
    public_id, round_ = parse_acknowledge_value(body["actions"][0]["value"])
    settings = context["settings"]
    plan, _ = plans.acknowledge(
        db, actor, public_id, round_, utcnow(), hr_channel_id=settings.hr_channel_id
    )
    current = plans.ack_round(db, plan)
    copies = [
        c
        for c in sent_messages(db, plan.id, DeliveryKind.ACK_REQUEST)
        if int(c.payload.get("round", 1)) == current
    ]
    # Only the current version is re-drawn; earlier copies stay as they were sent. Drawn
    # before the commit, from what this transaction loaded.
    redrawn = []
    for sent in copies:
        message = employee_plan_message(
            plan,
            hr_contact=settings.hr_contact,
            round_=current,
            changed=list(sent.payload.get("changed", [])),
            reason=str(sent.payload.get("reason", "")),
        )
        redrawn.append(
            {
                "channel": sent.channel_id,
                "ts": sent.message_ts,
                "text": message["text"],
                "blocks": sealed_blocks(message["blocks"], sent.payload),  # the seal line stays
            }
        )
    acknowledged = acknowledgement_blocks(plan, current)[:1]
    manager_id = plan.manager_id
    ack()
    for update in redrawn:
        client.chat_update(**update)
    container = body.get("container", {})
    clicked = (container.get("channel_id"), container.get("message_ts"))
    if all(clicked) and clicked not in {(c.channel_id, c.message_ts) for c in copies}:
        message = body.get("message", {})
        kept = [b for b in message.get("blocks", []) if b.get("type") != "actions"]
        client.chat_update(
            channel=clicked[0],
            ts=clicked[1],
            text=discreet_text(manager_id),
            blocks=kept + acknowledged,
        )
    deliver_soon(db)


def handle_plan_respond(
    ack: Ack, body: dict[str, Any], client: WebClient, actor: Actor, db: Session
) -> None:
    """Open the response form for the employee (anyone else is refused, nothing opens)."""
    plan = plans.get_plan(db, actor, body["actions"][0]["value"], Permission.RESPOND)
    open_modal(ack, client, body["trigger_id"], respond_modal(plan))


def handle_response_submit(
    ack: Ack,
    view: dict[str, Any],
    context: BoltContext,
    actor: Actor,
    db: Session,
) -> None:
    """Store the employee's response, add it to the history and show it to the manager."""
    text = _response_text(view)
    to_hr = hr_recipients(context, besides=actor.user_id)
    plans.respond(db, actor, view.get("private_metadata", ""), text, utcnow(), to_hr)
    ack()
    deliver_soon(db)


def _response_text(view: dict[str, Any]) -> str:
    value = view.get("state", {}).get("values", {}).get(Block.RESPONSE, {})
    return str((value.get(Action.RESPONSE_TEXT) or {}).get("value") or "")
