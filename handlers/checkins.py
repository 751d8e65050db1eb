"""Check-ins: the employee's form and thread replies, the manager's review, `/pip checkin`."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from handlers.commands import form_command
from handlers.context import Listeners, deliver_soon, open_modal
from models import Checkin, Delivery, DeliveryKind, utcnow
from services import checkins, plans
from services.access import Actor, Permission
from services.calendar import local_date
from services.outbox import prompt_for_message, sent_for_checkin
from slackio.directory import Directory
from views import state
from views.checkins import (
    checkin_modal,
    checkin_prompt,
    occurrence_label,
    read_marks,
    review_modal,
)
from views.common import section
from views.ids import Action, Block, Callback
from views.plan_messages import discreet_text
from views.prose import ANSWERS, say


def register(app: Listeners) -> None:
    """Listen for the check-in and review buttons and forms."""
    app.action(Action.CHECK_IN)(handle_checkin_open)
    app.view(Callback.CHECKIN)(handle_checkin_submit)
    app.action(Action.LOG_REVIEW)(handle_review_open)
    app.view(Callback.REVIEW)(handle_review_submit)


def handle_checkin_open(
    ack: Ack, body: dict[str, Any], client: WebClient, actor: Actor, db: Session
) -> None:
    """Open the check-in form for the employee (anyone else is refused)."""
    checkin = checkins.get_checkin(db, actor, body["actions"][0]["value"], Permission.CHECK_IN)
    view = checkin_modal(checkin.plan, checkin)
    open_modal(ack, client, body["trigger_id"], view)


def handle_checkin_submit(
    ack: Ack, view: dict[str, Any], client: WebClient, actor: Actor, db: Session
) -> None:
    """Save the employee's answers; the prompt in the DM then says it was recorded."""
    checkin = checkins.record_answer(
        db,
        actor,
        view.get("private_metadata", ""),
        marks=read_marks(view),
        progress=state.text(view, Block.PROGRESS, Action.PROGRESS),
        blockers=state.text(view, Block.BLOCKERS, Action.BLOCKERS),
        support_needed=state.text(view, Block.SUPPORT_NEEDED, Action.SUPPORT_NEEDED),
        now=utcnow(),
    )
    prompt = sent_for_checkin(db, checkin.id, DeliveryKind.CHECKIN_PROMPT)
    answered = _answered_prompt(prompt, checkin) if prompt is not None else None
    ack()
    if answered is not None:
        client.chat_update(**answered)


def _answered_prompt(prompt: Delivery, checkin: Checkin) -> dict[str, Any]:
    """The prompt's `chat.update`, its button now "Update check-in" (rendered before the
    commit, from objects loaded in the transaction)."""
    message = checkin_prompt(checkin.plan, checkin)
    return {
        "channel": prompt.channel_id,
        "ts": prompt.message_ts,
        "text": message["text"],
        "blocks": message["blocks"],
    }


def handle_review_open(
    ack: Ack, body: dict[str, Any], client: WebClient, actor: Actor, db: Session
) -> None:
    """Open the review form for the manager, prefilled with the employee's answer."""
    checkin = checkins.get_checkin(db, actor, body["actions"][0]["value"], Permission.LOG_REVIEW)
    view = review_modal(checkin.plan, checkin)
    open_modal(ack, client, body["trigger_id"], view)


@form_command("checkin")
def checkin_form(
    db: Session, client: WebClient, context: BoltContext, actor: Actor, public_id: str
) -> dict[str, Any]:
    """`/pip checkin <id>`: log an unscheduled check-in review now."""
    plan = plans.get_plan(db, actor, public_id, Permission.LOG_REVIEW)
    checkins.require_open(plan)
    return review_modal(plan, None, checkins.unscheduled_count(db, plan))


def handle_review_submit(
    ack: Ack, view: dict[str, Any], client: WebClient, actor: Actor, db: Session
) -> None:
    """Save the review; the employee gets it (without private notes) in a DM."""
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except (ValueError, RecursionError):
        meta = {}
    if not isinstance(meta, dict):  # not ours: answered like a check-in that does not exist
        meta = {}
    now = utcnow()
    manager_tz = Directory(client).tz(db, actor.user_id)
    checkins.record_review(
        db,
        actor,
        checkin_id=_id_or_none(meta.get("checkin")),
        plan_id=_id_or_none(meta.get("plan")) if "checkin" not in meta else None,
        marks=read_marks(view),
        next_steps=state.text(view, Block.NEXT_STEPS, Action.NEXT_STEPS),
        private_notes=state.text(view, Block.PRIVATE_NOTES, Action.PRIVATE_NOTES),
        today=local_date(now, manager_tz),
        now=now,
        seen_unscheduled=meta.get("seen") if isinstance(meta.get("seen"), int) else None,
    )
    ack()
    deliver_soon(db)


def _id_or_none(value: Any) -> str | None:
    """An id from private_metadata, as text; anything else (a list, an object) is no id."""
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None


def record_thread_reply(
    db: Session, client: WebClient, actor: Actor, event: dict[str, Any]
) -> bool:
    """Keep a DM reply to a check-in prompt as that check-in's answer; False if it is not one."""
    prompt = prompt_for_message(
        db, event["channel"], actor.user_id, thread_ts=event.get("thread_ts"), ts=event["ts"]
    )
    if prompt is None or prompt.checkin_id is None:
        return False
    checkin = checkins.record_reply(db, actor, prompt.checkin_id, event.get("text") or "", utcnow())
    answered = _answered_prompt(prompt, checkin)
    thanks = say(ANSWERS, "reply_kept", occurrence=occurrence_label(checkin))
    client.chat_postMessage(
        channel=event["channel"],
        thread_ts=prompt.message_ts,
        text=discreet_text(),
        blocks=[section(thanks)],
    )
    client.chat_update(**answered)
    return True
