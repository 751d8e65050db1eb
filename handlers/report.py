"""`/pip report` (HR only): the organisation's figures here, the per-plan CSV in your DM."""

from __future__ import annotations

import tempfile
from pathlib import Path

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from db import begin_read
from handlers.commands import subcommand
from handlers.context import Listeners
from models import utcnow
from services.access import Actor
from services.calendar import local_date
from services.errors import UsageError
from services.report import require_report_access, write_report
from slackio.directory import Directory
from slackio.files import upload_file
from views.close import report_message
from views.prose import ANSWERS, say


def register(app: Listeners) -> None:
    """The subcommand registers itself with the `/pip` router."""


@subcommand("report")
def handle_command_report(
    ack: Ack,
    args: str,
    client: WebClient,
    respond: Respond,
    actor: Actor,
    db: Session,
) -> None:
    """`/pip report` (HR only): acknowledged at once; the figures follow here, the per-plan
    CSV in your DM (written to a file chunk by chunk, so memory stays flat)."""
    if args:
        raise UsageError(say(ANSWERS, "report_no_arguments"))
    require_report_access(actor)
    ack(
        response_type="ephemeral",
        text=say(ANSWERS, "preparing_report"),
    )
    today = local_date(utcnow(), Directory(client).tz(db, actor.user_id))
    db.commit()  # the zone may have been remembered; the long read below begins DEFERRED
    begin_read(db)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"pip-report-{today.isoformat()}.csv"
        with path.open("w", newline="", encoding="utf-8") as out:
            report, groups = write_report(db, actor, today, out)
        respond(response_type="ephemeral", replace_original=False, **report_message(report, groups))
        upload_file(  # streamed from disk: files_upload_v2 would read it all into memory
            client,
            path,
            channel=Directory(client).dm_channel(actor.user_id),
            initial_comment=say(ANSWERS, "report_comment"),
            title="PIP report",
        )
