"""The closing form (`/pip close` and the Record outcome button) and the report message."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from models import Checkin, FinalResult, Outcome, Plan
from services.close import OUTCOME_LABELS, Closing, FinalMark, final_result
from services.report import OrgReport
from services.report_breakdown import Breakdown, Group
from services.status_text import (
    FINAL_RESULT_LABELS,
    OPEN_STATUS_WORDS,
    OUTCOME_WORDS,
    count_words,
    fmt_date,
)
from views import state
from views.common import button, context, header, section
from views.ids import Action, Block, Callback, goal_field, goal_fields_in
from views.inputs import date_input, modal, option, radio_input, select_input, text_input
from views.prose import Mrkdwn, mention, say

SURFACE = "views/close"


def close_modal(
    plan: Plan, checkins: list[Checkin], today: date, *, can_extend: bool
) -> dict[str, Any]:
    """Outcome, summary (required), each goal's final result (Met / Partly met / Not met), date.

    "Extend instead" is offered only to someone who may extend (the manager).
    """
    outcomes = [option(label, o.value) for o, label in OUTCOME_LABELS.items()]
    blocks: list[dict[str, Any]] = [
        context(
            say(
                SURFACE,
                "intro",
                plan_id=plan.public_id,
                employee=mention(plan.employee_id),
                start=fmt_date(plan.start_date),
                end=fmt_date(plan.end_date),
            )
        ),
        select_input(Block.OUTCOME, Action.OUTCOME, "Outcome", outcomes),
        text_input(
            Block.SUMMARY,
            Action.SUMMARY,
            "Summary",
            multiline=True,
            hint=say(SURFACE, "summary_hint"),
        ),
        header("Final result of each goal"),
        context(say(SURFACE, "results_hint")),
    ]
    options = [option(FINAL_RESULT_LABELS[r.value], r.value) for r in FinalResult]
    for number, goal in enumerate(plan.goals, start=1):
        chosen = goal.final_result if goal.final_result in {r.value for r in FinalResult} else None
        result = radio_input(
            goal_field(Action.GOAL_STATUS, goal.id),
            Action.GOAL_STATUS,
            f"{number}. {goal.description}",
            options,
            chosen,
        )
        blocks.append({**result, "optional": True})  # a missing one is named after submitting
    blocks.append(
        date_input(
            Block.EFFECTIVE_DATE, Action.EFFECTIVE_DATE, "Effective date", today, optional=True
        )
    )
    if can_extend:
        blocks.append(
            section(
                say(SURFACE, "extend_instead"),
                block_id=Block.CLOSE_EXTEND,
                accessory=button(Action.EXTEND_INSTEAD, "Extend instead", plan.public_id),
            )
        )
    return modal(Callback.CLOSE, "Close plan", "Close plan", blocks, plan.public_id)


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def report_message(report: OrgReport, breakdown: Breakdown | None = None) -> dict[str, Any]:
    """The HR report as an ephemeral message (the CSV goes to the DM), with the breakdowns
    by team, month and manager when given."""
    by_status = ", ".join(
        f"{OPEN_STATUS_WORDS[s]}: {n}" for s, n in report.open_by_status.items() if n
    )
    outcomes = ", ".join(f"{OUTCOME_WORDS[o]}: {n}" for o, n in report.outcomes.items() if n)
    final_results = ", ".join(f"{label}: {n}" for label, n in report.final_results.items() if n)
    length = (
        "n/a"
        if report.average_closed_length_days is None
        else say(SURFACE, "days", value=f"{report.average_closed_length_days:.1f}")
    )
    overdue = [
        ("overdue_ack", report.overdue_acknowledgements),
        ("overdue_missed", report.missed_checkins),
        ("overdue_review", report.unreviewed_checkins),
        ("overdue_ended", report.past_end_date),
    ]
    overdue_lines = "\n".join(
        say(
            SURFACE,
            "overdue_line",
            label=say(SURFACE, label),
            count=item.count,
            plan_ids=", ".join(item.plan_ids[:10]),
        )
        for label, item in overdue
    )
    blocks = [
        header(f"PIP report · {fmt_date(report.today)}"),
        section(
            say(
                SURFACE,
                "report_figures",
                open_total=report.open_total,
                by_status=by_status,
                ack_rate=_rate(report.acknowledgement_rate),
                acknowledged=report.acknowledged,
                ack_base=report.acknowledgement_base,
                completion_rate=_rate(report.checkin_completion_rate),
                completed=report.checkins_completed,
                due=report.checkins_due,
                outcomes=outcomes,
                final_results=final_results,
                success_rate=_rate(report.success_rate),
                length=length,
            )
        ),
        section("*Overdue*\n" + overdue_lines),
        *([section(_breakdown_text(breakdown))] if breakdown is not None else []),
        context(say(SURFACE, "csv_in_dm")),
    ]
    text = say(
        SURFACE,
        "report_text",
        open_plans=count_words(report.open_total, "open plan"),
        total=report.plans_total,
    )
    return {"text": text, "blocks": blocks}


BREAKDOWN_LINES = 6  # entries per breakdown line: the message stays short


def _breakdown_text(breakdown: Breakdown) -> str:
    def line(groups: list[Group], name: Callable[[str], str]) -> str:
        shown = ", ".join(f"{name(g.key)}: {g.plans} ({g.open} open)" for g in groups)
        return shown or "none"

    busiest = sorted(breakdown.by_manager, key=lambda g: (-g.open, g.key))[:BREAKDOWN_LINES]
    return say(
        SURFACE,
        "breakdown",
        teams=line(breakdown.by_team[:BREAKDOWN_LINES], str),
        months=line(breakdown.by_month[-BREAKDOWN_LINES:], str),
        count=BREAKDOWN_LINES,
        managers=Mrkdwn(line([g for g in busiest if g.open], lambda key: f"<@{key}>")),
    )


def read_closing(view: dict[str, Any]) -> Closing:
    """The closing the form describes (its outcome is None when none was chosen)."""
    choice = state.selected(view, Block.OUTCOME, Action.OUTCOME)
    outcome = Outcome(choice) if choice in {o.value for o in Outcome} else None
    return Closing(
        outcome=outcome,
        summary=state.text(view, Block.SUMMARY, Action.SUMMARY),
        effective_date=state.picked_date(view, Block.EFFECTIVE_DATE, Action.EFFECTIVE_DATE),
        marks=read_final_marks(view),
    )


def read_final_marks(view: dict[str, Any]) -> list[FinalMark]:
    """Each goal's final result from the closing form, for the goals the form showed."""
    return [
        FinalMark(
            goal_id=goal_id,
            result=final_result(
                state.selected(view, goal_field(Action.GOAL_STATUS, goal_id), Action.GOAL_STATUS)
            ),
        )
        for goal_id in goal_fields_in(view, Action.GOAL_STATUS)
    ]
