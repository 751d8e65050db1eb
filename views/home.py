"""The App Home tab: one section per role a person holds, composed."""

from __future__ import annotations

from typing import Any

from services.home import HomeData
from views.approval import review_value
from views.browse import draft_words, plan_line_text
from views.checkins import ask_hr_button, occurrence_label
from views.common import actions, button, context, divider, escape, header, section
from views.help import help_blocks
from views.ids import Action, Block
from views.plan_messages import fmt_date, help_line, split_sections

HOME_MAX_BLOCKS = 100


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
            f"{n}. {escape(g.description)} · due {fmt_date(g.due_date)}"
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
                f"*{plan.public_id}* · <@{plan.employee_id}> · {draft_words(plan)}\n"
                f"{fmt_date(plan.start_date)} to {fmt_date(plan.end_date)}",
                accessory=button(Action.SHOW_PLAN, "Show", plan.public_id),
            )
        )
    blocks.append(context("An employee sees nothing of a draft until it is sent."))
    return blocks


def _approval_blocks(data: HomeData) -> list[dict[str, Any]]:
    if not data.awaiting_approval:
        return []
    blocks: list[dict[str, Any]] = [header("Waiting for HR approval")]
    for plan in data.awaiting_approval:
        blocks.append(
            section(
                f"*{plan.public_id}* · <@{plan.employee_id}> with <@{plan.manager_id}> · "
                f"{fmt_date(plan.start_date)} to {fmt_date(plan.end_date)}",
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
        blocks.append(context(f"And {more} more: `/pip list drafts` shows them all."))
    return blocks


def _manager_blocks(data: HomeData) -> list[dict[str, Any]]:
    if not data.managing:
        return []
    blocks: list[dict[str, Any]] = [header("Plans you run")]
    for checkin in data.to_review:
        blocks.append(
            section(
                f":inbox_tray: <@{checkin.plan.employee_id}> answered "
                f"{occurrence_label(checkin)} on *{checkin.plan.public_id}*.",
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
        blocks.append(context(f"And {more} more: `/pip list` shows them all."))
    return blocks


def _hr_blocks(data: HomeData) -> list[dict[str, Any]]:
    if data.org is None:
        return []
    org = data.org
    return [
        header("Organisation"),
        section(
            f"*Open plans:* {org.open_plans}\n"
            f"*Awaiting acknowledgement:* {org.not_acknowledged}\n"
            f"*Missed check-ins:* {org.missed_checkins}\n"
            f"*Check-ins awaiting review:* {org.awaiting_review}\n"
            f"*Ending within 7 days:* {org.ending_this_week}"
            + (f"\n*On legal hold:* {org.on_legal_hold}" if org.on_legal_hold else "")
        ),
        *[
            section(
                f":warning: *{plan.public_id}* · <@{plan.employee_id}> with "
                f"<@{plan.manager_id}> · {escape(label)}",
                accessory=button(Action.SHOW_PLAN, "Show", plan.public_id),
            )
            for label, plan in org.attention
        ],
        context("`/pip list active` lists every open plan; `/pip report` gives the figures."),
    ]


def home_view(data: HomeData, hr_contact: str = "") -> dict[str, Any]:
    """The Home tab: the person's own plan, the plans they run, HR's figures, then help."""
    blocks: list[dict[str, Any]] = [header("PIP Bot")]
    blocks += _own_blocks(data, hr_contact) + _draft_blocks(data) + _manager_blocks(data)
    blocks += _approval_blocks(data) + _hr_blocks(data)
    if len(blocks) == 1:
        blocks.append(context("You have no open plans."))
    blocks.append(divider())
    blocks += help_blocks()
    return {"type": "home", "blocks": blocks[:HOME_MAX_BLOCKS]}
