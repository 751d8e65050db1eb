"""Check-then-write steps under concurrency on PostgreSQL: one open plan, one history order."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import Engine, func, select

from db import make_session_factory
from models import Plan as PlanModel
from models import PlanEvent
from services import audit, plans
from services.access import Actor
from services.drafts import GoalDraft, PlanDraft
from services.schedule import Recipients
from services.users import Profile

pytestmark = pytest.mark.postgres
NOW = datetime(2027, 1, 4, 15, tzinfo=UTC)
TODAY = NOW.date()


def _draft() -> PlanDraft:
    return PlanDraft(
        employee_id="UEMP",
        issues="i",
        expectations="e",
        goals=[GoalDraft("d", "m", "t", TODAY + timedelta(days=20))],
        weekday=2,
        start_date=TODAY,
        length_days=60,
        consequences="c",
    )


def _race(engine: Engine, work: list) -> list[object]:  # type: ignore[type-arg]
    sessions = make_session_factory(engine)
    barrier = threading.Barrier(len(work))
    results: list[object] = [None] * len(work)

    def run(index: int) -> None:
        with sessions() as db:
            barrier.wait()
            try:
                results[index] = work[index](db)
                db.commit()
            except Exception as error:  # noqa: BLE001 - the outcome is what we compare
                db.rollback()
                results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_two_managers_at_once_open_one_plan(pg_engine: Engine) -> None:
    recipients = Recipients("UTC", "UTC", None, time(10))
    employee = Profile("UEMP", name="eli")

    def open_as(manager: str):  # type: ignore[no-untyped-def]
        return lambda db: plans.open_plan(
            db,
            Actor(manager),
            team_id="T",
            draft=_draft(),
            employee=employee,
            recipients=recipients,
            today=TODAY,
            now=NOW,
        )

    try:
        results = _race(pg_engine, [open_as("UMGR1"), open_as("UMGR2")])
        assert sum(isinstance(r, PlanModel) for r in results) == 1
        # The second manager may not see the first one's plan: nothing opens, and (with no
        # HR channel in these recipients) nothing is owed either.
        assert sum(r is None for r in results) == 1
        with make_session_factory(pg_engine)() as db:
            assert db.scalar(select(func.count()).select_from(PlanModel)) == 1
    finally:
        from tests.conftest import _truncate

        _truncate(pg_engine)


def test_concurrent_history_appends_keep_one_chain(pg_engine: Engine) -> None:
    sessions = make_session_factory(pg_engine)
    with sessions() as db:
        plan = PlanModel(
            public_id="PIP-RACE01",
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

    def append(n: int):  # type: ignore[no-untyped-def]
        def work(db):  # type: ignore[no-untyped-def]
            target = db.get(PlanModel, plan_id)
            return audit.append_event(db, target, "UM", f"note{n}", {"n": n})

        return work

    try:
        results = _race(pg_engine, [append(n) for n in range(6)])
        assert not [r for r in results if isinstance(r, Exception)], results
        with sessions() as db:
            stored = db.get(PlanModel, plan_id)
            assert stored is not None
            assert sorted(e.sequence for e in db.scalars(select(PlanEvent))) == [1, 2, 3, 4, 5, 6]
            assert audit.verify_chain(db, stored).intact
    finally:
        from tests.conftest import _truncate

        _truncate(pg_engine)
