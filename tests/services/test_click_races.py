"""Two identical clicks at the same moment on PostgreSQL record once and notify once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from db import make_session_factory
from models import (
    Checkin,
    Delivery,
    DeliveryKind,
    FinalResult,
    GoalStatus,
    Outcome,
    Plan,
    PlanEvent,
)
from services import checkins, close, plans
from services.access import Actor
from services.checkins import GoalMark
from services.errors import UsageError
from tests.plan_helpers import open_through_services

pytestmark = pytest.mark.postgres
ROUNDS = 20
NOW = datetime(2027, 1, 4, 15, tzinfo=UTC)
TODAY = NOW.date()
MANAGER = "UMGR"
HR_CHANNEL = "CHR"
Work = Callable[[Session], Any]


@pytest.fixture
def sessions(pg_engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions on the shared PostgreSQL database, emptied after the test."""
    from tests.conftest import _truncate

    yield make_session_factory(pg_engine)
    _truncate(pg_engine)


def _open(sessions: sessionmaker[Session], employee: str) -> int:
    with sessions() as db:
        plan = open_through_services(db, MANAGER, employee, now=NOW, hr_channel=HR_CHANNEL)
        db.commit()
        return plan.id


def _twice_at_once(sessions: sessionmaker[Session], work: Work) -> list[object]:
    """Run `work` in two threads that start their transactions together; each commits."""
    return _at_once(sessions, work, work)


def _at_once(sessions: sessionmaker[Session], *works: Work) -> list[object]:
    """Run each of `works` in a thread of its own, their transactions started together."""
    barrier = threading.Barrier(len(works))
    results: list[object] = [None] * len(works)

    def run(index: int) -> None:
        with sessions() as db:
            db.connection()  # the transaction is open before the barrier, as in a request
            barrier.wait()
            try:
                results[index] = works[index](db)
                db.commit()
            except Exception as error:  # noqa: BLE001 - the outcome is what we compare
                db.rollback()
                results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(works))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return results


def _events(db: Session, plan_id: int, kind: str) -> int:
    return int(
        db.scalar(select(func.count()).where(PlanEvent.plan_id == plan_id, PlanEvent.kind == kind))
        or 0
    )


def _notices(db: Session, plan_id: int, recipient: str, notice: str) -> int:
    rows = db.scalars(
        select(Delivery).where(
            Delivery.plan_id == plan_id,
            Delivery.recipient_id == recipient,
            Delivery.kind.in_([DeliveryKind.NOTICE, DeliveryKind.HR_NOTICE]),
        )
    )
    return sum(1 for row in rows if row.payload.get("notice") == notice)


def test_two_acknowledge_clicks_record_once_and_tell_the_manager_once(
    sessions: sessionmaker[Session],
) -> None:
    for round_ in range(ROUNDS):
        employee = f"UEMP{round_}"
        plan_id = _open(sessions, employee)
        with sessions() as db:
            public_id = db.get_one(Plan, plan_id).public_id

        results = _twice_at_once(
            sessions,
            lambda db, e=employee, p=public_id: plans.acknowledge(db, Actor(e), p, 1, NOW)[1],
        )

        assert sorted(results, key=str) == [False, True], results
        with sessions() as db:
            assert _events(db, plan_id, "acknowledged") == 1
            assert _notices(db, plan_id, MANAGER, "acknowledged") == 1


def test_two_checkin_submissions_record_one_answer(sessions: sessionmaker[Session]) -> None:
    for round_ in range(ROUNDS):
        employee = f"UEMP{round_}"
        plan_id = _open(sessions, employee)
        with sessions() as db:
            plan = db.get_one(Plan, plan_id)
            checkin_id = checkins.scheduled_checkin(db, plan, date(2027, 1, 6)).id
            goal_id = plan.goals[0].id
            db.commit()
            owed_before = db.scalar(select(func.count()).where(Delivery.plan_id == plan_id))

        def submit(db: Session, e: str = employee, c: int = checkin_id, g: int = goal_id) -> int:
            return checkins.record_answer(
                db,
                Actor(e),
                c,
                marks=[GoalMark(g, GoalStatus.AT_RISK, "halfway")],
                progress="Two of four reports in on time.",
                blockers="",
                support_needed="",
                now=NOW,
            ).id

        results = _twice_at_once(sessions, submit)

        assert results == [checkin_id, checkin_id], results
        with sessions() as db:
            assert _events(db, plan_id, "checkin_answered") == 1
            assert _events(db, plan_id, "checkin_updated") == 0
            stored = db.get_one(Checkin, checkin_id)
            assert len(stored.goal_statuses) == 1
            # An answer owes nothing new at once (the manager's review prompt was already
            # owed): two clicks must not add anything either.
            owed_after = db.scalar(select(func.count()).where(Delivery.plan_id == plan_id))
            assert owed_after == owed_before


def test_two_review_submissions_record_one_review_and_tell_the_employee_once(
    sessions: sessionmaker[Session],
) -> None:
    for round_ in range(ROUNDS):
        employee = f"UEMP{round_}"
        plan_id = _open(sessions, employee)
        with sessions() as db:
            plan = db.get_one(Plan, plan_id)
            goal_id = plan.goals[0].id
            public_id = plan.public_id

        def review(db: Session, p: str = public_id, g: int = goal_id) -> int:
            return checkins.record_review(
                db,
                Actor(MANAGER),
                checkin_id=None,
                plan_id=p,
                marks=[GoalMark(g, GoalStatus.ON_TRACK, "good week")],
                next_steps="Keep going.",
                private_notes="",
                today=TODAY,
                now=NOW,
                seen_unscheduled=0,  # both submit the form as it opened
            ).id

        results = _twice_at_once(sessions, review)

        assert results[0] == results[1] and isinstance(results[0], int), results
        with sessions() as db:
            assert _events(db, plan_id, "checkin_reviewed") == 1
            assert _events(db, plan_id, "review_updated") == 0
            assert _notices(db, plan_id, employee, "review") == 1


def test_two_close_clicks_close_once_and_tell_everyone_once(
    sessions: sessionmaker[Session],
) -> None:
    for round_ in range(ROUNDS):
        employee = f"UEMP{round_}"
        plan_id = _open(sessions, employee)
        with sessions() as db:
            plan = db.get_one(Plan, plan_id)
            closing = close.Closing(
                outcome=Outcome.SUCCESSFUL,
                summary="The standard was met.",
                effective_date=TODAY,
                marks=[close.FinalMark(plan.goals[0].id, FinalResult.MET)],
            )
            public_id = plan.public_id

        results = _twice_at_once(
            sessions,
            lambda db, p=public_id, c=closing: (
                close.close_plan(
                    db, Actor(MANAGER), p, c, hr_channel_id=HR_CHANNEL, today=TODAY, now=NOW
                ).id
            ),
        )

        assert results == [plan_id, plan_id], results
        with sessions() as db:
            assert _events(db, plan_id, "closed") == 1
            assert _notices(db, plan_id, MANAGER, "outcome") == 1
            assert _notices(db, plan_id, employee, "outcome") == 1
            assert _notices(db, plan_id, HR_CHANNEL, "closed") == 1


def test_two_identical_responses_record_once_and_tell_the_manager_once(
    sessions: sessionmaker[Session],
) -> None:
    for round_ in range(ROUNDS):
        employee = f"UEMP{round_}"
        plan_id = _open(sessions, employee)
        with sessions() as db:
            public_id = db.get_one(Plan, plan_id).public_id

        results = _twice_at_once(
            sessions,
            lambda db, e=employee, p=public_id: (
                plans.respond(db, Actor(e), p, "I see it differently.", NOW).id
            ),
        )

        assert results == [plan_id, plan_id], results
        with sessions() as db:
            assert _events(db, plan_id, "responded") == 1
            assert _notices(db, plan_id, MANAGER, "responded") == 1


def _prompted_checkin(sessions: sessionmaker[Session], employee: str) -> tuple[int, int, str]:
    """A new plan for `employee` and its first scheduled check-in: plan id, check-in id,
    public id."""
    plan_id = _open(sessions, employee)
    with sessions() as db:
        plan = db.get_one(Plan, plan_id)
        checkin_id = checkins.scheduled_checkin(db, plan, date(2027, 1, 6)).id
        db.commit()
        return plan_id, checkin_id, plan.public_id


def _reply(employee: str, checkin_id: int, text: str) -> Work:
    return lambda db: checkins.record_reply(db, Actor(employee), checkin_id, text, NOW).id


def test_two_thread_replies_at_once_keep_both(sessions: sessionmaker[Session]) -> None:
    for round_ in range(ROUNDS):
        employee = f"UEMP{round_}"
        _plan_id, checkin_id, _ = _prompted_checkin(sessions, employee)

        results = _at_once(
            sessions,
            _reply(employee, checkin_id, "First half."),
            _reply(employee, checkin_id, "Second half."),
        )

        assert results == [checkin_id, checkin_id], results
        with sessions() as db:
            stored = db.get_one(Checkin, checkin_id).employee_reply or ""
            assert sorted(stored.split("\n\n")) == ["First half.", "Second half."]


def test_a_reply_racing_the_close_lands_before_it_or_not_at_all(
    sessions: sessionmaker[Session],
) -> None:
    for round_ in range(ROUNDS):
        employee = f"UEMP{round_}"
        plan_id, checkin_id, public_id = _prompted_checkin(sessions, employee)
        with sessions() as db:
            closing = close.Closing(
                outcome=Outcome.SUCCESSFUL,
                summary="The standard was met.",
                effective_date=TODAY,
                marks=[close.FinalMark(db.get_one(Plan, plan_id).goals[0].id, FinalResult.MET)],
            )

        results = _at_once(
            sessions,
            _reply(employee, checkin_id, "Done."),
            lambda db, p=public_id, c=closing: (
                close.close_plan(
                    db, Actor(MANAGER), p, c, hr_channel_id=HR_CHANNEL, today=TODAY, now=NOW
                ).id
            ),
        )

        assert results[1] == plan_id, results
        with sessions() as db:
            kinds = list(
                db.scalars(
                    select(PlanEvent.kind)
                    .where(
                        PlanEvent.plan_id == plan_id,
                        PlanEvent.kind.in_(["checkin_replied", "closed"]),
                    )
                    .order_by(PlanEvent.id)
                )
            )
        if isinstance(results[0], UsageError):  # the close came first
            assert kinds == ["closed"]
        else:
            assert results[0] == checkin_id, results
            assert kinds == ["checkin_replied", "closed"]  # the close saw the reply
