"""Changing a plan: amendments (with a reason) and extensions, each acknowledged again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models import (
    CheckinGoalStatus,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Goal,
    Plan,
    PlanStatus,
)
from services import audit, seals
from services.access import Action, Actor
from services.drafts import (
    LONG_TEXT_MAX,
    MAX_PLAN_DAYS,
    GoalDraft,
    PlanDraft,
    parse_steps,
    schedule_of,
    version_problems,
    write_content,
)
from services.errors import InvalidPlan, required
from services.labels import FIELD_LABELS
from services.outbox import enqueue
from services.pauses import require_running
from services.plans import get_plan, replace_steps, snapshot
from services.schedule import (
    FOLLOWS_THE_PLAN,
    Recipients,
    schedule_acknowledgement,
    schedule_checkins,
    schedule_end_of_plan,
)

# What an amendment may change, in the order its changes are recorded (the history keeps it).
AMENDABLE = (
    "issues",
    "expectations",
    "support",
    "consequences",
    "steps",
    "goals",
    "start_date",
    "end_date",
    "cadence",
    "checkin_weekday",
)


@dataclass(frozen=True)
class Amendment:
    """What an amendment or extension changed, and why."""

    plan: Plan
    reason: str
    changes: dict[str, dict[str, Any]]

    @property
    def labels(self) -> list[str]:
        """The changed parts, as people name them."""
        return [FIELD_LABELS.get(name, name) for name in self.changes]


def steps_text(plan: Plan) -> str:
    """The plan's steps as the form shows them: one per line, `by YYYY-MM-DD` when dated."""
    return "\n".join(
        s.description + (f" by {s.due_date.isoformat()}" if s.due_date else "") for s in plan.steps
    )


def draft_from_plan(plan: Plan) -> PlanDraft:
    """The plan as a draft, to prefill the edit form."""
    return PlanDraft(
        employee_id=plan.employee_id,
        issues=plan.issues,
        expectations=plan.expectations,
        goals=[GoalDraft(g.description, g.measure, g.target, g.due_date) for g in plan.goals],
        steps_text=steps_text(plan),
        support=plan.support,
        cadence=plan.cadence,
        weekday=plan.checkin_weekday,
        start_date=plan.start_date,
        length_days=None,
        end_date=plan.end_date,
        consequences=plan.consequences,
    )


def _check_reason(reason: str) -> str:
    cleaned = reason.strip()
    if not cleaned:
        raise InvalidPlan({"reason": "Say why the plan changes; the employee and HR will see it."})
    if len(cleaned) > LONG_TEXT_MAX:
        raise InvalidPlan({"reason": f"Keep this to {LONG_TEXT_MAX} characters."})
    return cleaned


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: {"before": before[name], "after": after[name]}
        for name in AMENDABLE
        if before.get(name) != after.get(name)
    }


def _reschedule(
    db: Session, plan: Plan, to: Recipients, now: datetime, payload: dict[str, Any]
) -> None:
    """Drop what was owed but not sent, then owe again what the changed plan needs."""
    db.execute(
        delete(Delivery).where(
            Delivery.plan_id == plan.id,
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.kind.in_(FOLLOWS_THE_PLAN),
        )
    )
    rounds = db.scalar(
        select(func.count()).where(
            Delivery.plan_id == plan.id, Delivery.kind == DeliveryKind.ACK_REQUEST
        )
    )
    plan.ack_requested_at = now
    if plan.status == PlanStatus.ACKNOWLEDGED:
        plan.status = PlanStatus.ACTIVE
    schedule_acknowledgement(db, plan, to, now, round_=int(rounds or 0) + 1, extra=payload)
    schedule_checkins(db, plan, to, after=now)
    schedule_end_of_plan(db, plan, to)


def _apply_goals(db: Session, plan: Plan, draft: PlanDraft, goal_ids: list[int | None]) -> None:
    """Update goals in place by identity; new ones are added; removed ones must have no ratings."""
    kept = {gid for gid in goal_ids if gid is not None}
    removed = [g for g in plan.goals if g.id not in kept]
    rated = set(
        db.scalars(
            select(CheckinGoalStatus.goal_id).where(
                CheckinGoalStatus.goal_id.in_([g.id for g in removed])
            )
        )
    )
    if rated:
        number = next(i for i, g in enumerate(plan.goals, 1) if g.id in rated)
        raise InvalidPlan(
            {
                "goal.0.description": (
                    f"Goal {number} already has check-in ratings, so it can't be removed. "
                    "Change its text instead; the history keeps what it was."
                )
            }
        )
    by_id = {g.id: g for g in plan.goals}
    goals: list[Goal] = []
    for position, (gid, typed) in enumerate(zip(goal_ids, draft.goals, strict=True)):
        goal = by_id.get(gid) if gid is not None else None
        if goal is None:
            goal = Goal(plan_id=plan.id)
        goal.description = typed.description.strip()
        goal.measure = typed.measure.strip()
        goal.target = typed.target.strip()
        goal.due_date = required(
            typed.due_date, f"goal.{position}.due_date", "Choose the date this goal is due."
        )
        goal.position = 1000 + position  # out of the way of the unique (plan, position)
        goals.append(goal)
    plan.goals = goals  # the removed ones go as orphans
    db.flush()
    for position, goal in enumerate(goals):
        goal.position = position
    db.flush()


def amend_plan(
    db: Session,
    actor: Actor,
    public_id: str,
    *,
    draft: PlanDraft,
    goal_ids: list[int | None],
    reason: str,
    recipients: Recipients,
    today: date,
    now: datetime,
) -> Amendment:
    """Change a plan's content or dates, with a reason; the employee acknowledges again.

    `goal_ids` gives, for each goal of the draft in order, the goal it edits (None: a new one).
    Only future deliveries change: what was sent stays as it was.
    """
    plan = get_plan(db, actor, public_id, Action.AMEND, lock=True)
    if plan.status == PlanStatus.CLOSED:
        raise InvalidPlan({"reason": "This plan is closed and can no longer be changed."})
    require_running(plan, "reason")
    draft.employee_id = plan.employee_id
    errors = version_problems(draft, actor.user_id, plan, today)
    cleaned = reason.strip()
    if not cleaned:
        errors["reason"] = "Say why the plan changes; the employee and HR will see it."
    if errors:
        raise InvalidPlan(errors)
    before = snapshot(plan)
    schedule = schedule_of(draft)
    _apply_goals(db, plan, draft, goal_ids)
    steps, _ = parse_steps(draft.steps_text)
    replace_steps(db, plan, steps)
    write_content(plan, draft, schedule)
    plan.updated_at = now
    db.flush()
    db.refresh(plan, ["goals", "steps"])
    changes = _diff(before, snapshot(plan))
    if not changes:
        raise InvalidPlan({"reason": "Nothing in the plan changed. Change something, or cancel."})
    audit.append_event(db, plan, actor.user_id, "amended", {"reason": cleaned, "changes": changes})
    amendment = Amendment(plan, cleaned, changes)
    extra = {"reason": cleaned, "changed": amendment.labels}
    _reschedule(db, plan, recipients, now, seals.stamp(db, plan, extra))
    seals.notify_sealed(
        db,
        plan,
        notice="amended",
        now=now,
        hr_channel_id=recipients.hr_channel_id,
        employee=False,  # the employee's sealed copy is the amended plan itself
        extra=extra,
    )
    return amendment

    db.flush()


def extend_plan(
    db: Session,
    actor: Actor,
    public_id: str,
    *,
    new_end: date | None,
    reason: str,
    recipients: Recipients,
    now: datetime,
) -> Amendment:
    """Move the end date later, with a reason: an amendment that HR hears about too."""
    plan = get_plan(db, actor, public_id, Action.EXTEND, lock=True)
    if plan.status == PlanStatus.CLOSED:
        raise InvalidPlan({"end_date": "This plan is closed and can no longer be extended."})
    require_running(plan, "end_date")
    errors: dict[str, str] = {}
    if new_end is None:
        errors["end_date"] = "Choose the new end date."
    elif new_end <= plan.end_date:
        errors["end_date"] = f"The new end date must be after {plan.end_date:%-d %b %Y}."
    elif new_end > plan.end_date + timedelta(days=MAX_PLAN_DAYS):
        errors["end_date"] = f"An extension adds at most {MAX_PLAN_DAYS} days."
    if not reason.strip():
        errors["reason"] = "Say why the plan is extended; the employee and HR will see it."
    if errors:
        raise InvalidPlan(errors)
    new_end = required(new_end, "end_date", "Choose the new end date.")
    cleaned = _check_reason(reason)
    changes = {"end_date": {"before": plan.end_date.isoformat(), "after": new_end.isoformat()}}
    plan.end_date = new_end
    plan.status = PlanStatus.EXTENDED
    plan.updated_at = now
    audit.append_event(db, plan, actor.user_id, "extended", {"reason": cleaned, "changes": changes})
    amendment = Amendment(plan, cleaned, changes)
    extra = {"reason": cleaned, "changed": amendment.labels}
    _reschedule(db, plan, recipients, now, seals.stamp(db, plan, extra))
    if recipients.hr_channel_id:
        hr = recipients.hr_channel_id
        enqueue(
            db,
            key=f"{plan.public_id}:hr_notice:{hr}:extended:{new_end.isoformat()}",
            kind=DeliveryKind.HR_NOTICE,
            recipient_id=hr,
            due_at=now,
            plan_id=plan.id,
            payload=seals.stamp(
                db, plan, {"notice": "extended", **changes["end_date"], "reason": cleaned}
            ),
        )
    return amendment
