"""The closing form (`/pip close` and the Record outcome button) and the report message."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from models import Author, Checkin, Outcome, Plan
from services.checkins import marks_by
from services.close import OUTCOME_LABELS, Closing
from services.report import OrgReport
from services.report_breakdown import Breakdown, Group
from views import state
from views.checkins import read_marks, status_options
from views.common import context, header, section
from views.ids import Action, Block, Callback, goal_field
from views.inputs import date_input, modal, option, select_input, text_input
from views.plan_messages import fmt_date

EXTEND_INSTEAD = "extend"


def _latest_marks(plan: Plan, checkins: list[Checkin]) -> dict[int, Any]:
    latest: dict[int, Any] = {}
    for checkin in checkins:
        for author in (Author.EMPLOYEE, Author.MANAGER):
            for goal_id, mark in marks_by(checkin, author).items():
                latest[goal_id] = mark.status
    return latest


def close_modal(
    plan: Plan, checkins: list[Checkin], today: date, *, can_extend: bool
) -> dict[str, Any]:
    """Outcome, summary, each goal's final status (prefilled from the latest check-in), date.

    "Extend the plan instead" is offered only to someone who may extend (the manager).
    """
    outcomes = [option(label, o.value) for o, label in OUTCOME_LABELS.items()]
    if can_extend:
        outcomes.insert(2, option("Extend the plan instead", EXTEND_INSTEAD))
    latest = _latest_marks(plan, checkins)
    blocks: list[dict[str, Any]] = [
        context(
            f"Closing plan *{plan.public_id}* with <@{plan.employee_id}> "
            f"({fmt_date(plan.start_date)} to {fmt_date(plan.end_date)}). The employee receives "
            "the outcome and the summary; HR receives the outcome and the full record."
        ),
        select_input(Block.OUTCOME, Action.OUTCOME, "Outcome", outcomes),
        text_input(
            Block.SUMMARY,
            Action.SUMMARY,
            "Summary",
            multiline=True,
            optional=can_extend,
            hint="Required unless you extend the plan instead." if can_extend else None,
        ),
        header("Final status of each goal"),
    ]
    for number, goal in enumerate(plan.goals, start=1):
        status = latest.get(goal.id)
        blocks.append(
            select_input(
                goal_field(Action.GOAL_STATUS, goal.id),
                Action.GOAL_STATUS,
                f"{number}. {goal.description}",
                status_options(),
                status.value if status is not None else None,
                optional=True,
            )
        )
    blocks.append(
        date_input(
            Block.EFFECTIVE_DATE, Action.EFFECTIVE_DATE, "Effective date", today, optional=True
        )
    )
    return modal(Callback.CLOSE, "Close plan", "Close plan", blocks, plan.public_id)


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def report_message(report: OrgReport, breakdown: Breakdown | None = None) -> dict[str, Any]:
    """The HR report as an ephemeral message (the CSV goes to the DM), with the breakdowns
    by team, month and manager when given."""
    by_status = ", ".join(f"{s.value}: {n}" for s, n in report.open_by_status.items())
    outcomes = ", ".join(f"{o.value}: {n}" for o, n in report.outcomes.items())
    length = (
        "n/a"
        if report.average_closed_length_days is None
        else f"{report.average_closed_length_days:.1f} days"
    )
    overdue = [
        ("Not acknowledged after 5 business days", report.overdue_acknowledgements),
        ("Missed check-ins", report.missed_checkins),
        ("Check-ins awaiting review", report.unreviewed_checkins),
        ("Ended without an outcome", report.past_end_date),
    ]
    overdue_lines = "\n".join(
        f"*{label}:* {item.count}"
        + (f" ({', '.join(item.plan_ids[:10])})" if item.plan_ids else "")
        for label, item in overdue
    )
    blocks = [
        header(f"PIP report · {fmt_date(report.today)}"),
        section(
            f"*Open plans:* {report.open_total} ({by_status})\n"
            f"*Acknowledgement rate:* {_rate(report.acknowledgement_rate)} "
            f"({report.acknowledged} of {report.acknowledgement_base})\n"
            f"*Check-in completion:* {_rate(report.checkin_completion_rate)} "
            f"({report.checkins_completed} of {report.checkins_due} due)\n"
            f"*Outcomes:* {outcomes}\n"
            f"*Success rate:* {_rate(report.success_rate)}\n"
            f"*Average length of closed plans:* {length}"
        ),
        section("*Overdue*\n" + overdue_lines),
        *([section(_breakdown_text(breakdown))] if breakdown is not None else []),
        context("The per-plan rows are in your DM as a CSV file."),
    ]
    text = f"PIP report: {report.open_total} open plans, {report.plans_total} in all."
    return {"text": text, "blocks": blocks}


BREAKDOWN_LINES = 6  # entries per breakdown line: the message stays short


def _breakdown_text(breakdown: Breakdown) -> str:
    def line(groups: list[Group], name: Callable[[str], str]) -> str:
        shown = ", ".join(f"{name(g.key)}: {g.plans} ({g.open} open)" for g in groups)
        return shown or "none"

    busiest = sorted(breakdown.by_manager, key=lambda g: (-g.open, g.key))[:BREAKDOWN_LINES]
    return (
        f"*By team:* {line(breakdown.by_team[:BREAKDOWN_LINES], str)}\n"
        f"*By month started (latest {BREAKDOWN_LINES}):* "
        f"{line(breakdown.by_month[-BREAKDOWN_LINES:], str)}\n"
        f"*Managers with the most open plans:* "
        f"{line([g for g in busiest if g.open], lambda key: f'<@{key}>')}"
    )


def read_closing(view: dict[str, Any]) -> tuple[str | None, Closing]:
    """The choice made in the closing form (an outcome's value, EXTEND_INSTEAD or None) and
    the closing it describes (its outcome is None for extend-instead or no choice)."""
    choice = state.selected(view, Block.OUTCOME, Action.OUTCOME)
    outcome = Outcome(choice) if choice in {o.value for o in Outcome} else None
    closing = Closing(
        outcome=outcome,
        summary=state.text(view, Block.SUMMARY, Action.SUMMARY),
        effective_date=state.picked_date(view, Block.EFFECTIVE_DATE, Action.EFFECTIVE_DATE),
        marks=read_marks(view),
    )
    return choice, closing
