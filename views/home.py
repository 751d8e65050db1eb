"""The App Home tab: one section per role a person holds, composed."""

from __future__ import annotations

from typing import Any

from services.home import HomeData
from services.status_text import fmt_date, plan_status_text
from views.approval import review_value
from views.browse import plan_line_text
from views.checkins import ask_hr_button, occurrence_label
from views.common import actions, button, context, divider, header, section
from views.help import help_blocks
from views.ids import Action, Block
from views.plan_messages import help_line, split_sections
from views.prose import mention, say

HOME_MAX_BLOCKS = 100
SURFACE = "views/home"


def _own_blocks(data: HomeData, hr_contact: str) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for own in data.own:
        plan = own.line.plan
        blocks.append(header("Your plan"))
        blocks.append(
            section(
                plan_line_text(own.line, plan.employee_id),
                accessory=button(Action.SHOW_PLAN, "Show", plan.public_id),
            )
        )
        goals = "\n".join(
            say(SURFACE, "goal_line", number=n, description=g.description, due=fmt_date(g.due_date))
            for n, g in enumerate(plan.goals, start=1)
        )
        blocks += split_sections(f"*Goals*\n{goals}")
        elements = [ask_hr_button(plan.public_id)]
        if own.open_checkin is not None:
            check_in = button(
                Action.CHECK_IN,
                f"Check in: {fmt_date(own.open_checkin.occurrence_date)}",
                str(own.open_checkin.id),
                primary=True,
            )
            elements.insert(0, check_in)
        block_id = f"{Block.HOME_ACTIONS}:{own.open_checkin.id if own.open_checkin else plan.id}"
        blocks.append(actions(block_id, *elements))
        blocks.append(context(help_line(hr_contact)))
    return blocks


def _draft_blocks(data: HomeData) -> list[dict[str, Any]]:
    if not data.drafts:
        return []
    blocks: list[dict[str, Any]] = [header("Your drafts")]
    for plan in data.drafts:
        blocks.append(
            section(
                say(
                    SURFACE,
                    "draft_line",
                    plan_id=plan.public_id,
                    employee=mention(plan.employee_id),
                    status=plan_status_text(plan),
                    start=fmt_date(plan.start_date),
                    end=fmt_date(plan.end_date),
                ),
                accessory=button(Action.SHOW_PLAN, "Show", plan.public_id),
            )
        )
    blocks.append(context(say(SURFACE, "drafts_unseen")))
    return blocks


def _approval_blocks(data: HomeData) -> list[dict[str, Any]]:
    if not data.awaiting_approval:
        return []
    blocks: list[dict[str, Any]] = [header("Waiting for HR approval")]
    for plan in data.awaiting_approval:
        blocks.append(
            section(
                say(
                    SURFACE,
                    "approval_line",
                    plan_id=plan.public_id,
                    employee=mention(plan.employee_id),
                    manager=mention(plan.manager_id),
                    start=fmt_date(plan.start_date),
                    end=fmt_date(plan.end_date),
                ),
                accessory=button(
                    Action.REVIEW_DRAFT,
                    "Review",
                    review_value(plan.public_id, plan.review_round),
                    primary=True,
                ),
            )
        )
    more = data.awaiting_approval_total - len(data.awaiting_approval)
    if more > 0:
        blocks.append(context(say(SURFACE, "more_drafts", count=more)))
    return blocks


def _manager_blocks(data: HomeData) -> list[dict[str, Any]]:
    if not data.managing:
        return []
    blocks: list[dict[str, Any]] = [header("Plans you run")]
    for checkin in data.to_review:
        blocks.append(
            section(
                say(
                    SURFACE,
                    "to_review",
                    employee=mention(checkin.plan.employee_id),
                    occurrence=occurrence_label(checkin),
                    plan_id=checkin.plan.public_id,
                ),
                accessory=button(Action.LOG_REVIEW, "Log review", str(checkin.id)),
            )
        )
    for line in data.managing:
        blocks.append(
            section(
                plan_line_text(line, line.plan.manager_id),
                accessory=button(Action.SHOW_PLAN, "Show", line.plan.public_id),
            )
        )
    if data.managing_total > len(data.managing):
        more = data.managing_total - len(data.managing)
        blocks.append(context(say(SURFACE, "more_plans", count=more)))
    return blocks


def _hr_blocks(data: HomeData) -> list[dict[str, Any]]:
    if data.org is None:
        return []
    org = data.org
    return [
        header("Organisation"),
        section(
            say(
                SURFACE,
                "org_figures",
                open_plans=org.open_plans,
                not_acknowledged=org.not_acknowledged,
                missed=org.missed_checkins,
                awaiting_review=org.awaiting_review,
                ending=org.ending_this_week,
                on_hold=org.on_legal_hold,
            )
        ),
        *[
            section(
                say(
                    SURFACE,
                    "attention",
                    plan_id=plan.public_id,
                    employee=mention(plan.employee_id),
                    manager=mention(plan.manager_id),
                    label=label,
                ),
                accessory=button(Action.SHOW_PLAN, "Show", plan.public_id),
            )
            for label, plan in org.attention
        ],
        context(say(SURFACE, "org_commands")),
    ]


def home_view(data: HomeData, hr_contact: str = "") -> dict[str, Any]:
    """The Home tab: the person's own plan, the plans they run, HR's figures, then help."""
    blocks: list[dict[str, Any]] = [header("PIP Bot")]
    blocks += _own_blocks(data, hr_contact) + _draft_blocks(data) + _manager_blocks(data)
    blocks += _approval_blocks(data) + _hr_blocks(data)
    if len(blocks) == 1:
        blocks.append(context(say(SURFACE, "no_plans")))
    blocks.append(divider())
    # Someone whose only part is their own plan sees only what an employee can do.
    only_employee = bool(data.own) and not (
        data.drafts or data.managing or data.awaiting_approval or data.org is not None
    )
    blocks += help_blocks(employee=only_employee)
    return {"type": "home", "blocks": blocks[:HOME_MAX_BLOCKS]}
