"""`/pip export`: the whole record of a plan as PDF, HTML and Markdown, in your DM."""

from __future__ import annotations

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from db import begin_read
from handlers.commands import plan_argument, subcommand
from handlers.context import Listeners, off_thread
from models import utcnow
from services import plans
from services.access import Actor, Permission
from services.export import export_filename, plan_record, render_html, render_markdown
from services.export_pdf import render_pdf
from slackio.directory import Directory
from slackio.files import SharedFiles
from views.prose import ANSWERS, say


def register(app: Listeners) -> None:
    """The subcommand registers itself with the `/pip` router."""


@subcommand("export")
def handle_command_export(
    ack: Ack,
    args: str,
    client: WebClient,
    context: BoltContext,
    actor: Actor,
    db: Session,
) -> None:
    """`/pip export <id>`: the whole record as PDF, HTML and Markdown, uploaded into your DM.

    Access is checked before the acknowledgement (a refusal is the answer); the record is
    read and rendered after it, so a long plan never keeps Slack waiting. Each file goes to
    Slack (on a small pool, with the plain client: the session stays on this thread) while
    the next is rendered; one message then shares all three.
    """
    settings = context["settings"]
    begin_read(db)
    plan = plans.get_plan(db, actor, plan_argument(args, "export"), Permission.EXPORT)
    public_id = plan.public_id
    ack(
        response_type="ephemeral",
        text=say(ANSWERS, "preparing_record", plan_id=public_id),
    )
    begin_read(db)
    record = plan_record(db, actor, public_id, utcnow())
    db.commit()  # the read ends here: the renders and uploads below touch no database
    with SharedFiles(off_thread(client)) as files:
        channel = files.beside(Directory(files.client).dm_channel, actor.user_id)
        pdf = render_pdf(record, org_name=settings.org_name, paper_size=settings.paper_size)
        files.add(pdf, filename=export_filename(record, "pdf"), title=f"{public_id} record (PDF)")
        files.add(
            render_html(record),
            filename=export_filename(record, "html"),
            title=f"{public_id} record (HTML)",
        )
        files.add(
            render_markdown(record),
            filename=export_filename(record, "md"),
            title=f"{public_id} record (Markdown)",
        )
        files.share(
            channel=channel.result(),
            initial_comment=say(ANSWERS, "record_comment", plan_id=public_id),
        )
