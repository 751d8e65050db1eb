"""Changing plans: `/pip edit` (an amendment with a reason) and `/pip extend`."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from handlers.commands import form_command
from handlers.context import FORM_KEY, Listeners, deliver_soon, plan_recipients
from models import utcnow
from services import plans
from services.access import Actor, Permission
from services.amend import amend_plan, draft_from_plan, extend_plan
from services.calendar import local_date
from services.errors import InvalidPlan
from services.pauses import refuse_if_paused
from views.amend import extend_modal, read_extension
from views.form_meta import form_meta
from views.ids import Callback
from views.plan_form import (
    edit_plan_modal,
    form_reason,
    form_unreadable,
    read_plan_form,
)


def register(app: Listeners) -> None:
    """Listen for the edit and extend forms."""
    app.view(Callback.EDIT_PLAN)(handle_edit_submit)
    app.view(Callback.EXTEND)(handle_extend_submit)


@form_command("edit")
def edit_form(
    db: Session, client: WebClient, context: BoltContext, actor: Actor, public_id: str
) -> dict[str, Any]:
    """`/pip edit <id>`: the plan form, prefilled, with a required reason."""
    plan = plans.get_plan(db, actor, public_id, Permission.AMEND)
    refuse_if_paused(plan)
    return edit_plan_modal(
        draft_from_plan(plan),
        plan.public_id,
        plan.employee_id,
        [g.id for g in plan.goals],
        key=context[FORM_KEY],
    )


@form_command("extend")
def extend_form(
    db: Session, client: WebClient, context: BoltContext, actor: Actor, public_id: str
) -> dict[str, Any]:
    """`/pip extend <id>`: a new end date and a reason."""
    plan = plans.get_plan(db, actor, public_id, Permission.EXTEND)
    refuse_if_paused(plan)
    return extend_modal(plan)


def handle_edit_submit(
    ack: Ack,
    view: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    actor: Actor,
    db: Session,
) -> None:
    """Save the amendment; the employee is told what changed and asked to acknowledge again."""
    meta = form_meta(view, context[FORM_KEY])
    if meta is None:
        raise InvalidPlan({"form": form_unreadable()})
    plan = plans.get_plan(db, actor, meta.plan_id or "", Permission.AMEND)
    draft, slots = read_plan_form(view, meta)
    now = utcnow()
    recipients = plan_recipients(db, client, plan, context)
    amend_plan(
        db,
        actor,
        plan.public_id,
        draft=draft,
        goal_ids=[meta.goal_ids.get(slot) for slot in slots],
        reason=form_reason(view),
        recipients=recipients,
        today=local_date(now, recipients.manager_tz),
        now=now,
    )
    ack()
    deliver_soon(db)


def handle_extend_submit(
    ack: Ack,
    view: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    actor: Actor,
    db: Session,
) -> None:
    """Save the extension and tell the employee and the HR channel."""
    plan = plans.get_plan(db, actor, view.get("private_metadata", ""), Permission.EXTEND)
    new_end, reason = read_extension(view)
    now = utcnow()
    extend_plan(
        db,
        actor,
        plan.public_id,
        new_end=new_end,
        reason=reason,
        recipients=plan_recipients(db, client, plan, context),
        now=now,
    )
    ack()
    deliver_soon(db)
