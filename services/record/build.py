"""Building the plan record: everything the export shows, read once, private parts removed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import (
    Author,
    Checkin,
    CheckinGoalStatus,
    EventKind,
    Plan,
    PlanEvent,
    PlanPause,
    PlanStatus,
)
from services import audit
from services.access import Actor, Permission, may
from services.labels import (
    CADENCE_LABELS,
    NO_STATUS,
    SYSTEM_NAME,
    status_label,
    weekday_name,
)
from services.pauses import pauses_of
from services.plans import get_plan, is_acknowledged
from services.record.history import amendments, event_record, goal_label
from services.record.model import (
    ChainStatus,
    CheckinRecord,
    EventRecord,
    GoalCheck,
    GoalRecord,
    MarkRecord,
    OutcomeRecord,
    Party,
    PauseRecord,
    PlanRecord,
    Review,
    SealRecord,
    SelfAssessment,
    StepRecord,
    Timeline,
    TimelineCell,
)
from services.record.times import zone
from services.seals import sent_seals
from services.status_text import final_result_label, plan_status_text
from services.users import last_known


def plan_record(
    db: Session,
    actor: Actor,
    public_id: str,
    now: datetime,
) -> PlanRecord:
    """The record of the plan `actor` asked to export; PlanNotFound/NotAllowed otherwise."""
    plan = get_plan(db, actor, public_id, Permission.EXPORT)
    include_private = may(actor, Permission.VIEW_PRIVATE_NOTES, plan)
    party = _party_lookup(db)
    goal_labels = {g.id: f"Goal {g.position + 1}" for g in plan.goals}
    checkins = list(
        db.scalars(
            select(Checkin)
            .where(Checkin.plan_id == plan.id)
            .order_by(Checkin.occurrence_date, Checkin.kind, Checkin.sequence, Checkin.id)
        )
    )
    marks = _marks(db, plan)
    events = audit.history(db, plan)
    chain = audit.verify_chain(db, plan, events)
    pauses = pauses_of(db, plan)
    told = {p.id for p in pauses if p.tell_employee}
    hr_or_writer = may(actor, Permission.APPROVE, plan) or may(actor, Permission.ASK_HR, plan)
    history = [
        event_record(
            _reason_hidden(event, include_private, told),
            goal_labels,
            include_private,
            party,
            hr_or_writer,
        )
        for event in events
    ]
    return PlanRecord(
        public_id=plan.public_id,
        status=_plan_status(plan, pauses),
        generated_at=now,
        requested_by=party(actor.user_id),
        include_private=include_private,
        employee=party(plan.employee_id),
        manager=party(plan.manager_id),
        created_at=plan.created_at,
        start_date=plan.start_date,
        end_date=plan.end_date,
        cadence=f"{CADENCE_LABELS[plan.cadence]} on {weekday_name(plan.checkin_weekday)}s",
        issues=plan.issues,
        expectations=plan.expectations,
        support=plan.support,
        consequences=plan.consequences,
        goals=[
            GoalRecord(
                number=g.position + 1,
                goal_id=g.id,
                description=g.description,
                measure=g.measure,
                target=g.target,
                due_date=g.due_date,
            )
            for g in plan.goals
        ],
        steps=[
            StepRecord(number=i, description=s.description, due_date=s.due_date)
            for i, s in enumerate(plan.steps, start=1)
        ],
        ack_requested_at=plan.ack_requested_at,
        acknowledged_at=plan.acknowledged_at,
        acknowledged_current=is_acknowledged(plan),
        acknowledgements=[_acknowledged_at(e) for e in history if e.kind == EventKind.ACKNOWLEDGED],
        response=plan.employee_response,
        responded_at=plan.responded_at,
        checkins=[
            _checkin_record(i, c, marks, goal_labels, include_private, party)
            for i, c in enumerate(checkins, start=1)
        ],
        amendments=amendments(history),
        outcome=_outcome(plan, history, goal_labels),
        history=history,
        chain=ChainStatus(
            intact=chain.intact,
            events=chain.events,
            first_broken=chain.first_broken,
            head=events[-1].hash if events else audit.GENESIS,
        ),
        timeline=_timeline(plan, checkins, marks),
        tz=_employee_zone(db, plan.employee_id),
        seals=_seals(db, plan, events, party),
        pauses=[_pause_record(i, p, include_private, party) for i, p in enumerate(pauses, 1)],
    )


def _reason_hidden(event: PlanEvent, include_private: bool, told: set[int]) -> PlanEvent:
    """The event, without a pause reason the employee was not told (employee's copy)."""
    if include_private or event.kind != EventKind.PAUSED or event.data.get("pause_id") in told:
        return event
    data = {k: v for k, v in event.data.items() if k != "reason"}
    return PlanEvent(
        sequence=event.sequence,
        created_at=event.created_at,
        actor_id=event.actor_id,
        kind=event.kind,
        data=data,
        hash=event.hash,
    )


def _pause_record(
    number: int, pause: PlanPause, include_private: bool, party: Callable[[str], Party]
) -> PauseRecord:
    return PauseRecord(
        number=number,
        paused_on=pause.paused_on,
        paused_by=party(pause.paused_by),
        reason=pause.reason if include_private or pause.tell_employee else None,
        resume_on=pause.resume_on,
        resumed_on=pause.resumed_on,
        resumed_by=party(pause.resumed_by) if pause.resumed_by else None,
        business_days=pause.business_days,
        end_before=pause.end_before,
        end_after=pause.end_after,
    )


def _seals(
    db: Session, plan: Plan, events: list[PlanEvent], party: Callable[[str], Party]
) -> list[SealRecord]:
    """The sealed messages the bot sent, each checked against the stored history."""
    found = []
    for sent in sent_seals(db, plan):
        recipient = sent.recipient_id
        if recipient.startswith(("C", "G")):
            where = f"HR channel ({recipient})"
        else:
            where = f"Direct message to {party(recipient).name}"
        count = sent.seal.events
        stored = events[count - 1].hash if 0 < count <= len(events) else None
        found.append(
            SealRecord(sent.sent_at, where, count, sent.seal.hash, stored == sent.seal.hash)
        )
    return found


def _employee_zone(db: Session, user_id: str) -> str:
    profile = last_known(db, user_id)
    tz = profile.tz if profile else "UTC"
    try:
        zone(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return tz


def _party_lookup(db: Session) -> Callable[[str], Party]:
    known: dict[str, Party] = {}

    def party(user_id: str) -> Party:
        if user_id not in known:
            if user_id == audit.SYSTEM:
                known[user_id] = Party(user_id, SYSTEM_NAME)
            else:
                profile = last_known(db, user_id)
                known[user_id] = Party(user_id, profile.display_name if profile else user_id)
        return known[user_id]

    return party


def _acknowledged_at(event: EventRecord) -> datetime:
    """When an acknowledgement happened: the time it records, else when it was logged."""
    try:
        return datetime.fromisoformat(str(event.data["at"]))
    except (KeyError, ValueError):
        return event.at


def _plan_status(plan: Plan, pauses: list[PlanPause]) -> str:
    """The plan's state in the words every list and page uses, capitalised for the record."""
    current = next((p for p in pauses if p.resumed_at is None), None)
    words = plan_status_text(plan, current)
    return words[:1].upper() + words[1:]


# A check-in's goal marks by one author: goal id -> the row (id, goal_id, status, note).
Marks = dict[int, Any]


def _marks(db: Session, plan: Plan) -> dict[tuple[int, Author], Marks]:
    """Every check-in's goal marks, by (check-in id, author), read as rows, not objects: a
    long plan has hundreds, and the record only reads them."""
    rows = db.execute(
        select(
            CheckinGoalStatus.id,
            CheckinGoalStatus.checkin_id,
            CheckinGoalStatus.goal_id,
            CheckinGoalStatus.author,
            CheckinGoalStatus.status,
            CheckinGoalStatus.note,
        )
        .join(Checkin, Checkin.id == CheckinGoalStatus.checkin_id)
        .where(Checkin.plan_id == plan.id)
    )
    marks: dict[tuple[int, Author], Marks] = {}
    for row in rows:  # one row per check-in, goal and author (a unique constraint)
        marks.setdefault((row.checkin_id, row.author), {})[row.goal_id] = row
    return marks


def _mark_rows(rows: Marks, goal_labels: dict[int, str]) -> list[MarkRecord]:
    order = {goal_id: i for i, goal_id in enumerate(goal_labels)}
    ordered = sorted(rows.values(), key=lambda r: (order.get(r.goal_id, len(order)), r.id))
    return [
        MarkRecord(
            goal=goal_label(r.goal_id, goal_labels),
            status=r.status.value,
            label=status_label(r.status.value),
            note=r.note,
        )
        for r in ordered
    ]


def _checkin_record(
    number: int,
    checkin: Checkin,
    marks: dict[tuple[int, Author], Marks],
    goal_labels: dict[int, str],
    include_private: bool,
    party: Callable[[str], Party],
) -> CheckinRecord:
    assessment = None
    if checkin.employee_submitted_at is not None:
        assessment = SelfAssessment(
            submitted_at=checkin.employee_submitted_at,
            marks=_mark_rows(marks.get((checkin.id, Author.EMPLOYEE), {}), goal_labels),
            progress=checkin.employee_progress or "",
            blockers=checkin.employee_blockers or "",
            support_needed=checkin.employee_support_needed or "",
        )
    review = None
    if checkin.reviewed_at is not None:
        review = Review(
            reviewer=party(checkin.reviewer_id or ""),
            reviewed_at=checkin.reviewed_at,
            marks=_mark_rows(marks.get((checkin.id, Author.MANAGER), {}), goal_labels),
            next_steps=checkin.next_steps or "",
            private_notes=(checkin.private_notes or "") if include_private else None,
        )
    return CheckinRecord(
        number=number,
        checkin_id=checkin.id,
        occurrence_date=checkin.occurrence_date,
        kind=checkin.kind.value.capitalize(),
        status=checkin.status.value.capitalize(),
        self_assessment=assessment,
        reply=checkin.employee_reply or "",
        review=review,
        goals=_goal_checks(assessment, review, goal_labels),
    )


def _goal_checks(
    assessment: SelfAssessment | None, review: Review | None, goal_labels: dict[int, str]
) -> list[GoalCheck]:
    """Both authors' marks paired by goal, in the plan's order (removed goals last)."""
    employee = {m.goal: m for m in assessment.marks} if assessment else {}
    manager = {m.goal: m for m in review.marks} if review else {}
    marked = list(employee) + [g for g in manager if g not in employee]
    current = list(goal_labels.values())
    goals = [g for g in current if g in marked] + [g for g in marked if g not in current]
    return [GoalCheck(goal=g, employee=employee.get(g), manager=manager.get(g)) for g in goals]


def _outcome(
    plan: Plan, history: list[EventRecord], goal_labels: dict[int, str]
) -> OutcomeRecord | None:
    if plan.outcome is None and plan.status != PlanStatus.CLOSED:
        return None
    closed = next((e for e in reversed(history) if e.kind == EventKind.CLOSED), None)
    final = []
    for mark in (closed.data.get("goals") if closed else None) or []:
        if isinstance(mark, dict):
            status = mark.get("status") or NO_STATUS
            final.append(
                MarkRecord(
                    goal=goal_label(mark.get("goal_id"), goal_labels),
                    status=str(status),
                    label=final_result_label(None if status == NO_STATUS else status),
                    note=str(mark.get("note") or ""),
                )
            )
    value = plan.outcome.value if plan.outcome else ""
    return OutcomeRecord(
        outcome=value,
        label=value.capitalize() if value else "Not recorded",
        summary=plan.outcome_summary or "",
        effective_date=plan.outcome_effective_date,
        closed_at=plan.closed_at,
        closed_by=closed.actor if closed else None,
        final_marks=final,
    )


def _timeline(
    plan: Plan, checkins: list[Checkin], marks: dict[tuple[int, Author], Marks]
) -> Timeline:
    # Each check-in's marks by author, looked up once (not once per goal).
    authored = [
        (marks.get((c.id, Author.MANAGER), {}), marks.get((c.id, Author.EMPLOYEE), {}))
        for c in checkins
    ]
    rows = []
    for goal in plan.goals:
        row = []
        for checkin, (managers, employees) in zip(checkins, authored, strict=True):
            manager = managers.get(goal.id)
            employee = employees.get(goal.id)
            chosen, source = (
                (manager, "manager's review")
                if manager is not None
                else (employee, "employee's self-assessment")
            )
            status = chosen.status.value if chosen is not None else NO_STATUS
            row.append(
                TimelineCell(
                    goal_number=goal.position + 1,
                    occurrence_date=checkin.occurrence_date,
                    status=status,
                    label=status_label(status),
                    source=source if chosen is not None else "",
                )
            )
        rows.append(row)
    return Timeline(
        goal_numbers=[g.position + 1 for g in plan.goals],
        dates=[c.occurrence_date for c in checkins],
        rows=rows,
    )
