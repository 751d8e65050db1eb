"""What a draft owes: HR's approval requests, the manager's notices and the send reminder."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from models import Delivery, DeliveryKind, Notice, Plan
from services.calendar import add_business_days
from services.outbox import enqueue, sent_messages
from services.schedule import Recipients

SEND_REMINDER_BUSINESS_DAYS = 2
APPROVAL_REQUEST = Notice.APPROVAL_REQUEST


def notify_manager(db: Session, plan: Plan, notice: Notice, now: datetime, **payload: Any) -> None:
    """Owe the plan's manager one notice about their draft (once per notice and round)."""
    round_ = payload.get("round", plan.review_round)
    enqueue(
        db,
        key=f"{plan.public_id}:notice:{plan.manager_id}:{notice}:round{round_}:{now:%Y%m%dT%H%M%S%f}",
        kind=DeliveryKind.NOTICE,
        recipient_id=plan.manager_id,
        due_at=now,
        plan_id=plan.id,
        payload={"notice": notice, "round": round_, **payload},
    )


def request_approval(
    db: Session, plan: Plan, hr_recipients: tuple[str, ...], now: datetime, *, flagged: bool
) -> None:
    """Send the current round of `plan` to HR (the channel, or each HR person), and tell the
    manager it is with HR. `flagged` marks a draft whose employee already has an open plan."""
    for recipient in hr_recipients:
        enqueue(
            db,
            key=f"{plan.public_id}:hr_notice:{recipient}:approval:round{plan.review_round}",
            kind=DeliveryKind.HR_NOTICE,
            recipient_id=recipient,
            due_at=now,
            plan_id=plan.id,
            payload={"notice": APPROVAL_REQUEST, "round": plan.review_round, "flagged": flagged},
        )
    notify_manager(db, plan, Notice.SUBMITTED, now, unsent=not hr_recipients)


def offer_sending(
    db: Session, plan: Plan, to: Recipients, now: datetime, comment: str = ""
) -> None:
    """Give the manager the Send button now, and remind them once after 2 business days."""
    notify_manager(db, plan, Notice.READY_TO_SEND, now, comment=comment)
    enqueue(
        db,
        key=f"{plan.public_id}:send_reminder:{plan.manager_id}:round{plan.review_round}",
        kind=DeliveryKind.SEND_REMINDER,
        recipient_id=plan.manager_id,
        due_at=add_business_days(now, SEND_REMINDER_BUSINESS_DAYS, to.manager_tz, to.manager_days),
        plan_id=plan.id,
        payload={"round": plan.review_round},
    )


def approval_requests(db: Session, plan: Plan, round_: int) -> list[Delivery]:
    """The approval requests of one round that reached HR (each has its channel and ts)."""
    return [
        d
        for d in sent_messages(db, plan.id, DeliveryKind.HR_NOTICE)
        if d.payload.get("notice") == APPROVAL_REQUEST and int(d.payload.get("round", 0)) == round_
    ]
