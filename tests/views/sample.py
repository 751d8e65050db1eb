"""Plans and check-ins built in memory for the view tests: no app, no database."""

from __future__ import annotations

from datetime import date, timedelta

from models import Cadence, Checkin, CheckinKind, Goal, Plan
from services.drafts import LONG_TEXT_MAX, MAX_GOALS
from tests.constants import EMPLOYEE, MANAGER

START = date(2027, 1, 4)  # a Monday
LONG = "x" * LONG_TEXT_MAX
GOAL_IDS = list(range(101, 101 + MAX_GOALS))


def sample_plan(goals: int = MAX_GOALS, text: str = "Ship the review on time.") -> Plan:
    """A plan in memory with `goals` goals (ids 101, 102, ...) whose texts are `text`."""
    plan = Plan(
        public_id="PIP-7K3Q9A",
        team_id="T0001",
        employee_id=EMPLOYEE,
        manager_id=MANAGER,
        issues=LONG,
        expectations=LONG,
        support=LONG,
        consequences=LONG,
        start_date=START,
        end_date=START + timedelta(days=59),
        cadence=Cadence.WEEKLY,
        checkin_weekday=2,
        employee_response=LONG,
    )
    plan.goals = [
        Goal(
            id=101 + i,
            position=i,
            description=text,
            measure=text,
            target=text,
            due_date=START + timedelta(days=50),
        )
        for i in range(goals)
    ]
    plan.steps = []
    return plan


def sample_checkin(plan: Plan) -> Checkin:
    """A scheduled check-in (id 7) of `plan` with the longest answers and no marks yet."""
    checkin = Checkin(
        id=7,
        kind=CheckinKind.SCHEDULED,
        occurrence_date=START + timedelta(days=2),
        employee_progress=LONG,
        next_steps=LONG,
        private_notes=LONG,
    )
    checkin.goal_statuses = []
    return checkin
