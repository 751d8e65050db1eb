"""The employee's voice reaching HR: their response, and asking HR to review their plan."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import DeliveryKind, EventKind, Notice, Plan, PlanEvent
from services import audit
from services.access import Actor, Permission
from services.drafts import LONG_TEXT_MAX
from services.errors import InvalidPlan, PlanNotFound
from services.outbox import enqueue
from services.plans import get_plan

# History events whose text HR may open from a notice, and the key that holds the text.
VOICE_EVENTS = {EventKind.RESPONDED: "response", EventKind.HR_REVIEW_REQUESTED: "request"}


def plan_to_ask_about(db: Session, actor: Actor, public_id: str) -> Plan:
    """The employee's own sent plan, to ask HR about; PlanNotFound for anyone else."""
    return get_plan(db, actor, public_id, Permission.ASK_HR)


def ask_hr(
    db: Session,
    actor: Actor,
    public_id: str,
    text: str,
    *,
    hr_recipients: tuple[str, ...],
    now: datetime,
) -> Plan:
    """Record that the employee asks HR to review their plan, send it to HR and confirm it
    to the employee. The caller commits."""
    plan = plan_to_ask_about(db, actor, public_id)
    cleaned = text.strip()
    if not cleaned:
        raise InvalidPlan({"ask_hr_text": "Say what you would like HR to look at."})
    if len(cleaned) > LONG_TEXT_MAX:
        raise InvalidPlan(
            {"ask_hr_text": f"Keep this to {LONG_TEXT_MAX} characters (it has {len(cleaned)})."}
        )
    event = audit.append_event(
        db, plan, actor.user_id, EventKind.HR_REVIEW_REQUESTED, {"request": cleaned}
    )
    for recipient in hr_recipients:
        enqueue(
            db,
            key=f"{plan.public_id}:hr_notice:{recipient}:ask_hr:{event.sequence}",
            kind=DeliveryKind.HR_NOTICE,
            recipient_id=recipient,
            due_at=now,
            plan_id=plan.id,
            payload={"notice": Notice.ASK_HR, "sequence": event.sequence},
        )
    enqueue(
        db,
        key=f"{plan.public_id}:notice:{plan.employee_id}:ask_hr:{event.sequence}",
        kind=DeliveryKind.NOTICE,
        recipient_id=plan.employee_id,
        due_at=now,
        plan_id=plan.id,
        payload={"notice": Notice.ASK_HR_SENT, "sequence": event.sequence},
    )
    return plan


def voice_event(db: Session, plan: Plan, sequence: int) -> PlanEvent | None:
    """The response or request to HR with this sequence number in the plan's history."""
    return db.scalar(
        select(PlanEvent).where(
            PlanEvent.plan_id == plan.id,
            PlanEvent.sequence == sequence,
            PlanEvent.kind.in_(VOICE_EVENTS),
        )
    )


def voice_for_hr(db: Session, actor: Actor, public_id: str, sequence: int) -> tuple[Plan, str, str]:
    """What the employee wrote (kind, text), for HR only; PlanNotFound for anyone else."""
    plan = get_plan(db, actor, public_id, Permission.READ_VOICE)
    event = voice_event(db, plan, sequence)
    if event is None:
        raise PlanNotFound(plan.public_id)
    return plan, event.kind, str(event.data.get(VOICE_EVENTS[EventKind(event.kind)], ""))
