"""Out of office: a check-in waits while its person's Slack status says they are away.

The status comes from `users.info` and is trusted for at most an hour. A message that waits
moves to the person's next business day, at most `MAX_WAIT_BUSINESS_DAYS` times; the rest
of its check-in (reminders, the review, the missed check) moves with it, so nothing can be
marked missed while it waits.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Delivery, DeliveryKind, DeliveryStatus, EventKind, Notice, Plan, SlackStatus
from services import audit
from services.calendar import Workdays, local_date, local_instant, next_business_day
from services.outbox import dialect_insert, enqueue
from services.schedule import Recipients, key

FRESH_FOR = timedelta(hours=1)
MAX_WAIT_BUSINESS_DAYS = 10
# The messages that wait for their person, and what of the same check-in moves along.
WAITING_KINDS = {
    DeliveryKind.CHECKIN_PROMPT: (
        DeliveryKind.CHECKIN_REMINDER,
        DeliveryKind.REVIEW_PROMPT,
        DeliveryKind.REVIEW_REMINDER,
        DeliveryKind.CHECKIN_MISSED,
    ),
    DeliveryKind.CHECKIN_REMINDER: (DeliveryKind.CHECKIN_MISSED,),
    DeliveryKind.REVIEW_PROMPT: (DeliveryKind.REVIEW_REMINDER, DeliveryKind.CHECKIN_MISSED),
    DeliveryKind.REVIEW_REMINDER: (DeliveryKind.CHECKIN_MISSED,),
}


@dataclass(frozen=True)
class Status:
    """A Slack status: its emoji, its text and when Slack clears it (if ever)."""

    emoji: str = ""
    text: str = ""
    expires_at: datetime | None = None


def matches_away(status: Status, patterns: Sequence[str], now: datetime) -> bool:
    """True when `status` says its person is away: an emoji named in `patterns`, or one of
    the words or phrases of `patterns` in its text (whole words, any case)."""
    if status.expires_at is not None and status.expires_at <= now:
        return False
    for pattern in patterns:
        if pattern.startswith(":") and pattern.endswith(":") and len(pattern) > 2:
            if status.emoji.lower() == pattern.lower():
                return True
        elif pattern and re.search(rf"(?<!\w){re.escape(pattern)}(?!\w)", status.text, re.I):
            return True
    return False


def remember(db: Session, user_id: str, status: Status, now: datetime) -> None:
    """Store `user_id`'s status as read now (the caller commits)."""
    values = {
        "emoji": status.emoji[:100],
        "text": status.text[:255],
        "expires_at": status.expires_at,
        "fetched_at": now,
    }
    statement = dialect_insert(db)(SlackStatus).values(user_id=user_id, **values)
    db.execute(statement.on_conflict_do_update(index_elements=["user_id"], set_=values))


def fresh_status(db: Session, user_id: str, now: datetime) -> Status | None:
    """`user_id`'s status when read within the last hour, else None (unknown)."""
    row = db.get(SlackStatus, user_id)
    if row is None or now - row.fetched_at > FRESH_FOR:
        return None
    return Status(row.emoji, row.text, row.expires_at)


def needing_status(db: Session, now: datetime, limit: int = 20) -> list[str]:
    """People owed a check-in message now whose status is unknown or older than an hour."""
    due = (
        select(Delivery.recipient_id)
        .where(
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.next_attempt_at <= now,
            Delivery.kind.in_(list(WAITING_KINDS)),
        )
        .distinct()
        .subquery()
    )
    rows = db.execute(
        select(due.c.recipient_id)
        .outerjoin(SlackStatus, SlackStatus.user_id == due.c.recipient_id)
        .where(SlackStatus.user_id.is_(None) | (SlackStatus.fetched_at < now - FRESH_FOR))
        .limit(limit)
    )
    return [str(row[0]) for row in rows]


def _workdays_and_zone(plan: Plan, recipient: str, to: Recipients) -> tuple[Workdays, str]:
    if recipient == plan.manager_id:
        return to.manager_days, to.manager_tz
    return to.employee_days, to.employee_tz


def wait_if_away(
    db: Session,
    plan: Plan,
    delivery: Delivery,
    to: Recipients,
    patterns: Sequence[str],
    now: datetime,
) -> datetime | None:
    """When the delivery's recipient appears away, move it and the rest of its check-in to
    their next business day and return when it is due again; None when it goes now.

    The first time an employee's check-in waits, the manager is told (once).
    """
    if delivery.kind not in WAITING_KINDS or not patterns:
        return None
    status = fresh_status(db, delivery.recipient_id, now)
    if status is None or not matches_away(status, patterns, now):
        return None
    waited = int(delivery.payload.get("away_waits", 0))
    if waited >= MAX_WAIT_BUSINESS_DAYS:
        return None
    workdays, tz = _workdays_and_zone(plan, delivery.recipient_id, to)
    today = local_date(now, tz)
    again = local_instant(next_business_day(today, workdays), to.checkin_time, tz)
    occurrence = str(delivery.payload.get("occurrence_date", ""))
    delivery.payload = {**delivery.payload, "away_waits": waited + 1}
    _move_along(db, plan, occurrence, WAITING_KINDS[delivery.kind], to)
    if waited == 0:
        audit.append_event(
            db,
            plan,
            audit.SYSTEM,
            EventKind.CHECKIN_WAITING,
            {
                "occurrence_date": occurrence,
                "waiting_for": delivery.recipient_id,
                "message": delivery.kind.value,
                "why": "Slack status shows them away",
            },
        )
    if waited == 0 and delivery.recipient_id == plan.employee_id:
        enqueue(
            db,
            key=key(plan, DeliveryKind.NOTICE, plan.manager_id, f"away{occurrence}"),
            kind=DeliveryKind.NOTICE,
            recipient_id=plan.manager_id,
            due_at=now,
            plan_id=plan.id,
            payload={"notice": Notice.AWAY, "occurrence_date": occurrence},
        )
    return again


def _move_along(
    db: Session, plan: Plan, occurrence: str, kinds: Sequence[DeliveryKind], to: Recipients
) -> None:
    """Move each pending `kinds` delivery of the occurrence one business day later."""
    rows = db.scalars(
        select(Delivery).where(
            Delivery.plan_id == plan.id,
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.kind.in_(list(kinds)),
        )
    )
    for row in rows:
        if str(row.payload.get("occurrence_date")) != occurrence:
            continue
        local_day = row.payload.get("local_date")
        if not local_day:
            continue
        tz_owner = plan.manager_id if row.recipient_id == plan.manager_id else plan.employee_id
        workdays, tz = _workdays_and_zone(plan, tz_owner, to)
        moved = next_business_day(date.fromisoformat(str(local_day)), workdays)
        row.payload = {**row.payload, "local_date": moved.isoformat()}
        row.due_at = local_instant(moved, to.checkin_time, tz)
        row.next_attempt_at = max(row.next_attempt_at, row.due_at)


def prompt_dropped(db: Session, plan: Plan, occurrence: date) -> bool:
    """True when the employee's prompt of this check-in was skipped (superseded or paused):
    a check-in that never reached the employee is not put to the manager either."""
    status = db.scalar(
        select(Delivery.status).where(
            Delivery.occurrence_key
            == key(plan, DeliveryKind.CHECKIN_PROMPT, plan.employee_id, occurrence.isoformat())
        )
    )
    return status == DeliveryStatus.SKIPPED
