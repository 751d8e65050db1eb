"""What a check-in is missing when its time is up, and whose it is to give.

A check-in has two halves: the employee's self-assessment and the manager's review. It is
only the employee's miss when they were asked and did not answer; an answer the manager did
not review is the manager's review outstanding, never the employee's miss.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Checkin, CheckinStatus, Delivery, DeliveryKind, DeliveryStatus, EventKind, Plan
from services import audit
from services.checkins import has_answer


@dataclass(frozen=True)
class Outstanding:
    """What a check-in still lacks: the self-assessment (asked on a date), the review, both."""

    self_assessment_asked: date | None = None
    review_asked: date | None = None

    @property
    def anything(self) -> bool:
        """True when something is outstanding."""
        return self.self_assessment_asked is not None or self.review_asked is not None

    @property
    def parts(self) -> list[str]:
        """The outstanding halves by name (for the history)."""
        names = [("self_assessment", self.self_assessment_asked), ("review", self.review_asked)]
        return [name for name, asked in names if asked is not None]


def _asked_on(db: Session, checkin: Checkin, kind: DeliveryKind) -> date | None:
    """The local date the `kind` message of `checkin` was sent on (None if it never was)."""
    sent = db.scalar(
        select(Delivery)
        .where(
            Delivery.checkin_id == checkin.id,
            Delivery.kind == kind,
            Delivery.status == DeliveryStatus.SENT,
        )
        .limit(1)
    )
    if sent is None:
        return None
    local_day = sent.payload.get("local_date")
    return date.fromisoformat(str(local_day)) if local_day else checkin.occurrence_date


def outstanding(db: Session, checkin: Checkin) -> Outstanding:
    """What `checkin` lacks. A reviewed check-in is complete; an unasked half is nobody's."""
    if checkin.reviewed_at is not None:
        return Outstanding()
    employee = None if has_answer(checkin) else _asked_on(db, checkin, DeliveryKind.CHECKIN_PROMPT)
    return Outstanding(employee, _asked_on(db, checkin, DeliveryKind.REVIEW_PROMPT))


def still_waiting(db: Session, plan: Plan, occurrence: date) -> bool:
    """True while a message of this check-in waits for someone who appears away."""
    rows = db.scalars(
        select(Delivery.payload).where(
            Delivery.plan_id == plan.id,
            Delivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.CLAIMED]),
            Delivery.kind.in_(
                [
                    DeliveryKind.CHECKIN_PROMPT,
                    DeliveryKind.CHECKIN_REMINDER,
                    DeliveryKind.REVIEW_PROMPT,
                    DeliveryKind.REVIEW_REMINDER,
                ]
            ),
        )
    )
    return any(
        str(p.get("occurrence_date")) == occurrence.isoformat() and p.get("away_waits")
        for p in rows
    )


def record_missed(db: Session, checkin: Checkin, missing: Outstanding) -> None:
    """Record what was missing in the history; the check-in is missed only for the employee's
    half (an unreviewed answer stays answered)."""
    if missing.self_assessment_asked is not None:
        if checkin.status == CheckinStatus.MISSED:
            return
        checkin.status = CheckinStatus.MISSED
    audit.append_event(
        db,
        checkin.plan,
        audit.SYSTEM,
        EventKind.CHECKIN_MISSED if missing.self_assessment_asked else EventKind.REVIEW_MISSED,
        {
            "checkin_id": checkin.id,
            "occurrence_date": checkin.occurrence_date,
            "outstanding": missing.parts,
        },
    )
