"""Ending plans: `/pip close` and the Record outcome button, and the closing form."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.commands import form_command
from handlers.context import Listeners, deliver_soon, open_modal
from models import Checkin, utcnow
from services import plans
from services.access import Actor, Permission, may
from services.calendar import local_date
from services.close import close_plan
from services.errors import UsageError
from slackio.directory import Directory
from views.amend import extend_modal
from views.close import close_modal, read_closing
from views.ids import Action, Callback


def register(app: Listeners) -> None:
    """Listen for the Record outcome button and the closing form."""
    app.action(Action.RECORD_OUTCOME)(handle_outcome_button)
    app.action(Action.EXTEND_INSTEAD)(handle_extend_instead)
    app.view(Callback.CLOSE)(handle_close_submit)


def _close_view(db: Session, client: WebClient, actor: Actor, public_id: str) -> dict[str, Any]:
    plan = plans.get_plan(db, actor, public_id, Permission.CLOSE)
    if plan.outcome is not None:
        raise UsageError(f"Plan {plan.public_id} is already closed ({plan.outcome.value}).")
    checkins = list(
        db.scalars(
            select(Checkin).where(Checkin.plan_id == plan.id).order_by(Checkin.occurrence_date)
        )
    )
    today = local_date(utcnow(), Directory(client).tz(db, actor.user_id))
    return close_modal(plan, checkins, today, can_extend=may(actor, Permission.EXTEND, plan))


@form_command("close")
def close_form(
    db: Session, client: WebClient, context: BoltContext, actor: Actor, public_id: str
) -> dict[str, Any]:
    """`/pip close <id>`: the closing form."""
    return _close_view(db, client, actor, public_id)


def handle_outcome_button(
    ack: Ack, body: dict[str, Any], client: WebClient, actor: Actor, db: Session
) -> None:
    """The end-of-plan prompt's Record outcome button: the closing form."""
    view = _close_view(db, client, actor, body["actions"][0]["value"])
    open_modal(ack, client, body["trigger_id"], view)


def handle_extend_instead(
    ack: Ack, body: dict[str, Any], client: WebClient, actor: Actor, db: Session
) -> None:
    """The closing form's Extend instead button: the form becomes the extension form."""
    plan = plans.get_plan(db, actor, body["actions"][0]["value"], Permission.EXTEND)
    view = extend_modal(plan)
    ack()
    client.views_update(view_id=body["view"]["id"], hash=body["view"].get("hash"), view=view)


def handle_close_submit(
    ack: Ack,
    view: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    actor: Actor,
    db: Session,
) -> None:
    """Close the plan."""
    plan = plans.get_plan(db, actor, view.get("private_metadata", ""), Permission.CLOSE)
    closing = read_closing(view)
    now = utcnow()
    today = local_date(now, Directory(client).tz(db, actor.user_id))
    close_plan(
        db,
        actor,
        plan.public_id,
        closing,
        hr_channel_id=context["settings"].hr_channel_id,
        today=today,
        now=now,
    )
    ack()
    deliver_soon(db)
