"""What a plan owes whom and when: the outbox rows of a plan's lifecycle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy.orm import Session

from models import DeliveryKind, Plan
from services.calendar import add_business_days, local_instant, next_business_day, occurrences
from services.outbox import enqueue

ACK_REMINDER_BUSINESS_DAYS = 2
NOT_ACKNOWLEDGED_BUSINESS_DAYS = 5


@dataclass(frozen=True)
class Recipients:
    """The people and places a plan's messages go to, with the zones that time them."""

    employee_tz: str
    manager_tz: str
    hr_channel_id: str | None
    checkin_time: time


def key(plan: Plan, kind: DeliveryKind, recipient: str, suffix: str = "") -> str:
    """The occurrence key of one owed message: plan, kind, recipient and what makes it unique."""
    return ":".join(part for part in (plan.public_id, kind.value, recipient, suffix) if part)


def schedule_acknowledgement(
    db: Session, plan: Plan, to: Recipients, now: datetime, round_: int
) -> None:
    """The acknowledgement request now, its reminder and the not-acknowledged notices."""
    suffix = f"round{round_}"
    payload = {"round": round_}
    enqueue(
        db,
        key=key(plan, DeliveryKind.ACK_REQUEST, plan.employee_id, suffix),
        kind=DeliveryKind.ACK_REQUEST,
        recipient_id=plan.employee_id,
        due_at=now,
        plan_id=plan.id,
        payload=payload,
    )
    enqueue(
        db,
        key=key(plan, DeliveryKind.ACK_REMINDER, plan.employee_id, suffix),
        kind=DeliveryKind.ACK_REMINDER,
        recipient_id=plan.employee_id,
        due_at=add_business_days(now, ACK_REMINDER_BUSINESS_DAYS, to.employee_tz),
        plan_id=plan.id,
        payload=payload,
    )
    overdue = add_business_days(now, NOT_ACKNOWLEDGED_BUSINESS_DAYS, to.employee_tz)
    for recipient in (plan.manager_id, to.hr_channel_id):
        if recipient:
            enqueue(
                db,
                key=key(plan, DeliveryKind.NOT_ACKNOWLEDGED, recipient, suffix),
                kind=DeliveryKind.NOT_ACKNOWLEDGED,
                recipient_id=recipient,
                due_at=overdue,
                plan_id=plan.id,
                payload=payload,
            )


def schedule_checkins(db: Session, plan: Plan, to: Recipients, after: datetime) -> int:
    """Each check-in prompt and its review prompt due after `after`; returns how many were added.

    The employee is prompted on the check-in date (their local date, which names the
    occurrence); the manager is asked for a review the next business day, in their own zone,
    so that the employee's answer is there to review.
    """
    added = 0
    for day, instant in occurrences(
        plan.start_date,
        plan.end_date,
        plan.checkin_weekday,
        plan.cadence,
        to.checkin_time,
        to.employee_tz,
    ):
        payload = {"occurrence_date": day.isoformat()}
        review_at = local_instant(next_business_day(day), to.checkin_time, to.manager_tz)
        for kind, recipient, due_at in (
            (DeliveryKind.CHECKIN_PROMPT, plan.employee_id, instant),
            (DeliveryKind.REVIEW_PROMPT, plan.manager_id, review_at),
        ):
            if due_at > after:
                added += enqueue(
                    db,
                    key=key(plan, kind, recipient, day.isoformat()),
                    kind=kind,
                    recipient_id=recipient,
                    due_at=due_at,
                    plan_id=plan.id,
                    payload=payload,
                )
    return added


def schedule_end_of_plan(db: Session, plan: Plan, to: Recipients) -> None:
    """The "record the outcome" prompt to the manager on the end date."""
    enqueue(
        db,
        key=key(plan, DeliveryKind.END_OF_PLAN, plan.manager_id, plan.end_date.isoformat()),
        kind=DeliveryKind.END_OF_PLAN,
        recipient_id=plan.manager_id,
        due_at=local_instant(plan.end_date, to.checkin_time, to.manager_tz),
        plan_id=plan.id,
        payload={"end_date": plan.end_date.isoformat()},
    )


def schedule_new_plan(db: Session, plan: Plan, to: Recipients, now: datetime) -> None:
    """Everything a newly opened plan owes: requests, confirmations, notices and prompts."""
    schedule_acknowledgement(db, plan, to, now, round_=1)
    enqueue(
        db,
        key=key(plan, DeliveryKind.PLAN_CONFIRMATION, plan.manager_id),
        kind=DeliveryKind.PLAN_CONFIRMATION,
        recipient_id=plan.manager_id,
        due_at=now,
        plan_id=plan.id,
    )
    if to.hr_channel_id:
        enqueue(
            db,
            key=key(plan, DeliveryKind.HR_NOTICE, to.hr_channel_id, "opened"),
            kind=DeliveryKind.HR_NOTICE,
            recipient_id=to.hr_channel_id,
            due_at=now,
            plan_id=plan.id,
            payload={"notice": "opened"},
        )
    schedule_checkins(db, plan, to, after=now)
    schedule_end_of_plan(db, plan, to)
