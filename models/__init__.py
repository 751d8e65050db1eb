"""SQLAlchemy models: the whole domain schema, on one `Base`."""

from models.base import Base, utcnow
from models.checkin import Checkin, CheckinGoalStatus
from models.delivery import Delivery, DispatcherHeartbeat
from models.enums import (
    Author,
    Cadence,
    CheckinKind,
    CheckinStatus,
    DeliveryKind,
    DeliveryStatus,
    EventKind,
    FinalResult,
    GoalStatus,
    Notice,
    Outcome,
    PlanStatus,
    Review,
)
from models.history import PlanEvent
from models.pause import PlanPause, SlackStatus
from models.plan import ActionStep, Goal, Plan
from models.report import PlanReportFacts
from models.retention import Tombstone
from models.slack import ProcessedEvent, SlackUser
from models.tally import PlanTally

__all__ = [
    "ActionStep",
    "Author",
    "Base",
    "Cadence",
    "Checkin",
    "CheckinGoalStatus",
    "CheckinKind",
    "CheckinStatus",
    "Delivery",
    "DeliveryKind",
    "DeliveryStatus",
    "DispatcherHeartbeat",
    "EventKind",
    "FinalResult",
    "Goal",
    "GoalStatus",
    "Notice",
    "Outcome",
    "Plan",
    "PlanEvent",
    "PlanPause",
    "PlanReportFacts",
    "PlanStatus",
    "PlanTally",
    "ProcessedEvent",
    "Review",
    "SlackStatus",
    "SlackUser",
    "Tombstone",
    "utcnow",
]
