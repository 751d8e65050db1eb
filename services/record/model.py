"""The plan record: frozen values the export, the PDF and the views render from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from services.record.times import zone


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
        abbreviation = f"{self.generated_at.astimezone(zone(self.tz)):%Z}"
        return (
            f"Times are in {self.tz} time ({abbreviation}), the time zone of {self.employee.name}."
        )
