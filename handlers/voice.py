"""The employee's voice to HR: Ask HR to review (button and form), and HR's Read buttons."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from handlers.context import Listeners, deliver_soon, hr_recipients, open_modal
from models import utcnow
from services import voice
from services.access import Actor
from views import state
from views.ids import Action, Block, Callback
from views.voice import ask_hr_modal, parse_read_value, voice_modal


def register(app: Listeners) -> None:
    """Listen for Ask HR to review, its form, and HR's Read buttons."""
    app.action(Action.ASK_HR)(handle_ask_hr_open)
    app.view(Callback.ASK_HR)(handle_ask_hr_submit)
    app.action(Action.READ_VOICE)(handle_read_voice)


def handle_ask_hr_open(
    ack: Ack,
    body: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    actor: Actor,
    db: Session,
) -> None:
    """The employee's form for HR; anyone else gets the answer for a missing plan."""
    plan = voice.plan_to_ask_about(db, actor, body["actions"][0]["value"])
    view = ask_hr_modal(plan, context["settings"].hr_contact)
    open_modal(ack, client, body["trigger_id"], view)


def handle_ask_hr_submit(
    ack: Ack, view: dict[str, Any], context: BoltContext, actor: Actor, db: Session
) -> None:
    """Record the request in the history, send it to HR and confirm it to the employee."""
    to_hr = hr_recipients(context, besides=actor.user_id)  # before the database is touched
    voice.ask_hr(
        db,
        actor,
        view.get("private_metadata", ""),
        state.text(view, Block.ASK_HR_TEXT, Action.ASK_HR_TEXT),
        hr_recipients=to_hr,
        now=utcnow(),
    )
    ack()
    deliver_soon(db)


def handle_read_voice(
    ack: Ack, body: dict[str, Any], client: WebClient, actor: Actor, db: Session
) -> None:
    """HR opens what the employee wrote (their response or their request)."""
    public_id, sequence = parse_read_value(body["actions"][0]["value"])
    plan, kind, text = voice.voice_for_hr(db, actor, public_id, sequence)
    open_modal(ack, client, body["trigger_id"], voice_modal(plan, kind, text))
