"""Pausing a plan's clock (leave, an investigation) and restarting it, with the dates moved.

While a plan is paused nothing that runs its clock goes out: no prompt, reminder, escalation
or missed notice. Resuming moves the end date by the employee's business days paused and
restarts the check-ins from the resume day on the plan's weekday.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from models import Delivery, DeliveryKind, DeliveryStatus, Plan, PlanPause, PlanStatus
from services import audit, seals
from services.access import Action, Actor
from services.calendar import (
    business_days_after,
    business_days_between,
    local_date,
    local_instant,
    zone,
)
from services.drafts import LONG_TEXT_MAX
from services.errors import InvalidPlan, UsageError
from services.outbox import enqueue
from services.plans import get_plan, is_acknowledged
from services.schedule import (
    ACK_REMINDER_BUSINESS_DAYS,
    FOLLOWS_THE_PLAN,
    NOT_ACKNOWLEDGED_BUSINESS_DAYS,
    Recipients,
    key,
    plan_checkin_dates,
    schedule_checkins,
    schedule_end_of_plan,
)

PAUSABLE = (PlanStatus.ACTIVE, PlanStatus.ACKNOWLEDGED, PlanStatus.EXTENDED)
MAX_PAUSE_DAYS = 366
# What runs a plan's clock; none of it goes out while the plan is paused.
HELD_WHILE_PAUSED = FOLLOWS_THE_PLAN


@dataclass(frozen=True)
class PauseRequest:
    """What the pause form asks: why, until when (optional), and whether the employee hears why."""

    reason: str
    resume_on: date | None
    tell_employee: bool


def open_pause(db: Session, plan: Plan) -> PlanPause | None:
    """The plan's pause that has not ended, if any."""
    return db.scalar(
        select(PlanPause)
        .where(PlanPause.plan_id == plan.id, PlanPause.resumed_at.is_(None))
        .order_by(PlanPause.paused_at.desc())
        .limit(1)
    )


def pauses_of(db: Session, plan: Plan) -> list[PlanPause]:
    """Every pause of the plan, oldest first."""
    return list(
        db.scalars(
            select(PlanPause).where(PlanPause.plan_id == plan.id).order_by(PlanPause.paused_at)
        )
    )


def open_pauses(db: Session, plan_ids: list[int]) -> dict[int, PlanPause]:
    """The open pause of each of `plan_ids` that has one, by plan id (one query)."""
    if not plan_ids:
        return {}
    rows = db.scalars(
        select(PlanPause).where(PlanPause.plan_id.in_(plan_ids), PlanPause.resumed_at.is_(None))
    )
    return {row.plan_id: row for row in rows}


def check_request(request: PauseRequest, today: date) -> dict[str, str]:
    """The form's problems by field name (empty when the request is fine)."""
    errors: dict[str, str] = {}
    reason = request.reason.strip()
    if not reason:
        errors["reason"] = (
            "Say why the plan is paused, e.g. sick leave, parental leave or an HR investigation."
        )
    elif len(reason) > LONG_TEXT_MAX:
        errors["reason"] = f"Keep this to {LONG_TEXT_MAX} characters (it has {len(reason)})."
    if request.resume_on is not None:
        if request.resume_on <= today:
            errors["resume_on"] = (
                f"The resume date must be after today ({today:%a %-d %b %Y}); "
                "to restart now, use /pip resume."
            )
        elif request.resume_on > today + timedelta(days=MAX_PAUSE_DAYS):
            errors["resume_on"] = (
                "A resume date can be at most a year away; leave it empty if it is not known."
            )
    return errors


def require_pausable(plan: Plan, db: Session | None = None) -> None:
    """Refuse (UsageError) to pause a plan that is paused already or closed."""
    if plan.status == PlanStatus.PAUSED:
        current = open_pause(db, plan) if db is not None else None
        since = f" since {current.paused_on:%a %-d %b %Y}" if current else ""
        raise UsageError(
            f"Plan {plan.public_id} is already paused{since}. "
            f"To restart it: /pip resume {plan.public_id}."
        )
    if plan.status not in PAUSABLE:
        raise UsageError(f"Plan {plan.public_id} is closed, so it cannot be paused.")


def _drop_held(db: Session, plan: Plan) -> None:
    """Forget what runs the plan's clock and was not sent yet; resuming owes it again."""
    db.execute(
        delete(Delivery).where(
            Delivery.plan_id == plan.id,
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.kind.in_(HELD_WHILE_PAUSED),
        )
    )


def pause_plan(
    db: Session,
    actor: Actor,
    public_id: str,
    request: PauseRequest,
    *,
    recipients: Recipients,
    now: datetime,
) -> PlanPause:
    """Stop the plan's clock from now; the employee, the manager and HR are told.

    Two identical submissions at once pause it once: the second finds the pause made.
    """
    plan = get_plan(db, actor, public_id, Action.PAUSE)
    today = local_date(now, recipients.employee_tz)
    try:
        require_pausable(plan, db)
    except UsageError as refused:
        raise InvalidPlan({"reason": str(refused)}) from None
    errors = check_request(request, today)
    if errors:
        raise InvalidPlan(errors)
    won = db.execute(
        update(Plan)
        .where(Plan.id == plan.id, Plan.status.in_(PAUSABLE))
        .values(status=PlanStatus.PAUSED, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if int(getattr(won, "rowcount", 0) or 0) != 1:
        db.refresh(plan)
        existing = open_pause(db, plan)
        if existing is None:
            raise UsageError(f"Plan {plan.public_id} changed meanwhile; please try again.")
        return existing
    status_before = plan.status
    db.refresh(plan, ["status", "updated_at"])
    pause = PlanPause(
        plan_id=plan.id,
        paused_by=actor.user_id,
        paused_at=now,
        paused_on=today,
        reason=request.reason.strip(),
        tell_employee=request.tell_employee,
        resume_on=request.resume_on,
        status_before=status_before,
    )
    db.add(pause)
    db.flush()
    _drop_held(db, plan)
    audit.append_event(
        db,
        plan,
        actor.user_id,
        "paused",
        {
            "pause_id": pause.id,
            "paused_on": today,
            "reason": pause.reason,
            "resume_on": request.resume_on,
            "tell_employee": request.tell_employee,
        },
    )
    payload = {"pause_id": pause.id}
    _tell(db, plan, pause, recipients, "paused", now, manager=True)
    if request.resume_on is not None:
        enqueue(
            db,
            key=key(plan, DeliveryKind.RESUME, plan.employee_id, f"pause{pause.id}"),
            kind=DeliveryKind.RESUME,
            recipient_id=plan.employee_id,
            due_at=local_instant(
                request.resume_on, recipients.checkin_time, recipients.employee_tz
            ),
            plan_id=plan.id,
            payload={**payload, "local_date": request.resume_on.isoformat()},
        )
    return pause


def _tell(
    db: Session,
    plan: Plan,
    pause: PlanPause,
    to: Recipients,
    what: str,
    now: datetime,
    *,
    employee: bool = True,
    manager: bool = True,
) -> None:
    """Owe the `what` (paused / resumed) messages to the employee, the manager and HR."""
    # Each pause and resume is a moment that matters: the messages carry the history's seal.
    payload = seals.stamp(db, plan, {"notice": what, "pause_id": pause.id})
    people = [plan.employee_id] if employee else []
    if manager:
        people.append(plan.manager_id)
    for person in people:
        enqueue(
            db,
            key=key(plan, DeliveryKind.NOTICE, person, f"{what}{pause.id}"),
            kind=DeliveryKind.NOTICE,
            recipient_id=person,
            due_at=now,
            plan_id=plan.id,
            payload=payload,
        )
    if to.hr_channel_id:
        enqueue(
            db,
            key=key(plan, DeliveryKind.HR_NOTICE, to.hr_channel_id, f"{what}{pause.id}"),
            kind=DeliveryKind.HR_NOTICE,
            recipient_id=to.hr_channel_id,
            due_at=now,
            plan_id=plan.id,
            payload=payload,
        )


def resume_plan(
    db: Session, actor: Actor, public_id: str, *, recipients: Recipients, now: datetime
) -> PlanPause:
    """Restart a paused plan today (`/pip resume`); the employee, manager and HR are told."""
    plan = get_plan(db, actor, public_id, Action.RESUME)
    pause = open_pause(db, plan)
    if plan.status != PlanStatus.PAUSED or pause is None:
        raise UsageError(f"Plan {plan.public_id} is not paused, so there is nothing to resume.")
    today = local_date(now, recipients.employee_tz)
    prompt_today = local_instant(today, recipients.checkin_time, recipients.employee_tz)
    restart_on = today if now < prompt_today else today + timedelta(days=1)
    return _resume(db, plan, pause, actor.user_id, today, restart_on, recipients, now, now)


def resume_on_schedule(
    db: Session, plan: Plan, pause: PlanPause, *, recipients: Recipients, now: datetime
) -> bool:
    """Restart the plan on its pause's resume date (the outbox's RESUME delivery).

    True when this call resumed it; False when it was already resumed or closed.
    """
    if pause.resumed_at is not None or plan.status != PlanStatus.PAUSED:
        return False
    day = pause.resume_on or local_date(now, recipients.employee_tz)
    midnight = datetime.combine(day, datetime.min.time()).replace(
        tzinfo=zone(recipients.employee_tz)
    )
    _resume(db, plan, pause, None, day, day, recipients, now, midnight)
    return True


def _resume(
    db: Session,
    plan: Plan,
    pause: PlanPause,
    actor_id: str | None,
    resumed_on: date,
    restart_on: date,
    to: Recipients,
    now: datetime,
    owe_after: datetime,
) -> PlanPause:
    won = db.execute(
        update(PlanPause)
        .where(PlanPause.id == pause.id, PlanPause.resumed_at.is_(None))
        .values(resumed_at=now, resumed_by=actor_id or audit.SYSTEM)
        .execution_options(synchronize_session=False)
    )
    db.refresh(pause)
    if int(getattr(won, "rowcount", 0) or 0) != 1:
        return pause  # a second identical request: the first one resumed it
    days = business_days_between(pause.paused_on, resumed_on, to.employee_days)
    end_before = plan.end_date
    end_after = business_days_after(end_before, days, to.employee_days) if days else end_before
    status = pause.status_before
    if status == PlanStatus.ACTIVE and is_acknowledged(plan):
        status = PlanStatus.ACKNOWLEDGED
    plan.status = status
    plan.end_date = end_after
    plan.updated_at = now
    pause.resumed_on = resumed_on
    pause.restart_on = restart_on
    pause.business_days = days
    pause.end_before = end_before
    pause.end_after = end_after
    db.flush()
    audit.append_event(
        db,
        plan,
        actor_id or audit.SYSTEM,
        "resumed",
        {
            "pause_id": pause.id,
            "paused_on": pause.paused_on,
            "resumed_on": resumed_on,
            "business_days": days,
            "changes": {"end_date": {"before": end_before, "after": end_after}},
            "automatic": actor_id is None,
        },
    )
    _drop_held(db, plan)
    db.execute(
        delete(Delivery).where(
            Delivery.plan_id == plan.id,
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.kind == DeliveryKind.RESUME,
        )
    )
    if not is_acknowledged(plan):
        _owe_acknowledgement(db, plan, to, now)
    schedule_checkins(db, plan, to, after=owe_after)
    schedule_end_of_plan(db, plan, to)
    # On the resume date the RESUME delivery is itself the employee's message.
    _tell(
        db,
        plan,
        pause,
        to,
        "resumed",
        now,
        employee=actor_id is not None,
        manager=actor_id != plan.manager_id,
    )
    return pause


def _owe_acknowledgement(db: Session, plan: Plan, to: Recipients, now: datetime) -> None:
    """The acknowledgement reminder and notices again, counted from the restart."""
    round_ = int(
        db.scalar(
            select(func.count()).where(
                Delivery.plan_id == plan.id, Delivery.kind == DeliveryKind.ACK_REQUEST
            )
        )
        or 1
    )
    suffix = f"round{round_}"
    due = business_days_after(
        local_date(now, to.employee_tz), ACK_REMINDER_BUSINESS_DAYS, to.employee_days
    )
    overdue = business_days_after(
        local_date(now, to.employee_tz), NOT_ACKNOWLEDGED_BUSINESS_DAYS, to.employee_days
    )
    enqueue(
        db,
        key=key(plan, DeliveryKind.ACK_REMINDER, plan.employee_id, suffix),
        kind=DeliveryKind.ACK_REMINDER,
        recipient_id=plan.employee_id,
        due_at=local_instant(due, to.checkin_time, to.employee_tz),
        plan_id=plan.id,
        payload={"round": round_},
    )
    for recipient in (plan.manager_id, to.hr_channel_id):
        if recipient:
            enqueue(
                db,
                key=key(plan, DeliveryKind.NOT_ACKNOWLEDGED, recipient, suffix),
                kind=DeliveryKind.NOT_ACKNOWLEDGED,
                recipient_id=recipient,
                due_at=local_instant(overdue, to.checkin_time, to.employee_tz),
                plan_id=plan.id,
                payload={"round": round_},
            )


def next_checkin(db: Session, plan: Plan, to: Recipients, on_or_after: date) -> date | None:
    """The first check-in date of the plan on or after `on_or_after` (None: no more)."""
    return next(
        (d for d in plan_checkin_dates(db, plan, to.employee_days) if d >= on_or_after), None
    )


def _paused_message(plan: Plan) -> str:
    return (
        f"Plan {plan.public_id} is paused. Resume it first with "
        f"/pip resume {plan.public_id}, then change it."
    )


def require_running(plan: Plan, field: str) -> None:
    """Refuse (InvalidPlan on `field`) to change a paused plan: it is resumed first."""
    if plan.status == PlanStatus.PAUSED:
        raise InvalidPlan({field: _paused_message(plan)})


def refuse_if_paused(plan: Plan) -> None:
    """Refuse (UsageError) to open a form that changes a paused plan."""
    if plan.status == PlanStatus.PAUSED:
        raise UsageError(_paused_message(plan))
