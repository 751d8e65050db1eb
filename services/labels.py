"""What the record and the notices call things: one place for every label people read."""

from __future__ import annotations

import calendar

from models import Cadence, GoalStatus, PlanStatus
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
AMENDMENT_KINDS = {"amended": "Amendment", "extended": "Extension"}


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
