"""Events API listeners: App Home and direct messages, with Slack's retries deduplicated."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext, BoltResponse
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from db import begin_read
from handlers.checkins import record_thread_reply
from handlers.context import Listeners
from models import utcnow
from services.access import Actor
from services.events import first_sighting
from services.home import home_data
from views.common import section
from views.home import home_view
from views.plan_messages import discreet_text
from views.prose import ANSWERS, say


def register(app: Listeners) -> None:
    """Listen for `app_home_opened` and `message` (im), ignoring retried event ids."""
    app.middleware(skip_retried_events)
    app.event("app_home_opened")(handle_home_opened)
    app.event({"type": "message", "channel_type": "im"})(handle_direct_message)


def skip_retried_events(
    body: dict[str, Any], db: Session, next: Callable[[], None]
) -> BoltResponse | None:
    """Answer 200 without handling an event id that was already handled."""
    event_id = body.get("event_id") if body.get("type") == "event_callback" else None
    if event_id:
        first = first_sighting(db, str(event_id))
        db.commit()  # the listener runs on another thread, later: hold nothing until then
        if not first:
            return BoltResponse(status=200, body="")
    next()
    return None


def handle_home_opened(
    event: dict[str, Any], client: WebClient, context: BoltContext, actor: Actor, db: Session
) -> None:
    """Publish the person's Home tab."""
    if event.get("tab", "home") != "home":
        return
    begin_read(db)
    view = home_view(home_data(db, actor, utcnow()), context["settings"].hr_contact)
    client.views_publish(user_id=actor.user_id, view=view)


def handle_direct_message(
    event: dict[str, Any], client: WebClient, actor: Actor, db: Session
) -> None:
    """Keep a reply to a check-in prompt as the answer; otherwise say where the commands are."""
    if event.get("bot_id") or event.get("subtype") or not event.get("user"):
        return
    if record_thread_reply(db, client, actor, event):
        return
    about = say(ANSWERS, "about")
    client.chat_postMessage(
        channel=event["channel"],
        thread_ts=event.get("thread_ts"),
        text=discreet_text(),
        blocks=[section(about)],
    )
