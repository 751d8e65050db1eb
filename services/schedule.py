"""What a plan owes whom and when: the outbox rows of a plan's lifecycle."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Delivery, DeliveryKind, DeliveryStatus, Plan, PlanPause, PlanStatus
from services import users
from services.calendar import (
    CADENCE_DAYS,
    WEEKDAYS,
    HolidayRules,
    Workdays,
    add_business_days,
    business_days_after,
    checkin_dates,
    first_weekday_on_or_after,
    local_instant,
    next_business_day,
    on_or_after,
)
from services.outbox import enqueue

ACK_REMINDER_BUSINESS_DAYS = 2
NOT_ACKNOWLEDGED_BUSINESS_DAYS = 5
REVIEW_REMINDER_BUSINESS_DAYS = 2
OUTCOME_REMINDER_BUSINESS_DAYS = 2
OUTCOME_OVERDUE_BUSINESS_DAYS = 5


@dataclass(frozen=True)
class Recipients:
    """The people and places a plan's messages go to, with the zones that time them."""

    employee_tz: str
    manager_tz: str
    hr_channel_id: str | None
    checkin_time: time
    employee_days: Workdays = WEEKDAYS
    manager_days: Workdays = WEEKDAYS

    @classmethod
    def of(
        cls,
        employee_tz: str,
        manager_tz: str,
        hr_channel_id: str | None,
        checkin_time: time,
        rules: HolidayRules,
    ) -> Recipients:
        """Recipients whose business days follow `rules` in their own zones."""
        return cls(
            employee_tz,
            manager_tz,
            hr_channel_id,
            checkin_time,
            rules.workdays(employee_tz),
            rules.workdays(manager_tz),
        )


def cached_recipients(
    db: Session, plan: Plan, hr_channel_id: str | None, checkin_time: time, rules: HolidayRules
) -> Recipients:
    """The plan's recipients from the profile cache (no Slack call; UTC when never seen)."""
    employee = users.last_known(db, plan.employee_id)
    manager = users.last_known(db, plan.manager_id)
    return Recipients.of(
        employee.tz if employee else "UTC",
        manager.tz if manager else "UTC",
        hr_channel_id,
        checkin_time,
        rules,
    )


def key(plan: Plan, kind: DeliveryKind, recipient: str, suffix: str = "") -> str:
    """The occurrence key of one owed message: plan, kind, recipient and what makes it unique."""
    return ":".join(part for part in (plan.public_id, kind.value, recipient, suffix) if part)


def schedule_acknowledgement(
    db: Session,
    plan: Plan,
    to: Recipients,
    now: datetime,
    round_: int,
    extra: dict[str, Any] | None = None,
) -> None:
    """The acknowledgement request now, its reminder and the not-acknowledged notices.

    Round 1 is the new plan; each amendment starts another round (`extra` says what changed).
    """
    suffix = f"round{round_}"
    payload = {"round": round_, **(extra or {})}
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
        due_at=add_business_days(now, ACK_REMINDER_BUSINESS_DAYS, to.employee_tz, to.employee_days),
        plan_id=plan.id,
        payload=payload,
    )
    overdue = add_business_days(
        now, NOT_ACKNOWLEDGED_BUSINESS_DAYS, to.employee_tz, to.employee_days
    )
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


def _enqueue_local(
    db: Session,
    plan: Plan,
    kind: DeliveryKind,
    recipient: str,
    occurrence: date,
    local_day: date,
    tz: str,
    to: Recipients,
    after: datetime,
) -> int:
    """Owe `kind` for `occurrence`, due on `local_day` at the check-in time in `tz`."""
    due_at = local_instant(local_day, to.checkin_time, tz)
    if due_at <= after:
        return 0
    return int(
        enqueue(
            db,
            key=key(plan, kind, recipient, occurrence.isoformat()),
            kind=kind,
            recipient_id=recipient,
            due_at=due_at,
            plan_id=plan.id,
            payload={
                "occurrence_date": occurrence.isoformat(),
                "local_date": local_day.isoformat(),
            },
        )
    )


Break = tuple[date, date | None]


def pause_breaks(db: Session, plan: Plan) -> list[Break]:
    """The plan's pauses as (first day paused, day check-ins restart or None while paused)."""
    rows = db.execute(
        select(PlanPause.paused_on, PlanPause.restart_on)
        .where(PlanPause.plan_id == plan.id)
        .order_by(PlanPause.paused_at)
    )
    return [(row[0], row[1]) for row in rows]


def checkin_runs(
    plan: Plan, workdays: Workdays = WEEKDAYS, breaks: Sequence[Break] = ()
) -> list[list[date]]:
    """The plan's check-in dates in runs between pauses, oldest first.

    A run ends the day before a pause; the next starts on the plan's weekday on or after the
    day check-ins restart. While a pause is open there is no later run.
    """
    runs: list[list[date]] = []
    first: date | None = None
    for paused_on, restart_on in breaks:
        dates = checkin_dates(
            plan.start_date,
            plan.end_date,
            plan.checkin_weekday,
            plan.cadence,
            workdays,
            first=first,
        )
        runs.append([d for d in dates if d < paused_on])
        if restart_on is None:
            return runs
        restart = max(restart_on, plan.start_date + timedelta(days=1))
        first = first_weekday_on_or_after(restart, plan.checkin_weekday)
    runs.append(
        checkin_dates(
            plan.start_date,
            plan.end_date,
            plan.checkin_weekday,
            plan.cadence,
            workdays,
            first=first,
        )
    )
    return runs


def plan_checkin_dates(db: Session, plan: Plan, workdays: Workdays = WEEKDAYS) -> list[date]:
    """Every check-in date of `plan`, holidays moved and paused stretches left out."""
    return [day for run in checkin_runs(plan, workdays, pause_breaks(db, plan)) for day in run]


def schedule_checkins(db: Session, plan: Plan, to: Recipients, after: datetime) -> int:
    """Every check-in's prompts, reminders and missed notice due after `after`; returns the count.

    For an occurrence on day D (the employee's local date, which names it; a holiday of
    theirs moves it to their next business day):
    - the employee's prompt on D, and one reminder their next business day;
    - the manager's review prompt on the manager's next business day, so the answer is
      there to review, and one reminder 2 of the manager's business days after that;
    - on the next occurrence's date (D plus the cadence after the last one), a check of
      whether it was missed, told to the HR channel (or the manager when there is none).
      The last check-in before a pause has none: nobody can miss what a pause interrupted.
    All times are the check-in time in the recipient's own zone, except the missed check,
    which follows the employee's (it is about their occurrence).
    """
    runs = checkin_runs(plan, to.employee_days, pause_breaks(db, plan))
    step = timedelta(days=CADENCE_DAYS[plan.cadence])
    added = 0
    missed_to = to.hr_channel_id or plan.manager_id
    for number, run in enumerate(runs):
        last_run = number == len(runs) - 1 and plan.status != PlanStatus.PAUSED
        for index, day in enumerate(run):
            review_day = next_business_day(day, to.manager_days)
            following: date | None = run[index + 1] if index + 1 < len(run) else None
            if following is None and last_run:
                following = day + step
            owed: list[tuple[DeliveryKind, str, date, str]] = [
                (DeliveryKind.CHECKIN_PROMPT, plan.employee_id, day, to.employee_tz),
                (
                    DeliveryKind.CHECKIN_REMINDER,
                    plan.employee_id,
                    next_business_day(day, to.employee_days),
                    to.employee_tz,
                ),
                (DeliveryKind.REVIEW_PROMPT, plan.manager_id, review_day, to.manager_tz),
                (
                    DeliveryKind.REVIEW_REMINDER,
                    plan.manager_id,
                    business_days_after(review_day, REVIEW_REMINDER_BUSINESS_DAYS, to.manager_days),
                    to.manager_tz,
                ),
            ]
            if following is not None:
                owed.append((DeliveryKind.CHECKIN_MISSED, missed_to, following, to.employee_tz))
            for kind, recipient, local_day, tz in owed:
                added += _enqueue_local(db, plan, kind, recipient, day, local_day, tz, to, after)
    return added


def schedule_end_of_plan(db: Session, plan: Plan, to: Recipients) -> None:
    """On the end date (or the manager's next business day) the manager is asked for the
    outcome; without one 2 business days later they are reminded, and 5 business days later
    the HR channel is told. Business days are the manager's.

    Times are the check-in time in the manager's zone; closing the plan cancels what is left.
    """
    end = plan.end_date
    days = to.manager_days
    for kind, recipient, local_day in (
        (DeliveryKind.END_OF_PLAN, plan.manager_id, on_or_after(end, days)),
        (
            DeliveryKind.OUTCOME_REMINDER,
            plan.manager_id,
            business_days_after(end, OUTCOME_REMINDER_BUSINESS_DAYS, days),
        ),
        (
            DeliveryKind.OUTCOME_OVERDUE,
            to.hr_channel_id,
            business_days_after(end, OUTCOME_OVERDUE_BUSINESS_DAYS, days),
        ),
    ):
        if recipient:
            enqueue(
                db,
                key=key(plan, kind, recipient, end.isoformat()),
                kind=kind,
                recipient_id=recipient,
                due_at=local_instant(local_day, to.checkin_time, to.manager_tz),
                plan_id=plan.id,
                payload={"end_date": end.isoformat(), "local_date": local_day.isoformat()},
            )


def schedule_new_plan(
    db: Session, plan: Plan, to: Recipients, now: datetime, opened: dict[str, Any] | None = None
) -> None:
    """Everything a newly opened plan owes: requests, confirmations, notices and prompts.

    `opened` adds to HR's notice (a draft sent late says how far its dates moved).
    """
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
            payload={"notice": "opened", **(opened or {})},
        )
    schedule_checkins(db, plan, to, after=now)
    schedule_end_of_plan(db, plan, to)


# Everything owed because of the plan's content and dates: re-made after an amendment or an
# extension, held while the plan is paused.
FOLLOWS_THE_PLAN = frozenset(
    {
        DeliveryKind.ACK_REMINDER,
        DeliveryKind.NOT_ACKNOWLEDGED,
        DeliveryKind.CHECKIN_PROMPT,
        DeliveryKind.CHECKIN_REMINDER,
        DeliveryKind.REVIEW_PROMPT,
        DeliveryKind.REVIEW_REMINDER,
        DeliveryKind.CHECKIN_MISSED,
        DeliveryKind.END_OF_PLAN,
        DeliveryKind.OUTCOME_REMINDER,
        DeliveryKind.OUTCOME_OVERDUE,
    }
)
RETIMED_KINDS = {
    DeliveryKind.CHECKIN_PROMPT,
    DeliveryKind.CHECKIN_REMINDER,
    DeliveryKind.REVIEW_PROMPT,
    DeliveryKind.REVIEW_REMINDER,
    DeliveryKind.END_OF_PLAN,
    DeliveryKind.OUTCOME_REMINDER,
}


def retime_for_zone(db: Session, user_id: str, tz: str, checkin_time: time) -> int:
    """Move `user_id`'s pending prompts to `checkin_time` in their new zone `tz`.

    Each pending prompt keeps its local date (the occurrence it belongs to) and gets the
    UTC instant of that local date and time in `tz`. Returns how many moved.
    """
    moved = 0
    pending = db.scalars(
        select(Delivery).where(
            Delivery.recipient_id == user_id,
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.kind.in_(RETIMED_KINDS),
        )
    )
    for delivery in pending:
        local_day = delivery.payload.get("local_date")
        if not local_day:
            continue
        new_due = local_instant(date.fromisoformat(local_day), checkin_time, tz)
        if new_due != delivery.due_at:
            delivery.due_at = new_due
            delivery.next_attempt_at = new_due
            moved += 1
    return moved
