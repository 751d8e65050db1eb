"""The exported plan record: the whole plan and its history as printable HTML and as Markdown."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models import (
    Author,
    Cadence,
    Checkin,
    CheckinGoalStatus,
    GoalStatus,
    Plan,
    PlanEvent,
    PlanPause,
    PlanStatus,
)
from services import audit
from services.access import Actor, Permission, may
from services.checkins import STATUS_LABELS, marks_by
from services.pauses import pauses_of
from services.plans import get_plan, is_acknowledged
from services.seals import sent_seals
from services.users import last_known

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# An organisation replaces the document by putting a file of the same name here.
OVERRIDES = TEMPLATES / "overrides"
CHART_ID = "goal-status-chart"
NO_STATUS = "none"
NO_STATUS_LABEL = "No status"
SYSTEM_NAME = "PIP Bot"

PLAN_STATUS_LABELS = {
    PlanStatus.DRAFT: "Draft, not sent to the employee",
    PlanStatus.WITHDRAWN: "Withdrawn draft, never sent",
    PlanStatus.ACTIVE: "Active",
    PlanStatus.ACKNOWLEDGED: "Acknowledged",
    PlanStatus.EXTENDED: "Extended",
    PlanStatus.PAUSED: "Paused",
    PlanStatus.CLOSED: "Closed",
}
CADENCE_LABELS = {Cadence.WEEKLY: "Every week", Cadence.BIWEEKLY: "Every two weeks"}
EVENT_TITLES = {
    "created": "Plan opened",
    "acknowledged": "Receipt acknowledged",
    "responded": "Employee responded",
    "checkin_answered": "Check-in answered",
    "checkin_updated": "Check-in answer updated",
    "checkin_replied": "Replied to a check-in",
    "checkin_reviewed": "Check-in reviewed",
    "review_updated": "Review updated",
    "checkin_missed": "Check-in missed",
    "review_missed": "Review missing",
    "checkin_waiting": "Check-in waiting (away)",
    "paused": "Plan paused",
    "resumed": "Plan resumed",
    "amended": "Plan amended",
    "extended": "Plan extended",
    "closed": "Plan closed",
    "submitted": "Draft sent to HR for approval",
    "approved": "Approved by HR",
    "changes_requested": "HR asked for changes",
    "sent": "Plan sent to the employee",
    "withdrawn": "Draft withdrawn",
    "draft_edited": "Draft changed",
    "hr_review_requested": "Employee asked HR to review",
    "legal_hold": "Legal hold placed",
    "hold_released": "Legal hold released",
}
# Event data only the manager and HR read (the employee's copy says the event happened).
RESTRICTED_DATA = {"legal_hold": {"reason"}}
# Event data only HR and the employee who wrote it see (what the employee asked HR).
HR_ONLY_KEYS = {"hr_review_requested": "request"}
FIELD_LABELS = {
    "issues": "Issues",
    "expectations": "Expected standard",
    "support": "Support",
    "consequences": "Consequences",
    "start_date": "Start date",
    "end_date": "End date",
    "cadence": "Check-in cadence",
    "checkin_weekday": "Check-in day",
    "goals": "Goals",
    "steps": "Permission steps",
}
AMENDMENT_KINDS = {"amended": "Amendment", "extended": "Extension"}
# The chart's colours; the marks also differ in shape, so a grey printout still reads.
STATUS_COLOURS = {
    GoalStatus.ON_TRACK.value: "#2e7d32",
    GoalStatus.AT_RISK.value: "#f0a202",
    GoalStatus.OFF_TRACK.value: "#c62828",
    NO_STATUS: "#9e9e9e",
}
TEXT_SYMBOLS = {
    GoalStatus.ON_TRACK.value: "+",
    GoalStatus.AT_RISK.value: "!",
    GoalStatus.OFF_TRACK.value: "x",
    NO_STATUS: ".",
}


@dataclass(frozen=True)
class Party:
    """A person named in the record: their Slack id and the name people know them by."""

    user_id: str
    name: str


@dataclass(frozen=True)
class GoalRecord:
    """A SMART goal as the plan holds it now."""

    number: int
    goal_id: int
    description: str
    measure: str
    target: str
    due_date: date


@dataclass(frozen=True)
class StepRecord:
    """An action step, optionally with a date."""

    number: int
    description: str
    due_date: date | None


@dataclass(frozen=True)
class MarkRecord:
    """One goal's status at a check-in (or at the close), with the note written for it."""

    goal: str
    status: str
    label: str
    note: str = ""


@dataclass(frozen=True)
class SelfAssessment:
    """The employee's answer to a check-in."""

    submitted_at: datetime
    marks: list[MarkRecord]
    progress: str
    blockers: str
    support_needed: str


@dataclass(frozen=True)
class Review:
    """The manager's review of a check-in; `private_notes` is None when the reader may not."""

    reviewer: Party
    reviewed_at: datetime
    marks: list[MarkRecord]
    next_steps: str
    private_notes: str | None


@dataclass(frozen=True)
class GoalCheck:
    """One goal at one check-in: the employee's mark and the manager's, side by side."""

    goal: str
    employee: MarkRecord | None
    manager: MarkRecord | None


@dataclass(frozen=True)
class CheckinRecord:
    """One dated check-in with everything said at it."""

    number: int
    checkin_id: int
    occurrence_date: date
    kind: str
    status: str
    self_assessment: SelfAssessment | None
    reply: str
    review: Review | None
    goals: list[GoalCheck]


@dataclass(frozen=True)
class Change:
    """One field an amendment changed, before and after, as readable text."""

    field: str
    before: str
    after: str


@dataclass(frozen=True)
class AmendmentRecord:
    """An amendment or extension with its reason."""

    number: int
    kind: str
    at: datetime
    by: Party
    reason: str
    changes: list[Change]


@dataclass(frozen=True)
class PauseRecord:
    """A stretch the plan was paused: from, until, by whom, why, and the end date it moved."""

    number: int
    paused_on: date
    paused_by: Party
    reason: str | None  # None in a copy whose reader was not told it
    resume_on: date | None
    resumed_on: date | None
    resumed_by: Party | None
    business_days: int | None
    end_before: date | None
    end_after: date | None


@dataclass(frozen=True)
class OutcomeRecord:
    """How the plan ended."""

    outcome: str
    label: str
    summary: str
    effective_date: date | None
    closed_at: datetime | None
    closed_by: Party | None
    final_marks: list[MarkRecord]


@dataclass(frozen=True)
class EventRecord:
    """One history event: when, who, what, and its hash; `data` is free of private notes
    when the reader may not see them."""

    sequence: int
    at: datetime
    actor: Party
    kind: str
    title: str
    summary: list[str]
    data: dict[str, Any]
    hash: str


@dataclass(frozen=True)
class ChainStatus:
    """Whether the history's SHA-256 chain verifies."""

    intact: bool
    events: int
    first_broken: int | None
    head: str


@dataclass(frozen=True)
class TimelineCell:
    """A goal's status at one check-in: the manager's when reviewed, else the employee's."""

    goal_number: int
    occurrence_date: date
    status: str
    label: str
    source: str


@dataclass(frozen=True)
class Timeline:
    """The goal-status chart's data: a row per goal, a column per check-in."""

    goal_numbers: list[int]
    dates: list[date]
    rows: list[list[TimelineCell]]


@dataclass(frozen=True)
class SealRecord:
    """A copy of the history's head that was sent into Slack, outside the database."""

    sent_at: datetime
    where: str
    events: int
    hash: str
    matches: bool | None = None


@dataclass(frozen=True)
class PlanRecord:
    """Everything the exported document shows, private notes already removed when not allowed."""

    public_id: str
    status: str
    generated_at: datetime
    requested_by: Party
    include_private: bool
    employee: Party
    manager: Party
    created_at: datetime
    start_date: date
    end_date: date
    cadence: str
    issues: str
    expectations: str
    support: str
    consequences: str
    goals: list[GoalRecord]
    steps: list[StepRecord]
    ack_requested_at: datetime
    acknowledged_at: datetime | None
    acknowledged_current: bool
    acknowledgements: list[datetime]
    response: str | None
    responded_at: datetime | None
    checkins: list[CheckinRecord]
    amendments: list[AmendmentRecord]
    outcome: OutcomeRecord | None
    history: list[EventRecord]
    chain: ChainStatus
    timeline: Timeline
    tz: str = "UTC"
    seals: list[SealRecord] = field(default_factory=list)
    pauses: list[PauseRecord] = field(default_factory=list)

    @property
    def zone_line(self) -> str:
        """The one sentence that says which zone every time in the record is in."""
        if self.tz == "UTC":
            return f"Times are in UTC, the time zone of {self.employee.name}."
        abbreviation = f"{self.generated_at.astimezone(_zone(self.tz)):%Z}"
        return (
            f"Times are in {self.tz} time ({abbreviation}), the time zone of {self.employee.name}."
        )


# --- building the record ---------------------------------------------------------------------


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
            .options(selectinload(Checkin.goal_statuses))
            .order_by(Checkin.occurrence_date, Checkin.kind, Checkin.sequence, Checkin.id)
        )
    )
    events = audit.history(db, plan)
    chain = audit.verify_chain(db, plan)
    pauses = pauses_of(db, plan)
    told = {p.id for p in pauses if p.tell_employee}
    hr_or_writer = may(actor, Permission.APPROVE, plan) or may(actor, Permission.ASK_HR, plan)
    history = [
        _event_record(
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
        status=_plan_status(plan),
        generated_at=now,
        requested_by=party(actor.user_id),
        include_private=include_private,
        employee=party(plan.employee_id),
        manager=party(plan.manager_id),
        created_at=plan.created_at,
        start_date=plan.start_date,
        end_date=plan.end_date,
        cadence=f"{CADENCE_LABELS[plan.cadence]} on {_weekday(plan.checkin_weekday)}s",
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
        acknowledgements=[_acknowledged_at(e) for e in history if e.kind == "acknowledged"],
        response=plan.employee_response,
        responded_at=plan.responded_at,
        checkins=[
            _checkin_record(i, c, goal_labels, include_private, party)
            for i, c in enumerate(checkins, start=1)
        ],
        amendments=_amendments(history),
        outcome=_outcome(plan, history, goal_labels),
        history=history,
        chain=ChainStatus(
            intact=chain.intact,
            events=chain.events,
            first_broken=chain.first_broken,
            head=events[-1].hash if events else audit.GENESIS,
        ),
        timeline=_timeline(plan, checkins),
        tz=_employee_zone(db, plan.employee_id),
        seals=_seals(db, plan, events, party),
        pauses=[_pause_record(i, p, include_private, party) for i, p in enumerate(pauses, 1)],
    )


def _reason_hidden(event: PlanEvent, include_private: bool, told: set[int]) -> PlanEvent:
    """The event, without a pause reason the employee was not told (employee's copy)."""
    if include_private or event.kind != "paused" or event.data.get("pause_id") in told:
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
    zone = profile.tz if profile else "UTC"
    try:
        _zone(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return zone


def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


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


def _weekday(index: int) -> str:
    return calendar.day_name[index] if 0 <= index <= 6 else str(index)


def _plan_status(plan: Plan) -> str:
    label = PLAN_STATUS_LABELS[plan.status]
    if plan.status == PlanStatus.CLOSED and plan.outcome is not None:
        return f"{label} ({plan.outcome.value})"
    if plan.status in (PlanStatus.DRAFT, PlanStatus.WITHDRAWN):
        return label
    if plan.status != PlanStatus.CLOSED and not is_acknowledged(plan):
        return f"{label}, awaiting acknowledgement"
    return label


def _status_label(status: str | None) -> str:
    if status is None or status == NO_STATUS:
        return NO_STATUS_LABEL
    try:
        return STATUS_LABELS[GoalStatus(status)]
    except ValueError:
        return status.replace("_", " ").capitalize()


def _goal_label(goal_id: Any, goal_labels: dict[int, str]) -> str:
    if isinstance(goal_id, int) and goal_id in goal_labels:
        return goal_labels[goal_id]
    return f"A goal no longer in the plan (id {goal_id})"


def _mark_rows(rows: dict[int, CheckinGoalStatus], goal_labels: dict[int, str]) -> list[MarkRecord]:
    order = {goal_id: i for i, goal_id in enumerate(goal_labels)}
    ordered = sorted(rows.values(), key=lambda r: (order.get(r.goal_id, len(order)), r.id))
    return [
        MarkRecord(
            goal=_goal_label(r.goal_id, goal_labels),
            status=r.status.value,
            label=_status_label(r.status.value),
            note=r.note,
        )
        for r in ordered
    ]


def _checkin_record(
    number: int,
    checkin: Checkin,
    goal_labels: dict[int, str],
    include_private: bool,
    party: Callable[[str], Party],
) -> CheckinRecord:
    assessment = None
    if checkin.employee_submitted_at is not None:
        assessment = SelfAssessment(
            submitted_at=checkin.employee_submitted_at,
            marks=_mark_rows(marks_by(checkin, Author.EMPLOYEE), goal_labels),
            progress=checkin.employee_progress or "",
            blockers=checkin.employee_blockers or "",
            support_needed=checkin.employee_support_needed or "",
        )
    review = None
    if checkin.reviewed_at is not None:
        review = Review(
            reviewer=party(checkin.reviewer_id or ""),
            reviewed_at=checkin.reviewed_at,
            marks=_mark_rows(marks_by(checkin, Author.MANAGER), goal_labels),
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


def _without_private(value: Any) -> Any:
    """`value` with every `private_notes` entry removed, however deep."""
    if isinstance(value, dict):
        return {k: _without_private(v) for k, v in value.items() if k != "private_notes"}
    if isinstance(value, list):
        return [_without_private(v) for v in value]
    return value


def _describe(value: Any) -> str:
    """A stored value (text, date, goal or step list) as one readable line."""
    if value is None or value == "" or value == []:
        return "(none)"
    if isinstance(value, list):
        return "; ".join(f"{i}. {_describe(v)}" for i, v in enumerate(value, start=1))
    if isinstance(value, dict):
        if "description" in value:
            details = [
                f"{name}: {day_text(value[key]) if key == 'due_date' else value[key]}"
                for key, name in (("measure", "measure"), ("target", "target"), ("due_date", "due"))
                if value.get(key)
            ]
            return str(value["description"]) + (f" ({', '.join(details)})" if details else "")
        return ", ".join(f"{k}: {_describe(v)}" for k, v in value.items())
    return str(value)


def _describe_field(name: str, value: Any) -> str:
    if name == "checkin_weekday" and isinstance(value, int):
        return _weekday(value)
    if name == "cadence" and isinstance(value, str) and value in set(Cadence):
        return CADENCE_LABELS[Cadence(value)]
    if name in ("start_date", "end_date") and value:
        return day_text(value)
    return _describe(value)


def _changes(data: dict[str, Any]) -> list[Change]:
    changes = data.get("changes")
    if not isinstance(changes, dict):
        return []
    result = []
    for name, change in changes.items():
        before, after = (
            (change.get("before"), change.get("after"))
            if isinstance(change, dict)
            else (None, change)
        )
        result.append(
            Change(
                field=FIELD_LABELS.get(name, name.replace("_", " ").capitalize()),
                before=_describe_field(name, before),
                after=_describe_field(name, after),
            )
        )
    return result


def _mark_lines(data: dict[str, Any], goal_labels: dict[int, str]) -> list[str]:
    """The goals of an event as one line: "Goals: Goal 1 on track (note); Goal 2 at risk"."""
    marks = []
    for mark in data.get("goals") or []:
        if not isinstance(mark, dict):
            continue
        text = f"{_goal_label(mark.get('goal_id'), goal_labels)} "
        text += _status_label(mark.get("status")).lower()
        marks.append(text + (f" ({mark['note']})" if mark.get("note") else ""))
    return [f"Goals: {'; '.join(marks)}"] if marks else []


def _labelled(data: dict[str, Any], *pairs: tuple[str, str]) -> list[str]:
    return [f"{label}: {data[key]}" for key, label in pairs if data.get(key)]


def _summary(
    kind: str,
    data: dict[str, Any],
    goal_labels: dict[int, str],
    party: Callable[[str], Party],
) -> list[str]:
    """What one event says, in a few readable lines (from data already filtered)."""
    day = day_text(data.get("occurrence_date", ""))
    if kind == "created":
        goals, steps = data.get("goals") or [], data.get("steps") or []
        employee = party(str(data.get("employee_id", ""))).name
        return [
            f"Opened the plan for {employee}, {day_text(data.get('start_date'))} to "
            f"{day_text(data.get('end_date'))},"
            f" with {len(goals)} goal(s) and {len(steps)} action step(s)."
        ]
    if kind == "acknowledged":
        return ["The employee acknowledged receipt of the plan (receipt, not agreement)."]
    if kind == "responded":
        return [f"Response: {data.get('response', '')}"]
    if kind in ("checkin_answered", "checkin_updated"):
        verb = "Updated the self-assessment" if kind == "checkin_updated" else "Self-assessment"
        return [
            f"{verb} for the check-in of {day}.",
            *_mark_lines(data, goal_labels),
            *_labelled(
                data,
                ("progress", "Progress"),
                ("blockers", "Blockers"),
                ("support_needed", "Support needed"),
            ),
        ]
    if kind == "checkin_replied":
        return [f"Reply to the check-in of {day}: {data.get('reply', '')}"]
    if kind in ("checkin_reviewed", "review_updated"):
        verb = "Updated the review" if kind == "review_updated" else "Review"
        return [
            f"{verb} of the check-in of {day}.",
            *_mark_lines(data, goal_labels),
            *_labelled(data, ("next_steps", "Next steps"), ("private_notes", "Private notes")),
        ]
    if kind in ("checkin_missed", "review_missed"):
        parts = data.get("outstanding") or ["self_assessment", "review"]
        missing = " and ".join(
            {"self_assessment": "no self-assessment", "review": "no review"}.get(str(p), str(p))
            for p in parts
        )
        return [f"The check-in of {day} had {missing} when the next one was due."]
    if kind == "checkin_waiting":
        who = party(str(data.get("waiting_for", ""))).name
        return [f"The check-in of {day} waited: {who} appeared to be away (Slack status)."]
    if kind == "paused":
        until = f" until {day_text(data['resume_on'])}" if data.get("resume_on") else ""
        reason = [f"Reason: {data['reason']}"] if data.get("reason") else []
        told = "with" if data.get("tell_employee") else "without"
        return [
            f"Paused from {day_text(data.get('paused_on'))}{until}; "
            f"the employee was told {told} the reason.",
            *reason,
        ]
    if kind == "resumed":
        how = "on its resume date" if data.get("automatic") else "by hand"
        return [
            f"Resumed on {day_text(data.get('resumed_on'))} ({how}) after "
            f"{data.get('business_days')} "
            "business day(s) paused.",
            *(f"{c.field}: {c.before} → {c.after}" for c in _changes(data)),
        ]
    if kind in AMENDMENT_KINDS:
        return [
            f"Reason: {data.get('reason', '')}",
            *(f"{c.field}: {c.before} → {c.after}" for c in _changes(data)),
        ]
    if kind == "submitted":
        changed = ", ".join(str(c) for c in data.get("changed") or [])
        return [
            f"Version {data.get('round', 1)} of the draft, {data.get('start_date')} to "
            f"{data.get('end_date')}, sent to HR for approval."
            + (f" Changed: {changed}." if changed else "")
        ]
    if kind in ("approved", "changes_requested"):
        verb = "Approved" if kind == "approved" else "Changes requested for"
        comment = str(data.get("comment") or "")
        return [
            f"{verb} version {data.get('round', 1)}." + (f" Comment: {comment}" if comment else "")
        ]
    if kind == "sent":
        moved = int(data.get("moved_days") or 0)
        start, end = data.get("start_date"), data.get("end_date")
        line = f"Sent to the employee; the plan runs {start} to {end}."
        if moved:
            before = data.get("before") or {}
            line += (
                f" It was sent {moved} day(s) after its planned start, so its dates moved from "
                f"{before.get('start_date')} to {before.get('end_date')}."
            )
        return [line]
    if kind == "withdrawn":
        return ["The manager withdrew the draft before it was sent; the employee never saw it."]
    if kind == "hr_review_requested":
        asked = str(data.get("request") or "")
        return [
            "The employee asked HR to review the plan." + (f" Request: {asked}" if asked else "")
        ]
    if kind == "legal_hold":
        reason = [f"Reason: {data['reason']}"] if data.get("reason") else []
        return ["The plan is kept past the retention policy until HR releases it.", *reason]
    if kind == "hold_released":
        return ["The retention policy applies to the plan again."]
    if kind == "closed":
        effective = (
            f", effective {day_text(data['effective_date'])}" if data.get("effective_date") else ""
        )
        return [
            f"Outcome: {str(data.get('outcome', '')).capitalize()}{effective}.",
            *_labelled(data, ("summary", "Summary")),
            *_mark_lines(data, goal_labels),
        ]
    return [f"{k.replace('_', ' ').capitalize()}: {_describe(v)}" for k, v in data.items()]


def _event_record(
    event: PlanEvent,
    goal_labels: dict[int, str],
    include_private: bool,
    party: Callable[[str], Party],
    hr_or_writer: bool = True,
) -> EventRecord:
    shown: dict[str, Any] = dict(event.data) if include_private else _without_private(event.data)
    if not include_private:
        shown = {k: v for k, v in shown.items() if k not in RESTRICTED_DATA.get(event.kind, set())}
    if not hr_or_writer and event.kind in HR_ONLY_KEYS:
        shown.pop(HR_ONLY_KEYS[event.kind], None)
    return EventRecord(
        sequence=event.sequence,
        at=event.created_at,
        actor=party(event.actor_id),
        kind=event.kind,
        title=EVENT_TITLES.get(event.kind, event.kind.replace("_", " ").capitalize()),
        summary=_summary(event.kind, shown, goal_labels, party),
        data=shown,
        hash=event.hash,
    )


def _amendments(history: list[EventRecord]) -> list[AmendmentRecord]:
    """Every amendment and extension, oldest first, each numbered within its kind."""
    counts: dict[str, int] = {}
    found = []
    for event in history:
        if event.kind not in AMENDMENT_KINDS:
            continue
        counts[event.kind] = counts.get(event.kind, 0) + 1
        found.append(
            AmendmentRecord(
                number=counts[event.kind],
                kind=AMENDMENT_KINDS[event.kind],
                at=event.at,
                by=event.actor,
                reason=str(event.data.get("reason") or ""),
                changes=_changes(event.data),
            )
        )
    return found


def _outcome(
    plan: Plan, history: list[EventRecord], goal_labels: dict[int, str]
) -> OutcomeRecord | None:
    if plan.outcome is None and plan.status != PlanStatus.CLOSED:
        return None
    closed = next((e for e in reversed(history) if e.kind == "closed"), None)
    final = []
    for mark in (closed.data.get("goals") if closed else None) or []:
        if isinstance(mark, dict):
            status = mark.get("status") or NO_STATUS
            final.append(
                MarkRecord(
                    goal=_goal_label(mark.get("goal_id"), goal_labels),
                    status=str(status),
                    label=_status_label(str(status)),
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


def _timeline(plan: Plan, checkins: list[Checkin]) -> Timeline:
    rows = []
    for goal in plan.goals:
        row = []
        for checkin in checkins:
            manager = marks_by(checkin, Author.MANAGER).get(goal.id)
            employee = marks_by(checkin, Author.EMPLOYEE).get(goal.id)
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
                    label=_status_label(status),
                    source=source if chosen is not None else "",
                )
            )
        rows.append(row)
    return Timeline(
        goal_numbers=[g.position + 1 for g in plan.goals],
        dates=[c.occurrence_date for c in checkins],
        rows=rows,
    )


# --- the chart -------------------------------------------------------------------------------

_LEFT, _TOP, _RIGHT, _COL, _ROW, _LEGEND = 64, 64, 56, 44, 26, 44
_LEGEND_WIDTH = 460


def _shape(status: str, x: float, y: float, css_class: str, title: str = "") -> str:
    """One status mark centred on (x, y): circle, diamond, square or small dot by status."""
    fill = STATUS_COLOURS.get(status, STATUS_COLOURS[NO_STATUS])
    inner = f"<title>{escape(title)}</title>" if title else ""
    attrs = f'class="{css_class} {escape(status)}" fill="{fill}"'
    if status == GoalStatus.ON_TRACK:
        return f'<circle {attrs} cx="{x:g}" cy="{y:g}" r="8">{inner}</circle>'
    if status == GoalStatus.AT_RISK:
        points = f"{x:g},{y - 9:g} {x + 9:g},{y:g} {x:g},{y + 9:g} {x - 9:g},{y:g}"
        return f'<polygon {attrs} points="{points}">{inner}</polygon>'
    if status == GoalStatus.OFF_TRACK:
        return f'<rect {attrs} x="{x - 7:g}" y="{y - 7:g}" width="14" height="14">{inner}</rect>'
    return f'<circle {attrs} cx="{x:g}" cy="{y:g}" r="4">{inner}</circle>'


def goal_status_svg(record: PlanRecord) -> Markup:
    """The goal-status timeline as inline SVG: a row per goal, a column per check-in."""
    timeline = record.timeline
    columns = max(len(timeline.dates), 1)
    width = max(_LEFT + columns * _COL + _RIGHT, _LEGEND_WIDTH)
    grid_bottom = _TOP + len(timeline.goal_numbers) * _ROW
    height = grid_bottom + _LEGEND
    title = f"Goal status at each check-in, {record.public_id}"
    description = (
        "One row per goal, one column per check-in date; each mark shows the manager's status "
        "when the check-in was reviewed, else the employee's own."
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{CHART_ID}" role="img" '
        f'aria-labelledby="{CHART_ID}-title {CHART_ID}-desc" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
        f'<title id="{CHART_ID}-title">{escape(title)}</title>',
        f'<desc id="{CHART_ID}-desc">{escape(description)}</desc>',
    ]
    for r, number in enumerate(timeline.goal_numbers):
        y = _TOP + r * _ROW + _ROW / 2
        parts.append(
            f'<line class="grid" x1="{_LEFT}" y1="{y:g}" x2="{_LEFT + columns * _COL}" '
            f'y2="{y:g}" stroke="#e0e0e0"/>'
            f'<text class="axis-label goal" x="{_LEFT - 8}" y="{y + 4:g}" '
            f'text-anchor="end">Goal {number}</text>'
        )
    for c, day in enumerate(timeline.dates):
        x = _LEFT + c * _COL + _COL / 2
        parts.append(
            f'<text class="axis-label date" x="{x:g}" y="{_TOP - 8}" '
            f'transform="rotate(-45 {x:g} {_TOP - 8})">{day.isoformat()}</text>'
        )
    if not timeline.dates:
        parts.append(f'<text class="empty" x="{_LEFT}" y="{_TOP - 12}">No check-ins yet.</text>')
    for r, row in enumerate(timeline.rows):
        y = _TOP + r * _ROW + _ROW / 2
        for c, cell in enumerate(row):
            x = _LEFT + c * _COL + _COL / 2
            tip = f"Goal {cell.goal_number}, {cell.occurrence_date.isoformat()}: {cell.label}"
            tip += f" ({cell.source})" if cell.source else ""
            parts.append(_shape(cell.status, x, y, "mark", tip))
    legend_y = grid_bottom + _LEGEND / 2 + 4
    x = float(_LEFT)
    parts.append('<g class="legend">')
    for status in STATUS_COLOURS:
        label = _status_label(status)
        parts.append(_shape(status, x, legend_y - 4, "key"))
        parts.append(f'<text x="{x + 14:g}" y="{legend_y:g}">{escape(label)}</text>')
        x += 22 + 7 * len(label) + 16
    parts.append("</g></svg>")
    return Markup("".join(parts))


def timeline_text(record: PlanRecord) -> str:
    """The goal-status timeline as a fixed-width grid for Markdown (no user text in it)."""
    timeline = record.timeline
    if not timeline.dates:
        return "No check-ins yet."
    label_width = max(len(f"Goal {n}") for n in timeline.goal_numbers) + 2
    header = " " * label_width + " ".join(d.strftime("%m-%d") for d in timeline.dates)
    lines = [header]
    for number, row in zip(timeline.goal_numbers, timeline.rows, strict=True):
        marks = " ".join(f"{TEXT_SYMBOLS.get(cell.status, '?'):^5}" for cell in row)
        lines.append(f"{f'Goal {number}':<{label_width}}{marks}".rstrip())
    return "\n".join(lines)


# --- rendering -------------------------------------------------------------------------------


def format_day(value: date | None) -> str:
    """A date with its weekday, as people read it: `Tue 1 Dec 2026`."""
    return f"{value:%a %-d %b %Y}" if value is not None else ""


def format_time(value: datetime | None, tz: str) -> str:
    """An instant in the zone `tz`, named: `Tue 1 Dec 2026 10:02 CET`."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(_zone(tz))
    return f"{local:%a %-d %b %Y %H:%M %Z}"


def day_text(value: Any) -> str:
    """A stored ISO date (as events keep them) with its weekday; anything else as it is."""
    if isinstance(value, date):
        return format_day(value)
    try:
        return format_day(date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def _format_date(value: date | None) -> str:
    return format_day(value)


@pass_context
def _format_datetime(context: Context, value: datetime | None) -> str:
    record = context.get("record")
    return format_time(value, record.tz if isinstance(record, PlanRecord) else "UTC")


def _md_indent(text: str, width: int = 2) -> str:
    """Indent every line after the first, so multi-line text stays inside a list item."""
    pad = " " * width
    return "\n".join(
        line if i == 0 or not line.strip() else pad + line
        for i, line in enumerate(text.strip().splitlines() or [""])
    )


def _md_quote(text: str) -> str:
    """User text as a Markdown block quote, blank lines kept inside it."""
    return "\n".join(f"> {line}".rstrip() for line in text.strip().splitlines() or [""])


def _environment(autoescape: bool) -> Environment:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(OVERRIDES), FileSystemLoader(TEMPLATES)]),
        undefined=StrictUndefined,
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["d"] = _format_date
    env.filters["dt"] = _format_datetime
    env.filters["md_indent"] = _md_indent
    env.filters["md_quote"] = _md_quote
    return env


@lru_cache(maxsize=1)
def html_environment() -> Environment:
    """The Jinja2 environment for the HTML document: autoescaped, strict."""
    return _environment(autoescape=True)


@lru_cache(maxsize=1)
def markdown_environment() -> Environment:
    """The Jinja2 environment for the Markdown document: strict, not escaped."""
    return _environment(autoescape=False)


def render_html(record: PlanRecord) -> str:
    """The record as one self-contained, printable HTML document."""
    template = html_environment().get_template("export/plan.html.j2")
    return template.render(record=record, chart=goal_status_svg(record), colours=STATUS_COLOURS)


def render_markdown(record: PlanRecord) -> str:
    """The record as Markdown."""
    template = markdown_environment().get_template("export/plan.md.j2")
    text = template.render(record=record, timeline=timeline_text(record), symbols=TEXT_SYMBOLS)
    return text.rstrip() + "\n"


def export_filename(record: PlanRecord, ext: str) -> str:
    """The file name of an export, e.g. `PIP-7K3Q9A-record.html`."""
    return f"{record.public_id}-record.{ext.lstrip('.')}"
