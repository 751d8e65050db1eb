"""Closing a plan: the outcome, the final goal statuses, and what everyone is told."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from models import DeliveryKind, EventKind, FinalResult, Notice, Outcome, Plan, PlanStatus
from services import audit, report_facts, seals
from services.access import Actor, Permission
from services.drafts import LONG_TEXT_MAX
from services.errors import InvalidPlan, required
from services.outbox import cancel_pending, enqueue
from services.plans import get_plan

OUTCOME_LABELS = {
    Outcome.SUCCESSFUL: "Successful: the standard was met",
    Outcome.UNSUCCESSFUL: "Unsuccessful: the standard was not met",
    Outcome.CANCELLED: "Cancelled",
}
EFFECTIVE_DATE_WINDOW = timedelta(days=90)


@dataclass(frozen=True)
class FinalMark:
    """One goal's final result, as the closing form recorded it (None when not chosen)."""

    goal_id: int
    result: FinalResult | None


@dataclass(frozen=True)
class Closing:
    """What the manager (or HR) decided."""

    outcome: Outcome | None
    summary: str
    effective_date: date | None
    marks: list[FinalMark]


def close_plan(
    db: Session,
    actor: Actor,
    public_id: str,
    closing: Closing,
    *,
    hr_channel_id: str | None,
    today: date,
    now: datetime,
) -> Plan:
    """Record the outcome, cancel everything still owed, and tell the employee, the manager
    and the HR channel (with the record). The caller commits."""
    plan = get_plan(db, actor, public_id, Permission.CLOSE, lock=True)
    if _same_closing(plan, closing):
        return plan  # the same close again (a double click): nothing new to record
    errors: dict[str, str] = {}
    if plan.status == PlanStatus.CLOSED:
        errors["outcome"] = (
            f"This plan is already closed ({plan.outcome.value if plan.outcome else ''})."
        )
    if closing.outcome is None:
        errors["outcome"] = "Choose the outcome."
    if not closing.summary.strip():
        errors["summary"] = "Write a summary: the employee and HR receive it."
    elif len(closing.summary) > LONG_TEXT_MAX:
        errors["summary"] = f"Keep this to {LONG_TEXT_MAX} characters."
    if closing.effective_date is None:
        errors["effective_date"] = "Choose the date the outcome takes effect."
    elif abs(closing.effective_date - today) > EFFECTIVE_DATE_WINDOW:
        errors["effective_date"] = "Choose a date within 90 days of today."
    goal_ids = {g.id for g in plan.goals}
    for mark in closing.marks:
        if mark.goal_id in goal_ids and mark.result is None:
            errors[f"goal_status.{mark.goal_id}"] = "Choose the final result of this goal."
    if errors:
        raise InvalidPlan(errors)
    outcome = required(closing.outcome, "outcome", "Choose the outcome.")
    effective = required(
        closing.effective_date, "effective_date", "Choose the date the outcome takes effect."
    )
    plan.status = PlanStatus.CLOSED
    plan.outcome = outcome
    plan.outcome_summary = closing.summary.strip()
    plan.outcome_effective_date = effective
    plan.closed_at = now
    plan.updated_at = now
    # Everything still owed ends here, except notices about what already happened.
    cancel_pending(db, plan.id, set(DeliveryKind) - {DeliveryKind.NOTICE, DeliveryKind.HR_NOTICE})
    final: list[dict[str, object]] = [
        {"goal_id": m.goal_id, "status": m.result.value if m.result else None}
        for m in closing.marks
        if m.goal_id in goal_ids
    ]
    results = {m.goal_id: m.result for m in closing.marks}
    for goal in plan.goals:
        result = results.get(goal.id)
        goal.final_result = result.value if result else None
    audit.append_event(
        db,
        plan,
        actor.user_id,
        EventKind.CLOSED,
        {
            "outcome": outcome.value,
            "summary": plan.outcome_summary,
            "effective_date": effective,
            "goals": final,
        },
    )
    _tell_everyone(db, plan, final, hr_channel_id, now)
    report_facts.settle_plan(db, plan)  # its line of the report, from now on kept
    return plan


def _same_closing(plan: Plan, closing: Closing) -> bool:
    return plan.status == PlanStatus.CLOSED and (
        plan.outcome,
        plan.outcome_summary,
        plan.outcome_effective_date,
    ) == (closing.outcome, closing.summary.strip(), closing.effective_date)


def _tell_everyone(
    db: Session, plan: Plan, final: list[dict[str, object]], hr: str | None, now: datetime
) -> None:
    payload = seals.stamp(db, plan, {"notice": Notice.OUTCOME, "goals": final})
    for recipient in (plan.employee_id, plan.manager_id):
        enqueue(
            db,
            key=f"{plan.public_id}:outcome:{recipient}",
            kind=DeliveryKind.NOTICE,
            recipient_id=recipient,
            due_at=now,
            plan_id=plan.id,
            payload=payload,
        )
    if hr:
        for notice in (Notice.CLOSED, Notice.RECORD):
            enqueue(
                db,
                key=f"{plan.public_id}:hr_notice:{hr}:{notice}",
                kind=DeliveryKind.HR_NOTICE,
                recipient_id=hr,
                due_at=now,  # claimed in id order: the notice, then the record
                plan_id=plan.id,
                payload=(
                    seals.stamp(db, plan, {"notice": notice, "goals": final})
                    if notice == Notice.CLOSED
                    else {"notice": notice, "goals": final}
                ),
            )


def final_result(value: str | None) -> FinalResult | None:
    """A goal's final result from a form value (None when missing or unknown)."""
    return FinalResult(value) if value in {r.value for r in FinalResult} else None
