"""What HR is told when the employee responds or asks HR to review, and the employee's receipt."""

from __future__ import annotations

from models import EventKind, Plan
from scheduler.messages import Outgoing, RenderContext, Skip
from services.voice import VOICE_EVENTS, voice_event
from views.common import section
from views.plan_messages import long_sections
from views.prose import mention, render
from views.voice import asked_text, read_button


def hr_voice(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    """To HR: what the employee wrote (a response, or a request to review), or a button to it."""
    sequence = int(ctx.delivery.payload.get("sequence", 0))
    event = voice_event(ctx.db, plan, sequence)
    if event is None:
        return Skip("nothing written")
    head = render(
        "hr_voice",
        kind=event.kind,
        employee=mention(plan.employee_id),
        manager=mention(plan.manager_id),
        plan_id=plan.public_id,
    )
    if ctx.settings.hr_notice_detail == "full":
        text = str(event.data.get(VOICE_EVENTS[EventKind(event.kind)], ""))
        return Outgoing(text=head, blocks=[section(head), *long_sections("", text)[:45]])
    label = "Read the response" if event.kind == EventKind.RESPONDED else "Read the request"
    return Outgoing(text=head, blocks=[section(head), read_button(plan, sequence, label)])


def asked_receipt(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    """To the employee: their request to HR was passed on."""
    text = asked_text(plan, ctx.settings.hr_contact)
    return Outgoing(text=text, blocks=[section(text)])
