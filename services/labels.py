"""What the record and the notices call things: one place for every label people read."""

from __future__ import annotations

import calendar

from models import Cadence, EventKind, GoalStatus, PlanStatus
from services.checkins import STATUS_LABELS

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
EVENT_TITLES: dict[str, str] = {
    EventKind.CREATED: "Plan opened",
    EventKind.ACKNOWLEDGED: "Receipt acknowledged",
    EventKind.RESPONDED: "Employee responded",
    EventKind.CHECKIN_ANSWERED: "Check-in answered",
    EventKind.CHECKIN_UPDATED: "Check-in answer updated",
    EventKind.CHECKIN_REPLIED: "Replied to a check-in",
    EventKind.CHECKIN_REVIEWED: "Check-in reviewed",
    EventKind.REVIEW_UPDATED: "Review updated",
    EventKind.CHECKIN_MISSED: "Check-in missed",
    EventKind.REVIEW_MISSED: "Review missing",
    EventKind.CHECKIN_WAITING: "Check-in waiting (away)",
    EventKind.PAUSED: "Plan paused",
    EventKind.RESUMED: "Plan resumed",
    EventKind.AMENDED: "Plan amended",
    EventKind.EXTENDED: "Plan extended",
    EventKind.CLOSED: "Plan closed",
    EventKind.SUBMITTED: "Draft sent to HR for approval",
    EventKind.APPROVED: "Approved by HR",
    EventKind.CHANGES_REQUESTED: "HR asked for changes",
    EventKind.SENT: "Plan sent to the employee",
    EventKind.WITHDRAWN: "Draft withdrawn",
    EventKind.DRAFT_EDITED: "Draft changed",
    EventKind.HR_REVIEW_REQUESTED: "Employee asked HR to review",
    EventKind.LEGAL_HOLD: "Legal hold placed",
    EventKind.HOLD_RELEASED: "Legal hold released",
}
# Event data only the manager and HR read (the employee's copy says the event happened).
# The plan's parts, as the form, the amend notice and the exported record all name them.
FIELD_LABELS = {
    "issues": "Issues",
    "expectations": "Expected standard",
    "support": "Support and resources",
    "consequences": "Consequences",
    "start_date": "Start date",
    "end_date": "End date",
    "cadence": "Check-in cadence",
    "checkin_weekday": "Check-in day",
    "goals": "Goals",
    "steps": "Action steps",
}
AMENDMENT_KINDS: dict[str, str] = {EventKind.AMENDED: "Amendment", EventKind.EXTENDED: "Extension"}


def weekday_name(index: int) -> str:
    """A weekday index (Monday is 0) as its name."""
    return calendar.day_name[index] if 0 <= index <= 6 else str(index)


def status_label(status: str | None) -> str:
    """A stored goal status as people read it."""
    if status is None or status == NO_STATUS:
        return NO_STATUS_LABEL
    try:
        return STATUS_LABELS[GoalStatus(status)]
    except ValueError:
        return status.replace("_", " ").capitalize()
