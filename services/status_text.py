"""A plan's state in words: one function, so a list, a plan page, the Home tab, the exported
record and the report all say the same fact the same way (voice.md)."""

from __future__ import annotations

from datetime import date

from models import FinalResult, GoalStatus, Outcome, Plan, PlanPause, PlanStatus, Review
from services.plans import is_acknowledged

OUTCOME_WORDS = {
    Outcome.SUCCESSFUL: "successful",
    Outcome.UNSUCCESSFUL: "unsuccessful",
    Outcome.CANCELLED: "cancelled",
}
# How the report groups open plans (each plan's own line uses plan_status_text).
OPEN_STATUS_WORDS = {
    PlanStatus.ACTIVE: "waiting for acknowledgement",
    PlanStatus.ACKNOWLEDGED: "acknowledged",
    PlanStatus.EXTENDED: "extended",
    PlanStatus.PAUSED: "paused",
}
DRAFT_WORDS = {
    None: "draft, not sent yet",
    Review.PENDING: "draft, with HR for approval",
    Review.CHANGES_REQUESTED: "draft, HR asked for changes",
    Review.APPROVED: "draft, approved by HR and not sent yet",
}
FINAL_RESULT_LABELS = {
    FinalResult.MET.value: "Met",
    FinalResult.PARTLY_MET.value: "Partly met",
    FinalResult.NOT_MET.value: "Not met",
    # Plans closed before the Met / Partly met / Not met scale kept the check-in scale.
    GoalStatus.ON_TRACK.value: "On track (earlier scale)",
    GoalStatus.AT_RISK.value: "At risk (earlier scale)",
    GoalStatus.OFF_TRACK.value: "Off track (earlier scale)",
}
NO_FINAL_RESULT = "No final result recorded"


def fmt_date(day: date) -> str:
    """A date as people read it: `Mon 4 Jan 2027`."""
    return f"{day:%a %-d %b %Y}"


def count_words(count: int, singular: str, plural: str | None = None) -> str:
    """`1 open plan`, `2 open plans`, `0 open plans` (plural defaults to singular + "s")."""
    return f"{count} {singular if count == 1 else plural or singular + 's'}"


def final_result_label(value: object) -> str:
    """A goal's final result at close as words, including values from the earlier scale."""
    return FINAL_RESULT_LABELS.get(str(value), NO_FINAL_RESULT) if value else NO_FINAL_RESULT


def plan_status_text(plan: Plan, pause: PlanPause | None = None) -> str:
    """A plan's state in words, the same everywhere: `waiting for acknowledgement`,
    `acknowledged on Tue 1 Dec 2026`, `paused since Mon 1 Feb 2027 (until …)`,
    `closed: successful`, `draft, with HR for approval`."""
    if plan.status == PlanStatus.WITHDRAWN:
        return "withdrawn draft, never sent"
    if plan.status == PlanStatus.DRAFT:
        return DRAFT_WORDS[plan.review]
    if plan.status == PlanStatus.CLOSED:
        return f"closed: {OUTCOME_WORDS[plan.outcome]}" if plan.outcome else "closed"
    if plan.status == PlanStatus.PAUSED:
        if pause is None:
            return "paused"
        until = f" (until {fmt_date(pause.resume_on)})" if pause.resume_on else ""
        return f"paused since {fmt_date(pause.paused_on)}{until}"
    if is_acknowledged(plan) and plan.acknowledged_at is not None:
        words = f"acknowledged on {fmt_date(plan.acknowledged_at.date())}"
    else:
        words = "waiting for acknowledgement"
    if plan.status == PlanStatus.EXTENDED:
        return f"extended to {fmt_date(plan.end_date)}, {words}"
    return words
