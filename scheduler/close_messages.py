"""What the end of a plan says: the outcome prompt, its nudges, the outcome and the record."""

from __future__ import annotations

from models import DeliveryKind, Plan
from scheduler.messages import (
    Attachment,
    Outgoing,
    RenderContext,
    Skip,
    hr_notice,
    notice,
    plan_of,
    renders,
)
from services.access import Actor
from services.close import OUTCOME_LABELS
from services.export import export_filename, plan_record, render_html, render_markdown
from services.export_pdf import render_pdf
from services.status_text import final_result_label
from views.common import escape, plain, section
from views.ids import Action, Block
from views.plan_messages import fmt_date, long_sections, split_sections
from views.prose import mention, render


def _record_reader(plan: Plan, detail: str) -> Actor:
    """Whose view of the record goes to the HR channel.

    With HR_NOTICE_DETAIL=full, HR's (private notes included); otherwise the record without
    private notes, since the channel may hold people who are not in HR_USER_IDS.
    """
    return Actor("system", is_hr=True) if detail == "full" else Actor(plan.employee_id)


def _outcome_button(plan: Plan) -> dict[str, object]:
    return {
        "type": "actions",
        "block_id": Block.PLAN_ACTIONS,
        "elements": [
            {
                "type": "button",
                "action_id": Action.RECORD_OUTCOME,
                "text": plain("Record outcome"),
                "style": "primary",
                "value": plan.public_id,
            }
        ],
    }


@renders(DeliveryKind.END_OF_PLAN)
def _end_of_plan(ctx: RenderContext) -> Outgoing | Skip:
    plan = plan_of(ctx)
    text = render(
        "end_of_plan",
        plan_id=plan.public_id,
        employee=mention(plan.employee_id),
        end=fmt_date(plan.end_date),
    )
    return Outgoing(text=text, blocks=[section(text), _outcome_button(plan)])


@renders(DeliveryKind.OUTCOME_REMINDER)
def _outcome_reminder(ctx: RenderContext) -> Outgoing | Skip:
    plan = plan_of(ctx)
    text = (
        f":wave: A reminder: plan *{plan.public_id}* with {mention(plan.employee_id)} ended on "
        f"{fmt_date(plan.end_date)} and its outcome is not recorded yet."
    )
    return Outgoing(text=text, blocks=[section(text), _outcome_button(plan)])


@renders(DeliveryKind.OUTCOME_OVERDUE)
def _outcome_overdue(ctx: RenderContext) -> Outgoing | Skip:
    plan = plan_of(ctx)
    text = (
        f":warning: Plan *{plan.public_id}* ({mention(plan.employee_id)}, managed by "
        f"{mention(plan.manager_id)}) ended on {fmt_date(plan.end_date)}; no outcome has been "
        "recorded 5 business days later."
    )
    return Outgoing(text=text, blocks=[section(text)])


def _final_goals(plan: Plan, payload: dict[str, object]) -> str:
    statuses = {
        int(g["goal_id"]): g.get("status")  # type: ignore[index]
        for g in payload.get("goals", [])  # type: ignore[attr-defined]
    }
    lines = []
    for number, goal in enumerate(plan.goals, start=1):
        raw = statuses.get(goal.id)
        if raw:
            label = final_result_label(raw)
            lines.append(f"{number}. {escape(goal.description)}: {label}")
    return "\n".join(lines)


def _outcome_text(plan: Plan) -> str:
    if plan.outcome is None or plan.outcome_effective_date is None:
        raise LookupError(f"plan {plan.public_id} has no outcome")  # the sender fails it
    return (
        f"*Outcome:* {OUTCOME_LABELS[plan.outcome]}\n"
        f"*Effective:* {fmt_date(plan.outcome_effective_date)}"
    )


@notice("outcome")
def _outcome_notice(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    for_employee = ctx.delivery.recipient_id == plan.employee_id
    head = (
        f"Your performance improvement plan *{plan.public_id}* is closed."
        if for_employee
        else f":white_check_mark: Plan *{plan.public_id}* with {mention(plan.employee_id)} is "
        "closed. The employee receives the outcome and the summary in a DM."
    )
    blocks = [section(head), section(_outcome_text(plan))]
    blocks += long_sections("Summary", plan.outcome_summary or "")
    goals = _final_goals(plan, ctx.delivery.payload)
    if goals:
        blocks += split_sections("*Final status of each goal*\n" + goals)
    return Outgoing(text=f"{head} {_outcome_text(plan)}", blocks=blocks)


@hr_notice("closed")
def _hr_closed(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    text = (
        f":lock: Plan *{plan.public_id}* closed: {mention(plan.employee_id)} (employee), "
        f"{mention(plan.manager_id)} (manager), {fmt_date(plan.start_date)} to "
        f"{fmt_date(plan.end_date)}.\n{_outcome_text(plan)}"
    )
    blocks = [section(text)]
    if ctx.settings.hr_notice_detail == "full":
        blocks += long_sections("Summary", plan.outcome_summary or "")
        goals = _final_goals(plan, ctx.delivery.payload)
        if goals:
            blocks += split_sections("*Final status of each goal*\n" + goals)
    return Outgoing(text=text, blocks=blocks)


@hr_notice("record")
def _hr_record(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    reader = _record_reader(plan, ctx.settings.hr_notice_detail)
    record = plan_record(ctx.db, reader, plan.public_id, ctx.now)
    text = f"The full record of plan *{plan.public_id}*, as it stands at closing."
    return Outgoing(
        text=text,
        attachments=[
            Attachment(
                export_filename(record, "pdf"),
                render_pdf(
                    record,
                    org_name=ctx.settings.org_name,
                    paper_size=ctx.settings.paper_size,
                ),
                "Plan record (PDF)",
            ),
            Attachment(export_filename(record, "html"), render_html(record), "Plan record (HTML)"),
            Attachment(
                export_filename(record, "md"), render_markdown(record), "Plan record (Markdown)"
            ),
        ],
    )
