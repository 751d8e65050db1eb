"""What the end of a plan says: the outcome prompt, its nudges, the outcome and the record."""

from __future__ import annotations

from typing import Any

from models import Plan
from scheduler.messages import Attachment, Outgoing, RenderContext, Skip, plan_of
from services.access import Actor
from services.export import export_filename, plan_record, render_html, render_markdown
from services.export_pdf import render_pdf
from services.schedule import OUTCOME_OVERDUE_BUSINESS_DAYS
from services.status_text import final_result_label
from views.common import plain, section
from views.ids import Action, Block
from views.plan_messages import fmt_date, split_sections
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


def _outcome_prompt(ctx: RenderContext, template: str) -> Outgoing:
    plan = plan_of(ctx)
    text = render(
        template,
        plan_id=plan.public_id,
        employee=mention(plan.employee_id),
        end=fmt_date(plan.end_date),
    )
    return Outgoing(text=text, blocks=[section(text), _outcome_button(plan)])


def end_of_plan(ctx: RenderContext) -> Outgoing | Skip:
    """To the manager on the end date: time to record the outcome."""
    return _outcome_prompt(ctx, "end_of_plan")


def outcome_reminder(ctx: RenderContext) -> Outgoing | Skip:
    """To the manager: the outcome is still not recorded."""
    return _outcome_prompt(ctx, "outcome_reminder")


def outcome_overdue(ctx: RenderContext) -> Outgoing | Skip:
    """To HR: days after the end date, no outcome is recorded."""
    plan = plan_of(ctx)
    text = render(
        "outcome_overdue",
        plan_id=plan.public_id,
        employee=mention(plan.employee_id),
        manager=mention(plan.manager_id),
        end=fmt_date(plan.end_date),
        days=OUTCOME_OVERDUE_BUSINESS_DAYS,
    )
    return Outgoing(text=text, blocks=[section(text)])


def _final_goals(plan: Plan, payload: dict[str, Any]) -> list[dict[str, object]]:
    """Each goal's final status as the closing recorded it, in the plan's order."""
    statuses = {int(g["goal_id"]): g.get("status") for g in payload.get("goals", [])}
    goals: list[dict[str, object]] = []
    for number, goal in enumerate(plan.goals, start=1):
        raw = statuses.get(goal.id)
        if raw:
            status = final_result_label(raw)
            goals.append({"number": number, "description": goal.description, "status": status})
    return goals


def _outcome_facts(ctx: RenderContext, plan: Plan, detail: bool) -> dict[str, object]:
    if plan.outcome is None or plan.outcome_effective_date is None:
        raise LookupError(f"plan {plan.public_id} has no outcome")  # the sender fails it
    return {
        "plan_id": plan.public_id,
        "employee": mention(plan.employee_id),
        "manager": mention(plan.manager_id),
        "outcome": plan.outcome.value,
        "effective": fmt_date(plan.outcome_effective_date),
        "summary": (plan.outcome_summary or "") if detail else "",
        "goals": _final_goals(plan, ctx.delivery.payload) if detail else [],
    }


def outcome_notice(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    """The outcome, to the employee and to the manager, in words that fit it."""
    facts = _outcome_facts(ctx, plan, detail=True)
    if ctx.delivery.recipient_id == plan.employee_id:
        text = render("outcome_employee", hr_contact=ctx.settings.hr_contact, **facts)
    else:
        text = render("outcome_manager", **facts)
    return Outgoing(text=text, blocks=split_sections(text))


def hr_closed(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    """To HR: the plan ended, and how (the summary too with HR_NOTICE_DETAIL=full)."""
    facts = _outcome_facts(ctx, plan, detail=ctx.settings.hr_notice_detail == "full")
    text = render(
        "hr_closed", start=fmt_date(plan.start_date), end=fmt_date(plan.end_date), **facts
    )
    return Outgoing(text=text, blocks=split_sections(text))


def hr_record(ctx: RenderContext, plan: Plan) -> Outgoing | Skip:
    """To HR: the plan's record as files, as it stands at closing."""
    reader = _record_reader(plan, ctx.settings.hr_notice_detail)
    record = plan_record(ctx.db, reader, plan.public_id, ctx.now)
    text = render("hr_record", plan_id=plan.public_id)
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
