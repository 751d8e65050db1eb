"""Drafts on their way to the employee: HR's decision, the manager's changes, sending, withdrawing.

Deciding is a conditional UPDATE on the draft's expected state (pending, this round): of two
HR people pressing Approve at once, exactly one changes the row. On PostgreSQL the second
UPDATE waits for the first transaction and then re-checks its WHERE against the committed
row, finding nothing to change; on SQLite writers already take turns. No lock is held across
anything else, and the loser learns at once who decided.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from models import Delivery, DeliveryKind, Goal, Plan, PlanStatus, Review
from services import audit, locks, users
from services.access import Action, Actor, may
from services.draft_outbox import (
    approval_requests,
    notify_manager,
    offer_sending,
    request_approval,
)
from services.drafts import (
    LONG_TEXT_MAX,
    PlanDraft,
    parse_steps,
    schedule_of,
    version_problems,
    write_content,
)
from services.errors import InvalidPlan, UsageError, required
from services.outbox import cancel_pending
from services.plans import get_plan, open_plan_of, replace_steps, snapshot
from services.schedule import Recipients, schedule_new_plan

APPROVE = "approve"
REQUEST_CHANGES = "changes"
DECISIONS = (APPROVE, REQUEST_CHANGES)


def _name(db: Session, user_id: str | None) -> str:
    known = users.last_known(db, user_id) if user_id else None
    return known.display_name if known else "Someone in HR"


def _day(instant: datetime | None) -> str:
    return f"{instant:%a %-d %b %Y}" if instant else "an earlier day"


def decided_text(db: Session, plan: Plan, round_: int) -> str:
    """Why round `round_` of `plan` can no longer be decided, in words for HR."""
    if plan.status == PlanStatus.WITHDRAWN:
        return f"{_name(db, plan.manager_id)} withdrew draft {plan.public_id}; nothing to decide."
    if round_ < plan.review_round:
        return (
            f"This is an earlier version of draft {plan.public_id}; a newer one was sent to HR "
            "since. Review the newest request instead."
        )
    if plan.review == Review.PENDING and plan.status == PlanStatus.DRAFT:
        return ""
    verb = "asked for changes to" if plan.review == Review.CHANGES_REQUESTED else "approved"
    who, when = _name(db, plan.decided_by), _day(plan.decided_at)
    return f"{who} already {verb} draft {plan.public_id} on {when}."


def plan_for_review(db: Session, actor: Actor, public_id: str, round_: int | None) -> Plan:
    """The draft `actor` (HR) may decide now; PlanNotFound for anyone else."""
    plan = get_plan(db, actor, public_id, Action.APPROVE)
    if plan.manager_id == actor.user_id:
        raise UsageError(
            f"You wrote draft {plan.public_id}, so someone else in HR needs to review it."
        )
    if plan.review is None and plan.status == PlanStatus.DRAFT:
        raise UsageError(f"Draft {plan.public_id} does not need HR approval; its manager sends it.")
    round_ = plan.review_round if round_ is None else round_
    problem = decided_text(db, plan, round_)
    if problem:
        raise UsageError(problem)
    return plan


def hidden_open_plan(db: Session, plan: Plan) -> str | None:
    """The id of another open plan of the draft's employee (for HR's eyes only), if any."""
    other = open_plan_of(db, plan.employee_id)
    return other.public_id if other is not None and other.id != plan.id else None


@dataclass
class Decision:
    """What HR decided, and what the approval requests of that round now need to say."""

    plan: Plan
    approved: bool
    sent: bool
    requests: list[Delivery] = field(default_factory=list)


def decide(
    db: Session,
    actor: Actor,
    public_id: str,
    round_: int,
    *,
    decision: str | None,
    comment: str,
    recipients: Recipients,
    today: date,
    now: datetime,
) -> Decision:
    """Record HR's decision on one round of a draft; approving sends it on (or hands it to the
    manager to send after meeting). The caller commits."""
    plan = plan_for_review(db, actor, public_id, round_)
    cleaned = comment.strip()
    errors: dict[str, str] = {}
    if decision not in DECISIONS:
        errors["decision"] = "Choose Approve or Request changes."
    elif decision == REQUEST_CHANGES and not cleaned:
        errors["comment"] = "Say what should change: the manager gets this comment with the draft."
    if len(cleaned) > LONG_TEXT_MAX:
        errors["comment"] = f"Keep this to {LONG_TEXT_MAX} characters (it has {len(cleaned)})."
    if errors:
        raise InvalidPlan(errors)
    approved = decision == APPROVE
    changed = db.execute(
        update(Plan)
        .where(
            Plan.id == plan.id,
            Plan.status == PlanStatus.DRAFT,
            Plan.review == Review.PENDING,
            Plan.review_round == round_,
        )
        .values(
            review=Review.APPROVED if approved else Review.CHANGES_REQUESTED,
            decided_by=actor.user_id,
            decided_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    db.refresh(plan)
    if int(getattr(changed, "rowcount", 0) or 0) != 1:
        raise UsageError(decided_text(db, plan, round_) or "This draft was decided already.")
    kind = "approved" if approved else "changes_requested"
    audit.append_event(db, plan, actor.user_id, kind, {"round": round_, "comment": cleaned})
    sent = False
    if not approved:
        notify_manager(db, plan, "changes_requested", now, comment=cleaned)
    elif plan.send_after_meeting:
        offer_sending(db, plan, recipients, now, comment=cleaned)
    else:
        activate(db, plan, actor, recipients, today, now)
        notify_manager(db, plan, "approved", now, comment=cleaned, sent=True)
        sent = True
    return Decision(plan, approved, sent, approval_requests(db, plan, round_))


def activate(
    db: Session, plan: Plan, actor: Actor, recipients: Recipients, today: date, now: datetime
) -> int:
    """Send a draft to its employee: it becomes active and owes everything a new plan owes.

    Sent after its start date (`today` is the employee's date), the plan starts today and its
    end, goal and step dates move by as many days, so its length is kept. Returns the days.
    """
    locks.hold(db, f"pip:open-plan:{plan.employee_id}")
    other = open_plan_of(db, plan.employee_id)
    if other is not None and other.id != plan.id:
        named = f", {other.public_id}" if may(actor, Action.VIEW, other) else ""
        raise UsageError(
            f"{_name(db, plan.employee_id)} already has an open plan{named}, so draft "
            f"{plan.public_id} can't be sent while it is open."
        )
    moved = max(0, (today - plan.start_date).days)
    before = {"start_date": plan.start_date.isoformat(), "end_date": plan.end_date.isoformat()}
    if moved:
        shift = timedelta(days=moved)
        plan.start_date += shift
        plan.end_date += shift
        for goal in plan.goals:
            goal.due_date += shift
        for step in plan.steps:
            if step.due_date is not None:
                step.due_date += shift
    plan.status = PlanStatus.ACTIVE
    plan.sent_at = now
    plan.ack_requested_at = now
    plan.updated_at = now
    data: dict[str, Any] = {
        "start_date": plan.start_date.isoformat(),
        "end_date": plan.end_date.isoformat(),
        "moved_days": moved,
    }
    if moved:
        data["before"] = before
    audit.append_event(db, plan, actor.user_id, "sent", data)
    cancel_pending(db, plan.id, {DeliveryKind.SEND_REMINDER})
    schedule_new_plan(db, plan, recipients, now, opened={"moved_days": moved, **_before(before)})
    return moved


def _before(before: dict[str, str]) -> dict[str, str]:
    return {"planned_start": before["start_date"], "planned_end": before["end_date"]}


def send_plan(
    db: Session, actor: Actor, public_id: str, recipients: Recipients, today: date, now: datetime
) -> tuple[Plan, bool]:
    """The manager sends an approved draft after meeting; True the first time (a second click
    changes nothing). The caller commits."""
    plan = get_plan(db, actor, public_id, Action.SEND)
    if plan.status == PlanStatus.WITHDRAWN:
        raise UsageError(f"Draft {plan.public_id} was withdrawn, so it can't be sent.")
    if plan.status != PlanStatus.DRAFT:
        return plan, False
    if plan.review in (Review.PENDING, Review.CHANGES_REQUESTED):
        raise UsageError(
            f"Draft {plan.public_id} is not approved by HR yet, so it can't be sent. You get a "
            "message when HR decides."
        )
    claimed = db.execute(
        update(Plan)
        .where(Plan.id == plan.id, Plan.status == PlanStatus.DRAFT)
        .values(status=PlanStatus.ACTIVE)
        .execution_options(synchronize_session=False)
    )
    db.refresh(plan)
    if int(getattr(claimed, "rowcount", 0) or 0) != 1:
        return plan, False
    activate(db, plan, actor, recipients, today, now)
    return plan, True


def withdraw(db: Session, actor: Actor, public_id: str, now: datetime) -> tuple[Plan, bool]:
    """The manager withdraws a draft; the employee never hears of it. True the first time."""
    plan = get_plan(db, actor, public_id, Action.WITHDRAW)
    if plan.status == PlanStatus.WITHDRAWN:
        return plan, False
    if plan.status != PlanStatus.DRAFT:
        raise UsageError(
            f"Plan {plan.public_id} was sent to the employee already, so it can't be withdrawn. "
            f"To end it, record an outcome with `/pip close {plan.public_id}`."
        )
    claimed = db.execute(
        update(Plan)
        .where(Plan.id == plan.id, Plan.status == PlanStatus.DRAFT)
        .values(status=PlanStatus.WITHDRAWN, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    db.refresh(plan)
    if int(getattr(claimed, "rowcount", 0) or 0) != 1:
        return plan, False
    audit.append_event(db, plan, actor.user_id, "withdrawn", {"round": plan.review_round})
    cancel_pending(db, plan.id)
    return plan, True


def resubmit(
    db: Session,
    actor: Actor,
    public_id: str,
    draft: PlanDraft,
    *,
    approval: bool,
    hr_recipients: tuple[str, ...],
    recipients: Recipients,
    today: date,
    now: datetime,
) -> Plan:
    """Save the manager's changed draft: with approval it goes back to HR as a new round."""
    plan = get_plan(db, actor, public_id, Action.EDIT_DRAFT)
    if plan.status != PlanStatus.DRAFT:
        raise UsageError(f"Plan {plan.public_id} is no longer a draft, so it can't be edited here.")
    if approval and plan.review == Review.PENDING:
        raise UsageError(
            f"Draft {plan.public_id} is with HR now. Wait for their decision, or withdraw it "
            f"with `/pip withdraw {plan.public_id}`."
        )
    errors = version_problems(draft, actor.user_id, plan, today)
    if errors:
        raise InvalidPlan(errors)
    before = snapshot(plan)
    _replace_content(db, plan, draft)
    plan.send_after_meeting = draft.send_after_meeting
    plan.updated_at = now
    db.flush()
    db.refresh(plan)
    after = snapshot(plan)
    changed = sorted(k for k in after if before.get(k) != after.get(k))
    cancel_pending(db, plan.id, {DeliveryKind.SEND_REMINDER})
    if approval:
        plan.review_round += 1
        plan.review = Review.PENDING
        plan.decided_by = None
        plan.decided_at = None
        data = {**after, "round": plan.review_round, "changed": changed}
        data["send_after_meeting"] = plan.send_after_meeting
        audit.append_event(db, plan, actor.user_id, "submitted", data)
        request_approval(db, plan, hr_recipients, now, flagged=False)
        return plan
    audit.append_event(db, plan, actor.user_id, "draft_edited", {**after, "changed": changed})
    if plan.send_after_meeting:
        offer_sending(db, plan, recipients, now)
    else:
        activate(db, plan, actor, recipients, today, now)
    return plan


def _replace_content(db: Session, plan: Plan, draft: PlanDraft) -> None:
    """A draft has no check-ins yet: its goals and steps are simply replaced."""
    schedule = schedule_of(draft)
    write_content(plan, draft, schedule)
    db.execute(delete(Goal).where(Goal.plan_id == plan.id))
    db.expire(plan, ["goals", "steps"])
    steps, _ = parse_steps(draft.steps_text)
    for position, goal in enumerate(draft.goals):
        due = required(
            goal.due_date, f"goal.{position}.due_date", "Choose the date this goal is due."
        )
        db.add(
            Goal(
                plan_id=plan.id,
                position=position,
                description=goal.description.strip(),
                measure=goal.measure.strip(),
                target=goal.target.strip(),
                due_date=due,
            )
        )
    replace_steps(db, plan, steps)
