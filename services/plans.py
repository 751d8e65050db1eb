"""Plans: opening, acknowledging and responding, ids, lookups and summaries."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models import (
    ActionStep,
    Delivery,
    DeliveryKind,
    EventKind,
    Goal,
    Notice,
    Plan,
    PlanStatus,
    Review,
    Tombstone,
)
from services import audit, draft_outbox, locks, seals
from services.access import Actor, Permission, may, require
from services.drafts import (
    LONG_TEXT_MAX,
    PlanDraft,
    StepDraft,
    digest,
    parse_steps,
    schedule_of,
    validate,
)
from services.errors import InvalidPlan, NotAllowed, PlanNotFound, UsageError, required
from services.outbox import batched, cancel_pending, enqueue
from services.schedule import Recipients, schedule_new_plan
from services.users import Profile

# Crockford's base32 without I, L, O, U: nothing to misread when a manager types an id.
ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ID_LENGTH = 6  # 32**6, about a billion ids: not guessable, not enumerable
ID_PREFIX = "PIP-"
OPEN_STATUSES = (
    PlanStatus.ACTIVE,
    PlanStatus.ACKNOWLEDGED,
    PlanStatus.EXTENDED,
    PlanStatus.PAUSED,
)
# What may be done to a plan that has not been sent yet; anything else is refused as such.
DRAFT_ACTIONS = {
    Permission.VIEW,
    Permission.VIEW_PRIVATE_NOTES,
    Permission.EXPORT,
    Permission.APPROVE,
    Permission.EDIT_DRAFT,
    Permission.SEND,
    Permission.WITHDRAW,
    Permission.VERIFY,
    Permission.HOLD,
}
NOT_IN_GROUP = (
    "Opening plans is limited to a group of managers in this workspace, and you are not in "
    "it. If you need to open a plan, ask your HR team."
)


def new_public_id(db: Session) -> str:
    """A random plan id such as `PIP-7K3Q9A`, unused so far (nor by a deleted plan, whose
    sealed copies stay in Slack under its id)."""
    while True:
        candidate = ID_PREFIX + "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))
        if db.scalar(select(Plan.id).where(Plan.public_id == candidate)) is None and (
            db.scalar(select(Tombstone.id).where(Tombstone.public_id == candidate)) is None
        ):
            return candidate


def normalize_public_id(text: str) -> str:
    """Accept `pip-7k3q9a`, `7K3Q9A` or `PIP-7K3Q9A` and return the canonical form."""
    cleaned = text.strip().upper().lstrip("#")
    if not cleaned.startswith(ID_PREFIX):
        cleaned = ID_PREFIX + cleaned
    return cleaned


def get_plan(
    db: Session,
    actor: Actor,
    public_id: str,
    action: Permission = Permission.VIEW,
    *,
    lock: bool = False,
) -> Plan:
    """The plan with `public_id` if `actor` may do `action` to it; else PlanNotFound.

    With `lock`, the plan's row stays locked until the transaction ends and its state is
    read afresh (see services/locks.py): the way a click checks state before changing it.
    """
    canonical = normalize_public_id(public_id)
    query = select(Plan).where(Plan.public_id == canonical)
    plan = db.scalar(locks.for_update(query) if lock else query)
    if plan is None:
        if actor.is_hr:
            _tell_hr_it_was_deleted(db, canonical)
        raise PlanNotFound(canonical)
    require(actor, action, plan)
    if plan.status == PlanStatus.WITHDRAWN and action not in DRAFT_ACTIONS:
        raise UsageError(
            f"Plan {plan.public_id} is a withdrawn draft: it was never sent to the employee, "
            "and nothing more can be done with it. `/pip show` shows its history."
        )
    if plan.status == PlanStatus.DRAFT and action not in DRAFT_ACTIONS:
        raise UsageError(
            f"Plan {plan.public_id} is a draft: it has not been sent to the employee yet, so it "
            "can't be amended, extended, checked in or closed. To change it, press *Edit "
            "draft* in my message about it; to drop it, type "
            f"`/pip withdraw {plan.public_id}`. `/pip show` shows where it stands."
        )
    return plan


def _tell_hr_it_was_deleted(db: Session, public_id: str) -> None:
    """HR asking for a plan deleted under the retention policy hears what its tombstone says."""
    tombstone = db.scalar(
        select(Tombstone).where(Tombstone.public_id == public_id).order_by(Tombstone.id.desc())
    )
    if tombstone is None:
        return
    outcome = f", outcome {tombstone.outcome}" if tombstone.outcome else ""
    raise UsageError(
        f"Plan {public_id} was deleted on {tombstone.deleted_at:%a %-d %b %Y} under the "
        f"{tombstone.policy}. What is kept of it: team {tombstone.team_id}, "
        f"{tombstone.start_date:%a %-d %b %Y} to {tombstone.end_date:%a %-d %b %Y}{outcome}."
    )


def open_plan_of(db: Session, employee_id: str) -> Plan | None:
    """The employee's open plan, if they have one."""
    return db.scalar(
        select(Plan).where(Plan.employee_id == employee_id, Plan.status.in_(OPEN_STATUSES))
    )


def opened_by_form(
    db: Session, manager_id: str, form_id: str | None, employee_id: str | None
) -> Plan | None:
    """The plan `manager_id` opened for `employee_id` from the form `form_id`, if any."""
    if not form_id or not employee_id:
        return None
    return db.scalar(
        select(Plan).where(
            Plan.form_id == form_id,
            Plan.employee_id == employee_id,
            Plan.manager_id == manager_id,
        )
    )


def matches_draft(plan: Plan, draft: PlanDraft) -> bool:
    """True when `draft` is what the form that opened `plan` held then (sent again unchanged);
    also True for a plan opened before forms were fingerprinted (nothing to compare with)."""
    return plan.form_digest is None or plan.form_digest == digest(draft)


def check_draft(
    db: Session, actor: Actor, draft: PlanDraft, employee: Profile | None, today: date
) -> Plan | None:
    """Raise InvalidPlan with every broken rule of `draft`; when it is fine, return the
    employee's open plan that `actor` may not see (None when there is none).

    The field errors never depend on a plan the actor may not see: someone who may not see
    it learns nothing from them, not even that it exists. What follows is the caller's:
    with HR approval in force the draft goes to HR flagged with that plan's id; without,
    the attempt is referred to HR (`refer_to_hr`) and the submitter gets one neutral answer.
    """
    existing = open_plan_of(db, draft.employee_id) if draft.employee_id else None
    visible = existing is not None and may(actor, Permission.VIEW, existing)
    errors = validate(
        draft,
        manager_id=actor.user_id,
        today=today,
        employee=employee,
        open_plan_id=existing.public_id if existing is not None and visible else None,
    )
    if errors:
        raise InvalidPlan(errors)
    return existing if existing is not None and not visible else None


def refer_to_hr(
    db: Session,
    actor: Actor,
    existing: tuple[int, str],
    hr_channel_id: str | None,
    now: datetime,
) -> bool:
    """Tell HR that `actor` tried to open a plan for someone whose open plan (`existing`: its
    id and public id) they may not see, once a day per person trying; False when no HR
    channel is set to tell."""
    if hr_channel_id is None:
        return False
    plan_id, public_id = existing
    enqueue(
        db,
        key=(
            f"{public_id}:hr_notice:{hr_channel_id}:open_refused:"
            f"{actor.user_id}:{now.date().isoformat()}"
        ),
        kind=DeliveryKind.HR_NOTICE,
        recipient_id=hr_channel_id,
        due_at=now,
        plan_id=plan_id,
        payload={"notice": Notice.OPEN_REFUSED, "submitter": actor.user_id},
    )
    return True


def replace_steps(db: Session, plan: Plan, steps: list[StepDraft]) -> None:
    """Make `steps` the plan's action steps, in order, in place of what it had."""
    db.execute(delete(ActionStep).where(ActionStep.plan_id == plan.id))
    db.flush()
    for position, step in enumerate(steps):
        db.add(
            ActionStep(
                plan_id=plan.id,
                position=position,
                description=step.description,
                due_date=step.due_date,
            )
        )


def snapshot(plan: Plan) -> dict[str, Any]:
    """The whole content of a plan as plain data, for the history and the record."""
    return {
        "public_id": plan.public_id,
        "employee_id": plan.employee_id,
        "manager_id": plan.manager_id,
        "issues": plan.issues,
        "expectations": plan.expectations,
        "support": plan.support,
        "consequences": plan.consequences,
        "start_date": plan.start_date.isoformat(),
        "end_date": plan.end_date.isoformat(),
        "cadence": plan.cadence.value,
        "checkin_weekday": plan.checkin_weekday,
        "goals": [
            {
                "description": g.description,
                "measure": g.measure,
                "target": g.target,
                "due_date": g.due_date.isoformat(),
            }
            for g in plan.goals
        ],
        "steps": [
            {
                "description": s.description,
                "due_date": s.due_date.isoformat() if s.due_date else None,
            }
            for s in plan.steps
        ],
    }


def open_plan(
    db: Session,
    actor: Actor,
    *,
    team_id: str,
    draft: PlanDraft,
    employee: Profile | None,
    recipients: Recipients,
    today: date,
    now: datetime,
    approval: bool = False,
    hr_recipients: tuple[str, ...] = (),
    form_id: str | None = None,
) -> Plan | None:
    """Validate `draft` and store the plan with its goals, steps and first event.

    Without approval and sent at once, the plan is `active` and owes everything (as
    `schedule_new_plan`). Otherwise it is a `draft`: with approval it goes to HR
    (`hr_recipients`), without it the manager gets a button to send it after meeting.
    The caller commits: one transaction for all of it.

    None when the employee already has an open plan the actor may not see and HR approval
    is not in force: nothing is stored but HR's notice of who tried (`refer_to_hr`).
    """
    if not actor.may_open_plans:
        raise NotAllowed(NOT_IN_GROUP)
    if draft.employee_id:
        # Two managers submitting at once for one employee: the second waits, then sees
        # the first plan in check_draft and is refused.
        locks.hold(db, f"pip:open-plan:{draft.employee_id}")
    hidden = check_draft(db, actor, draft, employee, today)
    if hidden is not None and not approval:
        refer_to_hr(db, actor, (hidden.id, hidden.public_id), recipients.hr_channel_id, now)
        return None
    flagged = hidden.public_id if hidden is not None else None
    employee_id = required(draft.employee_id, "employee", "Choose the employee this plan is for.")
    schedule = schedule_of(draft)
    steps, _ = parse_steps(draft.steps_text)
    plan = Plan(
        public_id=new_public_id(db),
        team_id=team_id,
        employee_id=employee_id,
        manager_id=actor.user_id,
        issues=draft.issues.strip(),
        expectations=draft.expectations.strip(),
        support=draft.support.strip(),
        consequences=draft.consequences.strip(),
        start_date=schedule.start_date,
        end_date=schedule.end_date,
        cadence=schedule.cadence,
        checkin_weekday=schedule.weekday,
        status=PlanStatus.ACTIVE,
        send_after_meeting=draft.send_after_meeting,
        form_id=form_id,
        form_digest=digest(draft) if form_id else None,
        ack_requested_at=now,
        created_at=now,
        updated_at=now,
        goals=[
            Goal(
                position=i,
                description=g.description.strip(),
                measure=g.measure.strip(),
                target=g.target.strip(),
                due_date=g.due_date,
            )
            for i, g in enumerate(draft.goals)
            if g.due_date is not None
        ],
        steps=[
            ActionStep(position=i, description=s.description, due_date=s.due_date)
            for i, s in enumerate(steps)
        ],
    )
    if approval:
        plan.status, plan.review, plan.review_round = PlanStatus.DRAFT, Review.PENDING, 1
    elif draft.send_after_meeting:
        plan.status, plan.review = PlanStatus.DRAFT, None
    else:
        plan.sent_at = now
    db.add(plan)
    db.flush()
    if approval:
        data = {**snapshot(plan), "round": 1, "send_after_meeting": plan.send_after_meeting}
        audit.append_event(db, plan, actor.user_id, EventKind.SUBMITTED, data)
        draft_outbox.request_approval(db, plan, hr_recipients, now, flagged=flagged is not None)
        return plan
    data = snapshot(plan)
    if plan.status == PlanStatus.DRAFT:
        data["send_after_meeting"] = True
    audit.append_event(db, plan, actor.user_id, EventKind.CREATED, data)
    if plan.status == PlanStatus.DRAFT:
        draft_outbox.offer_sending(db, plan, recipients, now)
        return plan
    with batched(db):
        schedule_new_plan(db, plan, recipients, now)
    return plan


def ack_round(db: Session, plan: Plan) -> int:
    """The plan's current version for acknowledgement: 1, plus one per amendment."""
    return int(
        db.scalar(
            select(func.count()).where(
                Delivery.plan_id == plan.id, Delivery.kind == DeliveryKind.ACK_REQUEST
            )
        )
        or 1
    )


def acknowledge(
    db: Session,
    actor: Actor,
    public_id: str,
    round_: int | None,
    now: datetime,
    hr_channel_id: str | None = None,
) -> tuple[Plan, bool]:
    """Record that the employee received the current version of the plan, tell the manager,
    and seal the moment (employee and HR); True the first time. A button on an earlier version
    is refused (UsageError)."""
    plan = get_plan(db, actor, public_id, Permission.ACKNOWLEDGE, lock=True)
    if plan.status == PlanStatus.CLOSED:
        return plan, False
    if round_ is not None and round_ != ack_round(db, plan):
        raise UsageError(
            f"This is an earlier version of plan {plan.public_id}. It has changed since: please "
            "read the newest version (the latest message from PIP Bot) and acknowledge that one."
        )
    if is_acknowledged(plan):
        return plan, False
    current = ack_round(db, plan)
    plan.acknowledged_at = now
    if plan.status == PlanStatus.ACTIVE:
        plan.status = PlanStatus.ACKNOWLEDGED
    audit.append_event(db, plan, actor.user_id, EventKind.ACKNOWLEDGED, {"at": now})
    cancel_pending(db, plan.id, {DeliveryKind.ACK_REMINDER, DeliveryKind.NOT_ACKNOWLEDGED})
    enqueue(
        db,
        key=f"{plan.public_id}:notice:{plan.manager_id}:acknowledged:{current}",
        kind=DeliveryKind.NOTICE,
        recipient_id=plan.manager_id,
        due_at=now,
        plan_id=plan.id,
        payload={"notice": Notice.ACKNOWLEDGED},
    )
    seals.notify_sealed(
        db, plan, notice=Notice.RECEIPT, now=now, hr_channel_id=hr_channel_id, employee=True
    )
    return plan, True


def respond(
    db: Session,
    actor: Actor,
    public_id: str,
    text: str,
    now: datetime,
    hr_recipients: tuple[str, ...] = (),
) -> Plan:
    """Store the employee's written response to the plan (their side of the story); the
    manager and HR (`hr_recipients`: the channel, or each HR person) are told."""
    plan = get_plan(db, actor, public_id, Permission.RESPOND, lock=True)
    cleaned = text.strip()
    if not cleaned:
        raise InvalidPlan({"response": "Write your response, or close this form."})
    if len(cleaned) > LONG_TEXT_MAX:
        raise InvalidPlan(
            {"response": f"Keep this to {LONG_TEXT_MAX} characters (it has {len(cleaned)})."}
        )
    if plan.employee_response == cleaned:
        return plan  # the same response again (a double click): nothing new to record
    plan.employee_response = cleaned
    plan.responded_at = now
    event = audit.append_event(db, plan, actor.user_id, EventKind.RESPONDED, {"response": cleaned})
    enqueue(
        db,
        key=f"{plan.public_id}:notice:{plan.manager_id}:responded:{event.sequence}",
        kind=DeliveryKind.NOTICE,
        recipient_id=plan.manager_id,
        due_at=now,
        plan_id=plan.id,
        payload={"notice": Notice.RESPONDED, "response": cleaned},
    )
    event = audit.history(db, plan)[-1]
    for recipient in hr_recipients:
        enqueue(
            db,
            key=f"{plan.public_id}:hr_notice:{recipient}:responded:{event.sequence}",
            kind=DeliveryKind.HR_NOTICE,
            recipient_id=recipient,
            due_at=now,
            plan_id=plan.id,
            payload={"notice": Notice.RESPONDED, "sequence": event.sequence},
        )
    return plan


def is_acknowledged(plan: Plan) -> bool:
    """True when the employee acknowledged the current version of the plan."""
    return plan.acknowledged_at is not None and plan.acknowledged_at >= plan.ack_requested_at
