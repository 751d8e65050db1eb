"""The closed vocabularies of the domain, stored as short strings."""

from __future__ import annotations

from enum import StrEnum


class PlanStatus(StrEnum):
    """Where a plan is in its lifecycle."""

    DRAFT = "draft"
    WITHDRAWN = "withdrawn"
    ACTIVE = "active"
    ACKNOWLEDGED = "acknowledged"
    EXTENDED = "extended"
    PAUSED = "paused"
    CLOSED = "closed"


class Review(StrEnum):
    """Where a draft stands before it is sent: with HR, back with the manager, or ready."""

    PENDING = "pending"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"


class Outcome(StrEnum):
    """How a closed plan ended."""

    SUCCESSFUL = "successful"
    UNSUCCESSFUL = "unsuccessful"
    CANCELLED = "cancelled"


class Cadence(StrEnum):
    """How often check-ins happen."""

    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"


class GoalStatus(StrEnum):
    """A goal's standing at a check-in."""

    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"


class FinalResult(StrEnum):
    """A goal's final result, recorded when the plan is closed."""

    MET = "met"
    PARTLY_MET = "partly_met"
    NOT_MET = "not_met"


class CheckinKind(StrEnum):
    """Whether a check-in came from the schedule or was logged by the manager at will."""

    SCHEDULED = "scheduled"
    UNSCHEDULED = "unscheduled"


class CheckinStatus(StrEnum):
    """What has happened to one check-in occurrence."""

    PENDING = "pending"
    ANSWERED = "answered"
    REVIEWED = "reviewed"
    MISSED = "missed"
    SKIPPED = "skipped"


class Author(StrEnum):
    """Who wrote a per-goal status row."""

    EMPLOYEE = "employee"
    MANAGER = "manager"


class DeliveryStatus(StrEnum):
    """The state of one owed message in the outbox."""

    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"


class DeliveryKind(StrEnum):
    """Every kind of message the bot owes somebody."""

    ACK_REQUEST = "ack_request"
    ACK_REMINDER = "ack_reminder"
    NOT_ACKNOWLEDGED = "not_acknowledged"
    PLAN_CONFIRMATION = "plan_confirmation"
    CHECKIN_PROMPT = "checkin_prompt"
    CHECKIN_REMINDER = "checkin_reminder"
    REVIEW_PROMPT = "review_prompt"
    REVIEW_REMINDER = "review_reminder"
    CHECKIN_MISSED = "checkin_missed"
    END_OF_PLAN = "end_of_plan"
    OUTCOME_REMINDER = "outcome_reminder"
    OUTCOME_OVERDUE = "outcome_overdue"
    HR_NOTICE = "hr_notice"
    SEND_REMINDER = "send_reminder"
    NOTICE = "notice"
    RETENTION_NOTICE = "retention_notice"
    RESUME = "resume"
