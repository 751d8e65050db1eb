"""Looking at plans: `/pip list` and its pages, `/pip show` and its pages."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from db import begin_read
from handlers.commands import form_command, subcommand
from handlers.context import open_modal, transactional
from models import utcnow
from services.access import Actor
from services.browse import Scope, list_plans, parse_scope, plan_detail
from services.lists import ListKey
from views.browse import list_message, show_modal
from views.ids import Action


def register(app: App) -> None:
    """Listen for the list's page buttons and the Show buttons."""
    for action in (Action.LIST_PAGE, Action.LIST_PAGE_BACK):
        app.action(action)(handle_list_page)
    app.action(Action.SHOW_PLAN)(handle_show_button)
    for action in (Action.SHOW_PAGE, Action.SHOW_PAGE_BACK):
        app.action(action)(handle_show_page)


@subcommand("list")
def handle_command_list(ack: Ack, args: str, context: BoltContext, db: Session, **_: Any) -> None:
    """`/pip list [all|active|closed] [page]`: an ephemeral, paged list."""
    scope, page = parse_scope(args)
    begin_read(db)
    message = list_message(list_plans(db, context["actor"], scope, page, utcnow()))
    db.commit()
    ack(response_type="ephemeral", **message)


@transactional
def handle_list_page(
    ack: Ack, body: dict[str, Any], respond: Respond, actor: Actor, db: Session
) -> None:
    """Show another page of the list in place of the one clicked."""
    target = json.loads(body["actions"][0]["value"])
    begin_read(db)
    page = list_plans(
        db,
        actor,
        Scope(target["scope"]),
        int(target["page"]),
        utcnow(),
        after=ListKey.from_json(target.get("after")),
        before=ListKey.from_json(target.get("before")),
    )
    message = list_message(page)
    db.commit()
    ack()
    respond(replace_original=True, response_type="ephemeral", **message)


@form_command("show")
def show_form(
    db: Session, client: WebClient, context: BoltContext, public_id: str
) -> dict[str, Any]:
    """`/pip show <id>`: the whole plan in a modal."""
    begin_read(db)
    return show_modal(plan_detail(db, context["actor"], public_id))


@transactional
def handle_show_button(
    ack: Ack, body: dict[str, Any], client: WebClient, actor: Actor, db: Session
) -> None:
    """A Show button (list or Home): the whole plan in a modal."""
    begin_read(db)
    view = show_modal(plan_detail(db, actor, body["actions"][0]["value"]))
    open_modal(ack, client, db, body["trigger_id"], view)


@transactional
def handle_show_page(
    ack: Ack, body: dict[str, Any], client: WebClient, actor: Actor, db: Session
) -> None:
    """Turn the page of a plan modal (access is checked again for every page)."""
    target = json.loads(body["actions"][0]["value"])
    begin_read(db)
    view = show_modal(plan_detail(db, actor, str(target["plan"])), int(target["page"]))
    db.commit()
    ack()
    client.views_update(view_id=body["view"]["id"], hash=body["view"].get("hash"), view=view)
