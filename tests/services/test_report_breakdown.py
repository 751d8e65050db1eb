"""The report's breakdowns by manager, team (Slack workspace) and month, hand-computed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from models import Cadence, Outcome, Plan, PlanStatus
from services.access import Actor
from services.errors import NotAllowed
from services.report_breakdown import Group, breakdown
from tests.services.test_report import TODAY as REPORT_DAY
from tests.services.test_report import seeded  # noqa: F401  (the hand-computed store)

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


def test_the_csv_pass_counts_the_same_check_ins_as_the_figures(seeded: Session) -> None:  # noqa: F811
    """The handler gives org_report the totals the CSV added up: the figures do not change."""
    from services.report import org_report
    from services.report_csv import CheckinTotals, csv_chunks

    counted = CheckinTotals()
    for _ in csv_chunks(seeded, HR_ACTOR, REPORT_DAY, counted):
        pass
    alone = org_report(seeded, HR_ACTOR, REPORT_DAY)
    assert (counted.due, counted.completed, counted.missed) == (
        alone.checkins_due,
        alone.checkins_completed,
        alone.checkins_missed,
    )
    assert counted.due > 0 and counted.completed > 0 and counted.missed > 0
    assert org_report(seeded, HR_ACTOR, REPORT_DAY, counted=counted) == alone
