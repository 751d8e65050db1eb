"""What HR is told when the employee responds or asks HR to review, and the employee's receipt."""

from __future__ import annotations

from models import Plan
from scheduler.messages import Outgoing, RenderContext, Skip, hr_notice, notice
from services.voice import VOICE_EVENTS, voice_event
from views.common import section
from views.plan_messages import long_sections
from views.prose import mention
from views.voice import asked_text, read_button

_WHAT = {"responded": "wrote a response to", "hr_review_requested": "asked HR to review"}


def _voice(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    sequence = int(ctx.delivery.payload.get("sequence", 0))
    event = voice_event(ctx.db, plan, sequence)
    if event is None:
        return Skip("nothing written")
    head = (
        f":speech_balloon: {mention(plan.employee_id)} {_WHAT[event.kind]} plan "
        f"*{plan.public_id}* (managed by {mention(plan.manager_id)})."
    )
    if ctx.settings.hr_notice_detail == "full":
        text = str(event.data.get(VOICE_EVENTS[event.kind], ""))
        return Outgoing(text=head, blocks=[section(head), *long_sections("", text)[:45]])
    label = "Read the response" if event.kind == "responded" else "Read the request"
    return Outgoing(text=head, blocks=[section(head), read_button(plan, sequence, label)])


@hr_notice("responded")
def _responded(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    return _voice(ctx, plan)


@hr_notice("ask_hr")
def _asked(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    return _voice(ctx, plan)


@notice("ask_hr_sent")
def _asked_receipt(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    text = asked_text(plan, ctx.settings.hr_contact)
    return Outgoing(text=text, blocks=[section(text)])
