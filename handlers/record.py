"""The record's integrity and keeping: `/pip verify`, `/pip hold`, `/pip release`."""

from __future__ import annotations

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from handlers.commands import plan_argument, subcommand
from handlers.context import Listeners
from models import utcnow
from services import plans, retention, seals
from services.access import Actor, Permission
from services.export import format_day
from services.users import last_known
from services.verify import verify_plan
from slackio.witnesses import WitnessReader
from views.prose import ANSWERS, say
from views.record import verdict_text


def register(app: Listeners) -> None:
    """The subcommands register themselves with the `/pip` router."""


@subcommand("verify")
def handle_command_verify(
    ack: Ack,
    args: str,
    client: WebClient,
    context: BoltContext,
    respond: Respond,
    actor: Actor,
    db: Session,
) -> None:
    """`/pip verify <id>` (manager and HR): the history against the sealed copies in Slack."""
    plan = plans.get_plan(db, actor, plan_argument(args, "verify"), Permission.VERIFY)
    public_id, employee_id, opened = plan.public_id, plan.employee_id, plan.created_at
    known_dm = seals.employee_channel(db, plan.id, employee_id)
    ack(
        response_type="ephemeral",
        text=say(ANSWERS, "verifying", plan_id=public_id),
    )
    reader = WitnessReader(client, context["settings"].hr_channel_id, since=opened)
    witnesses = reader.for_plan(public_id, employee_id, known_dm)
    plan = plans.get_plan(db, actor, public_id, Permission.VERIFY)
    verdict = verify_plan(db, plan, witnesses)
    employee = last_known(db, employee_id)
    reader_profile = last_known(db, actor.user_id)
    text = verdict_text(
        verdict,
        employee.display_name if employee else employee_id,
        reader_profile.tz if reader_profile else "UTC",
    )
    for where, error in reader.unreadable.items():
        text += " " + say(ANSWERS, "unreadable", where=where, error=error)
    respond(response_type="ephemeral", replace_original=False, text=text)


@subcommand("hold")
def handle_command_hold(
    ack: Ack, args: str, context: BoltContext, actor: Actor, db: Session
) -> None:
    """`/pip hold <id> <reason>` (HR only): keep a plan past retention until released."""
    public_id, _, reason = args.partition(" ")
    plan = retention.hold(db, actor, plan_argument(public_id, "hold"), reason, utcnow())
    days = context["settings"].retention_days
    held_on = format_day(plan.legal_hold_at.date()) if plan.legal_hold_at else ""
    text = say(
        ANSWERS,
        "on_hold",
        plan_id=plan.public_id,
        since=held_on,
        policy=retention.policy_name(days) if days else None,
    )
    ack(response_type="ephemeral", text=text)


@subcommand("release")
def handle_command_release(
    ack: Ack, args: str, context: BoltContext, actor: Actor, db: Session
) -> None:
    """`/pip release <id>` (HR only): end the legal hold; retention applies again."""
    plan = retention.release(db, actor, plan_argument(args, "release"), utcnow())
    days = context["settings"].retention_days
    text = say(
        ANSWERS,
        "released",
        plan_id=plan.public_id,
        policy=retention.policy_name(days) if days else None,
    )
    ack(response_type="ephemeral", text=text)
