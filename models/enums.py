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


class Notice(StrEnum):
    """What a NOTICE or HR_NOTICE delivery is about (its payload's `notice`)."""

    # To people (DeliveryKind.NOTICE)
    ACKNOWLEDGED = "acknowledged"
    RESPONDED = "responded"
    UNDELIVERABLE = "undeliverable"
    RECEIPT = "receipt"
    AWAY = "away"
    REVIEW = "review"
    OUTCOME = "outcome"
    PAUSED = "paused"
    RESUMED = "resumed"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    READY_TO_SEND = "ready_to_send"
    ASK_HR_SENT = "ask_hr_sent"
    # To the HR channel (DeliveryKind.HR_NOTICE); some names above are HR's too
    OPENED = "opened"
    OPEN_REFUSED = "open_refused"
    EXTENDED = "extended"
    AMENDED = "amended"
    CLOSED = "closed"
    RECORD = "record"
    APPROVAL_REQUEST = "approval_request"
    ASK_HR = "ask_hr"


class EventKind(StrEnum):
    """Every kind of event in a plan's history (stored as `plan_events.kind`)."""

    CREATED = "created"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    DRAFT_EDITED = "draft_edited"
    WITHDRAWN = "withdrawn"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    RESPONDED = "responded"
    HR_REVIEW_REQUESTED = "hr_review_requested"
    CHECKIN_ANSWERED = "checkin_answered"
    CHECKIN_UPDATED = "checkin_updated"
    CHECKIN_REPLIED = "checkin_replied"
    CHECKIN_REVIEWED = "checkin_reviewed"
    REVIEW_UPDATED = "review_updated"
    CHECKIN_MISSED = "checkin_missed"
    REVIEW_MISSED = "review_missed"
    CHECKIN_WAITING = "checkin_waiting"
    PAUSED = "paused"
    RESUMED = "resumed"
    AMENDED = "amended"
    EXTENDED = "extended"
    LEGAL_HOLD = "legal_hold"
    HOLD_RELEASED = "hold_released"
    CLOSED = "closed"
