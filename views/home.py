"""The App Home tab."""

from __future__ import annotations

from typing import Any

from services.plans import HomeSummary
from views.common import context, divider, escape, header, section
from views.help import help_blocks

HOME_MAX_BLOCKS = 100


def home_view(summary: HomeSummary) -> dict[str, Any]:
    """The Home tab for one person: the plans they run, their own plan, HR figures, help."""
    blocks: list[dict[str, Any]] = [header("PIP Bot")]
    if summary.managing:
        blocks.append(section("*Plans you manage*"))
        for plan in summary.managing:
            blocks.append(
                section(
                    f"*{plan.public_id}* · <@{plan.employee_id}> · {plan.status.value} · "
                    f"{plan.start_date:%d %b %Y} to {plan.end_date:%d %b %Y}"
                )
            )
    if summary.own:
        blocks.append(section("*Your plan*"))
        for plan in summary.own:
            blocks.append(
                section(
                    f"*{plan.public_id}* with <@{plan.manager_id}> · "
                    f"{plan.start_date:%d %b %Y} to {plan.end_date:%d %b %Y}"
                )
            )
    if summary.is_hr:
        counts = ", ".join(f"{escape(k)}: {v}" for k, v in sorted(summary.open_by_status.items()))
        blocks.append(section(f"*Organisation*\n{counts or 'No plans yet.'}"))
    if len(blocks) == 1:
        blocks.append(context("You have no open plans."))
    blocks.append(divider())
    blocks.extend(help_blocks())
    return {"type": "home", "blocks": blocks[:HOME_MAX_BLOCKS]}
