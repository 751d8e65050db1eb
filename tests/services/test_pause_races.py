"""Two identical pause (or resume) requests at once on PostgreSQL change the plan once."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import Engine, func, select

from db import make_session_factory
from models import Delivery, DeliveryKind, Plan, PlanEvent, PlanPause, PlanStatus
from services.access import Actor
from services.calendar import HolidayRules
from services.pauses import PauseRequest, pause_plan, resume_plan
from services.schedule import Recipients
from tests.services.test_races import _race

pytestmark = pytest.mark.postgres
PAUSED = datetime(2027, 1, 25, 14, tzinfo=UTC)
RESUMED = datetime(2027, 2, 8, 14, tzinfo=UTC)
TO = Recipients.of("America/New_York", "Europe/Berlin", "CHR", time(10), HolidayRules())


def test_two_identical_pauses_and_resumes_at_once_count_once(pg_engine: Engine) -> None:
    sessions = make_session_factory(pg_engine)
    with sessions() as db:
        plan = Plan(
            public_id="PIP-PRACE1",
            team_id="T",
            employee_id="UE",
            manager_id="UM",
            issues="i",
            expectations="e",
            consequences="c",
            start_date=date(2027, 1, 4),
            end_date=date(2027, 3, 5),
            cadence="weekly",
            checkin_weekday=2,
        )
        db.add(plan)
        db.commit()
        plan_id = plan.id
    request = PauseRequest("Parental leave", None, tell_employee=False)

    def pause(db):  # type: ignore[no-untyped-def]
        return pause_plan(db, Actor("UM"), "PIP-PRACE1", request, recipients=TO, now=PAUSED)

    def resume(db):  # type: ignore[no-untyped-def]
        return resume_plan(db, Actor("UM"), "PIP-PRACE1", recipients=TO, now=RESUMED)

    try:
        results = _race(pg_engine, [pause, pause])
        assert all(isinstance(r, PlanPause) for r in results), results
        with sessions() as db:
            assert db.scalar(select(func.count()).select_from(PlanPause)) == 1
            assert db.scalar(select(func.count()).where(PlanEvent.kind == "paused")) == 1
            told = db.scalar(
                select(func.count()).where(
                    Delivery.kind == DeliveryKind.NOTICE, Delivery.recipient_id == "UE"
                )
            )
            assert told == 1
        results = _race(pg_engine, [resume, resume])
        assert all(isinstance(r, PlanPause) for r in results), results
        with sessions() as db:
            stored = db.get(Plan, plan_id)
            assert stored is not None and stored.status == PlanStatus.ACTIVE
            assert stored.end_date == date(2027, 3, 19)  # moved by 10 business days, once
            assert db.scalar(select(func.count()).where(PlanEvent.kind == "resumed")) == 1
    finally:
        from tests.conftest import _truncate

        _truncate(pg_engine)
