"""Ending plans: `/pip close` and the Record outcome button, `/pip export`, `/pip report`."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from db import begin_read
from handlers.commands import plan_argument, subcommand
from handlers.context import deliver_soon, open_modal, transactional
from models import Checkin, utcnow
from services import plans
from services.access import Action as Permission
from services.access import Actor, may
from services.calendar import local_date
from services.close import close_plan
from services.errors import UsageError
from services.export import export_filename, plan_record, render_html, render_markdown
from services.export_pdf import render_pdf
from services.report import csv_chunks, org_report, require_report_access
from slackio.directory import Directory
from views.amend import extend_modal
from views.close import close_modal, read_closing, report_message
from views.ids import Action, Callback
from views.prose import ANSWERS, say


def register(app: App) -> None:
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


@subcommand("close")
def handle_command_close(
    ack: Ack,
    command: dict[str, Any],
    args: str,
    client: WebClient,
    context: BoltContext,
    db: Session,
    **_: Any,
) -> None:
    """`/pip close <id>`: the closing form."""
    view = _close_view(db, client, context["actor"], plan_argument(args, "close"))
    open_modal(ack, client, db, command["trigger_id"], view)


@transactional
def handle_outcome_button(
    ack: Ack, body: dict[str, Any], client: WebClient, actor: Actor, db: Session
) -> None:
    """The end-of-plan prompt's Record outcome button: the closing form."""
    view = _close_view(db, client, actor, body["actions"][0]["value"])
    open_modal(ack, client, db, body["trigger_id"], view)


@transactional
def handle_extend_instead(
    ack: Ack, body: dict[str, Any], client: WebClient, actor: Actor, db: Session
) -> None:
    """The closing form's Extend instead button: the form becomes the extension form."""
    plan = plans.get_plan(db, actor, body["actions"][0]["value"], Permission.EXTEND)
    view = extend_modal(plan)
    db.commit()
    ack()
    client.views_update(view_id=body["view"]["id"], hash=body["view"].get("hash"), view=view)


@transactional
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
    db.commit()
    ack()
    deliver_soon(db)


@subcommand("export")
def handle_command_export(
    ack: Ack,
    args: str,
    client: WebClient,
    context: BoltContext,
    respond: Respond,
    db: Session,
    **_: Any,
) -> None:
    """`/pip export <id>`: the whole record as PDF, HTML and Markdown, uploaded into your DM.

    Access is checked before the acknowledgement (a refusal is the answer); the record is
    read and rendered after it, so a long plan never keeps Slack waiting.
    """
    actor: Actor = context["actor"]
    settings = context["settings"]
    begin_read(db)
    plan = plans.get_plan(db, actor, plan_argument(args, "export"), Permission.EXPORT)
    public_id = plan.public_id
    db.commit()
    ack(
        response_type="ephemeral",
        text=say(ANSWERS, "preparing_record", plan_id=public_id),
    )
    begin_read(db)
    record = plan_record(db, actor, public_id, utcnow())
    db.commit()
    channel = Directory(client).dm_channel(actor.user_id)
    client.files_upload_v2(
        channel=channel,
        initial_comment=say(ANSWERS, "record_comment", plan_id=record.public_id),
        file_uploads=[
            {
                "content": render_pdf(
                    record, org_name=settings.org_name, paper_size=settings.paper_size
                ),
                "filename": export_filename(record, "pdf"),
                "title": f"{record.public_id} record (PDF)",
            },
            {
                "content": render_html(record),
                "filename": export_filename(record, "html"),
                "title": f"{record.public_id} record (HTML)",
            },
            {
                "content": render_markdown(record),
                "filename": export_filename(record, "md"),
                "title": f"{record.public_id} record (Markdown)",
            },
        ],
    )


@subcommand("report")
def handle_command_report(
    ack: Ack,
    args: str,
    client: WebClient,
    context: BoltContext,
    respond: Respond,
    db: Session,
    **_: Any,
) -> None:
    """`/pip report` (HR only): acknowledged at once; the figures follow here, the per-plan
    CSV in your DM (written to a file chunk by chunk, so memory stays flat)."""
    if args:
        raise UsageError(say(ANSWERS, "report_no_arguments"))
    actor: Actor = context["actor"]
    require_report_access(actor)
    ack(
        response_type="ephemeral",
        text=say(ANSWERS, "preparing_report"),
    )
    today = local_date(utcnow(), Directory(client).tz(db, actor.user_id))
    db.commit()  # the zone may have been looked up and remembered: that was the only write
    begin_read(db)
    report = org_report(db, actor, today)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"pip-report-{today.isoformat()}.csv"
        with path.open("w", newline="", encoding="utf-8") as out:
            for chunk in csv_chunks(db, actor, today):
                out.write(chunk)
        db.commit()  # the reads are over before Slack is called
        respond(response_type="ephemeral", replace_original=False, **report_message(report))
        client.files_upload_v2(
            channel=Directory(client).dm_channel(actor.user_id),
            initial_comment=say(ANSWERS, "report_comment"),
            file=str(path),
            filename=path.name,
            title="PIP report",
        )
