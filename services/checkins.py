"""Check-ins: the employee's answers, their thread replies and the manager's reviews."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models import (
    Author,
    Checkin,
    CheckinGoalStatus,
    CheckinKind,
    CheckinStatus,
    Delivery,
    DeliveryKind,
    EventKind,
    GoalStatus,
    Notice,
    Plan,
    PlanStatus,
)
from services import audit, locks
from services.access import Actor, Permission, may
from services.drafts import LONG_TEXT_MAX
from services.errors import InvalidPlan, PlanNotFound, UsageError, required
from services.outbox import enqueue
from services.plans import get_plan

STATUS_LABELS = {
    GoalStatus.ON_TRACK: "On track",
    GoalStatus.AT_RISK: "At risk",
    GoalStatus.OFF_TRACK: "Off track",
}


@dataclass(frozen=True)
class GoalMark:
    """One goal's status at a check-in, with the employee's note or the manager's feedback."""

    goal_id: int
    status: GoalStatus | None
    note: str = ""


def scheduled_checkin(db: Session, plan: Plan, occurrence: date) -> Checkin:
    """The scheduled check-in of `plan` on `occurrence`, created when first needed."""
    found = db.scalar(
        select(Checkin).where(
            Checkin.plan_id == plan.id,
            Checkin.kind == CheckinKind.SCHEDULED,
            Checkin.occurrence_date == occurrence,
        )
    )
    if found is not None:
        return found
    checkin = Checkin(
        plan_id=plan.id, kind=CheckinKind.SCHEDULED, occurrence_date=occurrence, sequence=0
    )
    db.add(checkin)
    db.flush()
    return checkin


def open_for_delivery(db: Session, plan: Plan, delivery: Delivery, occurrence: date) -> Checkin:
    """The scheduled check-in a prompt asks about, created when first needed and linked to it."""
    checkin = scheduled_checkin(db, plan, occurrence)
    delivery.checkin_id = checkin.id
    return checkin


def find_scheduled(db: Session, plan: Plan, occurrence: date) -> Checkin | None:
    """The scheduled check-in on `occurrence`, if its prompt created it."""
    return db.scalar(
        select(Checkin).where(
            Checkin.plan_id == plan.id,
            Checkin.kind == CheckinKind.SCHEDULED,
            Checkin.occurrence_date == occurrence,
        )
    )


def get_checkin(
    db: Session, actor: Actor, checkin_id: int | str, action: Permission, *, lock: bool = False
) -> Checkin:
    """A check-in `actor` may act on; anything else looks like it does not exist.

    With `lock`, its plan's row and its own stay locked until the transaction ends and are
    read afresh (services/locks.py), plan first, the order every click takes them in.
    """
    text = str(checkin_id)
    # Only ids a database integer can hold: a forged 30-digit id is "not found", not an error.
    found = (
        db.get(Checkin, int(text)) if text.isascii() and text.isdigit() and len(text) < 10 else None
    )
    if found is None or not may(actor, action, found.plan):
        raise PlanNotFound(str(checkin_id), what="check-in")
    if lock:
        db.scalar(locks.for_update(select(Plan).where(Plan.id == found.plan_id)))
        db.scalar(locks.for_update(select(Checkin).where(Checkin.id == found.id)))
        db.expire(found, ["goal_statuses"])
    require_open(found.plan)
    return found


def require_open(plan: Plan) -> None:
    """Refuse (UsageError) to take check-ins or reviews on a closed plan."""
    if plan.status == PlanStatus.CLOSED:
        raise UsageError(
            f"Plan {plan.public_id} is closed; its check-ins can no longer be answered or reviewed."
        )


def has_answer(checkin: Checkin) -> bool:
    """True when the employee answered, in the form or in the thread."""
    return checkin.employee_submitted_at is not None or bool(checkin.employee_reply)


def _check_marks(marks: list[GoalMark], plan: Plan, prefix_status: str, prefix_note: str) -> None:
    errors: dict[str, str] = {}
    goal_ids = {g.id for g in plan.goals}
    for mark in marks:
        if mark.goal_id not in goal_ids:
            raise InvalidPlan({prefix_status: "That goal is not part of this plan any more."})
        if mark.status is None:
            errors[f"{prefix_status}.{mark.goal_id}"] = "Choose a status for this goal."
        if len(mark.note) > LONG_TEXT_MAX:
            errors[f"{prefix_note}.{mark.goal_id}"] = (
                f"Keep this to {LONG_TEXT_MAX} characters (it has {len(mark.note)})."
            )
    if errors:
        raise InvalidPlan(errors)


def _check_texts(**texts: str) -> None:
    errors = {
        name: f"Keep this to {LONG_TEXT_MAX} characters (it has {len(text)})."
        for name, text in texts.items()
        if len(text) > LONG_TEXT_MAX
    }
    if errors:
        raise InvalidPlan(errors)


def _replace_marks(db: Session, checkin: Checkin, author: Author, marks: list[GoalMark]) -> None:
    db.execute(
        delete(CheckinGoalStatus).where(
            CheckinGoalStatus.checkin_id == checkin.id, CheckinGoalStatus.author == author
        )
    )
    for mark in marks:
        status = required(
            mark.status, f"goal_status.{mark.goal_id}", "Choose a status for this goal."
        )
        db.add(
            CheckinGoalStatus(
                checkin_id=checkin.id,
                goal_id=mark.goal_id,
                author=author,
                status=status,
                note=mark.note.strip(),
            )
        )
    db.flush()
    db.expire(checkin, ["goal_statuses"])


def _same_marks(checkin: Checkin, author: Author, marks: list[GoalMark]) -> bool:
    stored = {(r.goal_id, r.status, r.note) for r in checkin.goal_statuses if r.author == author}
    return stored == {(m.goal_id, m.status, m.note.strip()) for m in marks}


def _same_review(checkin: Checkin, marks: list[GoalMark], next_steps: str, notes: str) -> bool:
    return (
        checkin.reviewed_at is not None
        and (checkin.next_steps, checkin.private_notes) == (next_steps.strip(), notes.strip())
        and _same_marks(checkin, Author.MANAGER, marks)
    )


def _marks_data(marks: list[GoalMark]) -> list[dict[str, object]]:
    return [
        {"goal_id": m.goal_id, "status": m.status.value if m.status else None, "note": m.note}
        for m in marks
    ]


def record_answer(
    db: Session,
    actor: Actor,
    checkin_id: int | str,
    *,
    marks: list[GoalMark],
    progress: str,
    blockers: str,
    support_needed: str,
    now: datetime,
) -> Checkin:
    """The employee's self-assessment; answering again updates the same check-in."""
    checkin = get_checkin(db, actor, checkin_id, Permission.CHECK_IN, lock=True)
    _check_marks(marks, checkin.plan, "goal_status", "goal_note")
    if not progress.strip():
        raise InvalidPlan({"progress": "Say how things are going overall."})
    _check_texts(progress=progress, blockers=blockers, support_needed=support_needed)
    texts = (progress.strip(), blockers.strip(), support_needed.strip())
    stored = (checkin.employee_progress, checkin.employee_blockers, checkin.employee_support_needed)
    if (
        checkin.employee_submitted_at is not None
        and stored == texts
        and _same_marks(checkin, Author.EMPLOYEE, marks)
    ):
        return checkin  # the same answer again (a double click): nothing new to record
    _replace_marks(db, checkin, Author.EMPLOYEE, marks)
    updating = checkin.employee_submitted_at is not None
    checkin.employee_submitted_at = now
    checkin.employee_progress = progress.strip()
    checkin.employee_blockers = blockers.strip()
    checkin.employee_support_needed = support_needed.strip()
    if checkin.status in (CheckinStatus.PENDING, CheckinStatus.MISSED):
        checkin.status = CheckinStatus.ANSWERED
    audit.append_event(
        db,
        checkin.plan,
        actor.user_id,
        EventKind.CHECKIN_UPDATED if updating else EventKind.CHECKIN_ANSWERED,
        {
            "checkin_id": checkin.id,
            "occurrence_date": checkin.occurrence_date,
            "goals": _marks_data(marks),
            "progress": checkin.employee_progress,
            "blockers": checkin.employee_blockers,
            "support_needed": checkin.employee_support_needed,
        },
    )
    return checkin


def record_reply(
    db: Session, actor: Actor, checkin_id: int | str, text: str, now: datetime
) -> Checkin:
    """A plain reply to the prompt, kept as the check-in's free-text answer (appended).

    The plan and the check-in are locked first: two replies at once both keep their text,
    and a reply either lands before the plan's close or is refused (a closed plan's check-ins
    are no longer answered).
    """
    checkin = get_checkin(db, actor, checkin_id, Permission.CHECK_IN, lock=True)
    cleaned = text.strip()
    combined = f"{checkin.employee_reply}\n\n{cleaned}" if checkin.employee_reply else cleaned
    if len(combined) > LONG_TEXT_MAX:
        raise UsageError(
            f"I couldn't keep that reply: with what you wrote before it would pass "
            f"{LONG_TEXT_MAX} characters. Press *Check in* on the prompt to write a fuller "
            "answer; your earlier replies are kept."
        )
    checkin.employee_reply = combined
    if checkin.status in (CheckinStatus.PENDING, CheckinStatus.MISSED):
        checkin.status = CheckinStatus.ANSWERED
    audit.append_event(
        db,
        checkin.plan,
        actor.user_id,
        EventKind.CHECKIN_REPLIED,
        {"checkin_id": checkin.id, "occurrence_date": checkin.occurrence_date, "reply": cleaned},
    )
    return checkin


def record_review(
    db: Session,
    actor: Actor,
    *,
    checkin_id: int | str | None,
    plan_id: str | None,
    marks: list[GoalMark],
    next_steps: str,
    private_notes: str,
    today: date,
    now: datetime,
    seen_unscheduled: int | None = None,
) -> Checkin:
    """The manager's review of a scheduled check-in, or an unscheduled one for `plan_id`.

    `seen_unscheduled` is how many unscheduled check-ins the plan had when the form opened
    (`unscheduled_count`): a second submission of the same form, with the same content,
    finds the one the first added and records nothing.
    """
    checkin: Checkin | None = None
    if checkin_id is not None:
        found = get_checkin(db, actor, checkin_id, Permission.LOG_REVIEW, lock=True)
        checkin, plan = found, found.plan
    else:
        plan = get_plan(db, actor, plan_id or "", Permission.LOG_REVIEW, lock=True)
        require_open(plan)
        checkin = None
        if seen_unscheduled is not None:
            checkin = _same_unscheduled_review(
                db, plan, actor, seen_unscheduled, marks, next_steps, private_notes
            )
    _check_marks(marks, plan, "goal_status", "goal_note")
    _check_texts(next_steps=next_steps, private_notes=private_notes)
    if checkin is not None and _same_review(checkin, marks, next_steps, private_notes):
        return checkin  # the same review again (a double click): nothing new to record
    if checkin is None:
        sequence = db.scalar(
            select(func.count()).where(
                Checkin.plan_id == plan.id,
                Checkin.kind == CheckinKind.UNSCHEDULED,
                Checkin.occurrence_date == today,
            )
        )
        checkin = Checkin(
            plan_id=plan.id,
            kind=CheckinKind.UNSCHEDULED,
            occurrence_date=today,
            sequence=int(sequence or 0),
        )
        db.add(checkin)
        db.flush()
    updating = checkin.reviewed_at is not None
    _replace_marks(db, checkin, Author.MANAGER, marks)
    checkin.reviewer_id = actor.user_id
    checkin.reviewed_at = now
    checkin.next_steps = next_steps.strip()
    checkin.private_notes = private_notes.strip()
    checkin.status = CheckinStatus.REVIEWED
    event = audit.append_event(
        db,
        plan,
        actor.user_id,
        EventKind.REVIEW_UPDATED if updating else EventKind.CHECKIN_REVIEWED,
        {
            "checkin_id": checkin.id,
            "occurrence_date": checkin.occurrence_date,
            "kind": checkin.kind.value,
            "goals": _marks_data(marks),
            "next_steps": checkin.next_steps,
            "private_notes": checkin.private_notes,
        },
    )
    # The employee gets the review (without the private notes) in a DM.
    enqueue(
        db,
        key=f"{plan.public_id}:review:{checkin.id}:{event.sequence}",
        kind=DeliveryKind.NOTICE,
        recipient_id=plan.employee_id,
        due_at=now,
        plan_id=plan.id,
        checkin_id=checkin.id,
        payload={"notice": Notice.REVIEW, "checkin_id": checkin.id},
    )
    return checkin


def unscheduled_count(db: Session, plan: Plan) -> int:
    """How many unscheduled check-ins `plan` has (the review form's version)."""
    return int(
        db.scalar(
            select(func.count()).where(
                Checkin.plan_id == plan.id, Checkin.kind == CheckinKind.UNSCHEDULED
            )
        )
        or 0
    )


def _same_unscheduled_review(
    db: Session,
    plan: Plan,
    actor: Actor,
    seen: int,
    marks: list[GoalMark],
    next_steps: str,
    private_notes: str,
) -> Checkin | None:
    """The unscheduled check-in added since the form opened, if `actor` added it with
    exactly this review (the same form submitted twice)."""
    if unscheduled_count(db, plan) <= seen:
        return None
    newest = db.scalar(
        select(Checkin)
        .where(Checkin.plan_id == plan.id, Checkin.kind == CheckinKind.UNSCHEDULED)
        .order_by(Checkin.id.desc())
        .limit(1)
    )
    if newest is not None and newest.reviewer_id == actor.user_id:
        if _same_review(newest, marks, next_steps, private_notes):
            return newest
    return None


def marks_by(checkin: Checkin, author: Author) -> dict[int, CheckinGoalStatus]:
    """The per-goal rows `author` wrote for `checkin`, by goal id."""
    return {row.goal_id: row for row in checkin.goal_statuses if row.author == author}


def mark_missed(db: Session, checkin: Checkin) -> bool:
    """Mark the check-in missed when it has neither an answer nor a review; True if so."""
    if has_answer(checkin) or checkin.reviewed_at is not None:
        return False
    if checkin.status != CheckinStatus.MISSED:
        checkin.status = CheckinStatus.MISSED
        audit.append_event(
            db,
            checkin.plan,
            audit.SYSTEM,
            EventKind.CHECKIN_MISSED,
            {"checkin_id": checkin.id, "occurrence_date": checkin.occurrence_date},
        )
    return True
