"""Seals: the history's head (event count and SHA-256) sent into Slack at the moments that matter.

A seal rides on a message the bot owes anyway (the employee's copy and the HR notice): the
delivery's payload carries it, the message shows it in a context line and carries it in its
Slack metadata. Those copies live outside the database, so a history rewritten from its first
event still disagrees with them (see services/verify.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Delivery, DeliveryKind, DeliveryStatus, Notice, Plan, PlanEvent
from services.outbox import enqueue

SEAL = "seal"  # the payload key of a delivery that carries a seal
SHORT = 4  # hex digits shown at each end of the hash


@dataclass(frozen=True)
class Seal:
    """The head of a plan's history at one moment."""

    plan: str
    events: int
    hash: str

    def payload(self) -> dict[str, Any]:
        """The seal as stored in a delivery's payload and sent in message metadata."""
        return {"plan": self.plan, "events": self.events, "hash": self.hash}

    @classmethod
    def from_payload(cls, payload: Any) -> Seal | None:
        """A seal read back from a payload or message metadata; None when it is not one."""
        if not isinstance(payload, dict):
            return None
        plan, events, digest = payload.get("plan"), payload.get("events"), payload.get("hash")
        if not isinstance(plan, str) or not isinstance(digest, str) or len(digest) != 64:
            return None
        try:
            count = int(str(events))
        except ValueError:
            return None
        return cls(plan, count, digest.lower())

    @property
    def short(self) -> str:
        """The hash as people compare it by eye: `3f9a…c21b`."""
        return f"{self.hash[:SHORT]}…{self.hash[-SHORT:]}"

    @property
    def line(self) -> str:
        """The context line a sealed message carries."""
        noun = "event" if self.events == 1 else "events"
        return f"Record sealed: {self.events} {noun} · {self.short}"


def current(db: Session, plan: Plan) -> Seal:
    """The head of `plan`'s history now (call after appending the event being sealed)."""
    db.flush()
    last = db.execute(
        select(PlanEvent.sequence, PlanEvent.hash)
        .where(PlanEvent.plan_id == plan.id)
        .order_by(PlanEvent.sequence.desc())
        .limit(1)
    ).first()
    events, digest = (int(last[0]), str(last[1])) if last else (0, "0" * 64)
    return Seal(plan.public_id, events, digest)


def stamp(db: Session, plan: Plan, payload: dict[str, Any]) -> dict[str, Any]:
    """`payload` with the current seal added: for a message that witnesses this moment.

    The hook for every moment that matters (acknowledgement, amendment, extension, pause,
    close): put the returned payload on the employee's message and on the HR notice.
    """
    return {**payload, SEAL: current(db, plan).payload()}


def notify_sealed(
    db: Session,
    plan: Plan,
    *,
    notice: Notice,
    now: datetime,
    hr_channel_id: str | None,
    employee: bool,
    extra: dict[str, Any] | None = None,
) -> None:
    """Owe the employee (when `employee`) and the HR channel a notice of this moment, sealed."""
    payload = stamp(db, plan, {"notice": notice, **(extra or {})})
    events = payload[SEAL]["events"]
    if employee:
        enqueue(
            db,
            key=f"{plan.public_id}:notice:{plan.employee_id}:{notice}:{events}",
            kind=DeliveryKind.NOTICE,
            recipient_id=plan.employee_id,
            due_at=now,
            plan_id=plan.id,
            payload=payload,
        )
    if hr_channel_id:
        enqueue(
            db,
            key=f"{plan.public_id}:hr_notice:{hr_channel_id}:{notice}:{events}",
            kind=DeliveryKind.HR_NOTICE,
            recipient_id=hr_channel_id,
            due_at=now,
            plan_id=plan.id,
            payload=payload,
        )


@dataclass(frozen=True)
class SentSeal:
    """A seal the outbox says it sent: where and when, as the database remembers it."""

    seal: Seal
    recipient_id: str
    channel_id: str
    message_ts: str
    sent_at: datetime


def sent_seals(db: Session, plan: Plan) -> list[SentSeal]:
    """Every sealed message of `plan` that was posted, oldest first."""
    rows = db.scalars(
        select(Delivery)
        .where(Delivery.plan_id == plan.id, Delivery.status == DeliveryStatus.SENT)
        .order_by(Delivery.sent_at, Delivery.id)
    )
    found = []
    for row in rows:
        seal = Seal.from_payload((row.payload or {}).get(SEAL))
        if seal is not None and row.sent_at is not None:
            found.append(
                SentSeal(
                    seal, row.recipient_id, row.channel_id or "", row.message_ts or "", row.sent_at
                )
            )
    return found


def employee_channel(db: Session, plan_id: int, employee_id: str) -> str | None:
    """The DM channel the outbox last reached the plan's employee in (None if never)."""
    return db.scalar(
        select(Delivery.channel_id)
        .where(
            Delivery.plan_id == plan_id,
            Delivery.recipient_id == employee_id,
            Delivery.status == DeliveryStatus.SENT,
            Delivery.channel_id.is_not(None),
        )
        .order_by(Delivery.sent_at.desc())
        .limit(1)
    )
