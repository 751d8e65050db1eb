"""The report's breakdowns by manager, team (Slack workspace) and month, hand-computed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from models import Cadence, Outcome, Plan, PlanStatus
from services.access import Actor
from services.errors import NotAllowed
from services.report_breakdown import Group, breakdown

TODAY = date(2027, 3, 10)
HR_ACTOR = Actor("UHRB", is_hr=True)


def _plan(
    db: Session,
    n: int,
    manager: str,
    team: str,
    start: date,
    status: PlanStatus,
    outcome: Outcome | None = None,
) -> None:
    db.add(
        Plan(
            public_id=f"PIP-B{n:04d}",
            team_id=team,
            employee_id=f"UEB{n}",
            manager_id=manager,
            issues="i",
            expectations="e",
            consequences="c",
            start_date=start,
            end_date=start + timedelta(days=60),
            cadence=Cadence.WEEKLY,
            checkin_weekday=2,
            status=status,
            outcome=outcome,
        )
    )


def test_plans_by_manager_team_and_month(db: Session) -> None:
    jan, feb = date(2027, 1, 4), date(2027, 2, 1)
    _plan(db, 1, "UM1", "T1", jan, PlanStatus.ACTIVE)
    _plan(db, 2, "UM1", "T1", jan, PlanStatus.CLOSED, Outcome.SUCCESSFUL)
    _plan(db, 3, "UM1", "T2", feb, PlanStatus.PAUSED)
    _plan(db, 4, "UM2", "T1", feb, PlanStatus.CLOSED, Outcome.UNSUCCESSFUL)
    _plan(db, 5, "UM2", "T1", feb, PlanStatus.CLOSED, Outcome.CANCELLED)
    _plan(db, 6, "UM2", "T1", feb, PlanStatus.DRAFT)  # never sent: not counted
    _plan(db, 7, "UM3", "T2", jan, PlanStatus.WITHDRAWN)  # never sent: not counted
    db.flush()

    figures = breakdown(db, HR_ACTOR, TODAY)

    # key, plans, open, closed, successful, unsuccessful, cancelled
    assert figures.by_manager == [
        Group("UM1", 3, 2, 1, 1, 0, 0),
        Group("UM2", 2, 0, 2, 0, 1, 1),
    ]
    assert figures.by_team == [Group("T1", 4, 1, 3, 1, 1, 1), Group("T2", 1, 1, 0, 0, 0, 0)]
    assert figures.by_month == [
        Group("2027-01", 2, 1, 1, 1, 0, 0),
        Group("2027-02", 3, 1, 2, 0, 1, 1),
    ]
    db.rollback()


def test_an_empty_store_has_empty_breakdowns_and_only_hr_may_ask(db: Session) -> None:
    figures = breakdown(db, HR_ACTOR, TODAY)
    assert (figures.by_manager, figures.by_team, figures.by_month) == ([], [], [])
    with pytest.raises(NotAllowed):
        breakdown(db, Actor("UM1"), TODAY)
