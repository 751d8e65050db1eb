"""Pausing and resuming plans: `/pip pause` (a form) and `/pip resume`."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from handlers.commands import form_command, plan_argument, subcommand
from handlers.context import deliver_soon, plan_recipients, transactional
from models import utcnow
from services import pauses, plans
from services.access import Action as Permission
from services.access import Actor
from views.ids import Callback
from views.pause import pause_modal, read_pause, resumed_answer


def register(app: App) -> None:
    """Listen for the pause form."""
    app.view(Callback.PAUSE)(handle_pause_submit)


@form_command("pause")
def pause_form(
    db: Session, client: WebClient, context: BoltContext, public_id: str
) -> dict[str, Any]:
    """`/pip pause <id>`: the pause form (reason, resume date, what the employee hears)."""
    plan = plans.get_plan(db, context["actor"], public_id, Permission.PAUSE)
    pauses.require_pausable(plan, db)
    return pause_modal(plan)


@transactional
def handle_pause_submit(
    ack: Ack,
    view: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    actor: Actor,
    db: Session,
) -> None:
    """Pause the plan; the employee, the manager and HR are told."""
    plan = plans.get_plan(db, actor, view.get("private_metadata", ""), Permission.PAUSE)
    recipients = plan_recipients(db, client, plan, context)
    pauses.pause_plan(
        db, actor, plan.public_id, read_pause(view), recipients=recipients, now=utcnow()
    )
    db.commit()
    ack()
    deliver_soon(db)


@subcommand("resume")
def handle_command_resume(
    ack: Ack,
    args: str,
    client: WebClient,
    context: BoltContext,
    db: Session,
    **_: Any,
) -> None:
    """`/pip resume <id>`: restart a paused plan now, with its end date moved."""
    actor: Actor = context["actor"]
    plan = plans.get_plan(db, actor, plan_argument(args, "resume"), Permission.RESUME)
    recipients = plan_recipients(db, client, plan, context)
    pause = pauses.resume_plan(db, actor, plan.public_id, recipients=recipients, now=utcnow())
    upcoming = pauses.next_checkin(db, plan, recipients, pause.restart_on or plan.start_date)
    text = resumed_answer(plan, pause, upcoming)
    db.commit()
    ack(response_type="ephemeral", text=text)
    deliver_soon(db)
