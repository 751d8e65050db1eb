"""The running totals (plan_tallies, kept by triggers) equal a direct count after every change."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from models import (
    Cadence,
    Checkin,
    CheckinKind,
    CheckinStatus,
    GoalStatus,
    Outcome,
    Plan,
    PlanStatus,
    PlanTally,
)
from services import plans, retention, tallies
from services.access import Actor
from services.checkins import GoalMark, mark_missed, record_answer, scheduled_checkin
from services.close import Closing, close_plan
from services.drafts import GoalDraft, PlanDraft
from services.pauses import PauseRequest, pause_plan, resume_plan
from services.schedule import Recipients
from services.users import Profile

MANAGER = "UMGRTALLY"
EMPLOYEE = "UEMPTALLY"
HR = Actor("UHRTALLY", is_hr=True)
OPENED = date(2027, 5, 3)  # a Monday
AT = datetime.combine(OPENED, time(9), UTC)
TO = Recipients("UTC", "UTC", "CHR", time(10))


def _assert_exact(db: Session) -> tallies.Tallies:
    db.flush()
    counted = tallies.recount(db)
    assert tallies.read(db) == counted
    return counted


def _open(db: Session, employee: str = EMPLOYEE) -> Plan:
    draft = PlanDraft(
        employee_id=employee,
        issues="issues",
        expectations="expectations",
        goals=[GoalDraft("goal", "measure", "target", OPENED + timedelta(days=20))],
        steps_text="Read the handbook",
        weekday=2,
        start_date=OPENED,
        length_days=60,
        consequences="consequences",
    )
    plan = plans.open_plan(
        db,
        Actor(MANAGER),
        team_id="T1",
        draft=draft,
        employee=Profile(employee, name="e"),
        recipients=TO,
        today=OPENED,
        now=AT,
    )
    assert plan is not None
    return plan


def test_the_totals_follow_a_plan_through_its_life(db: Session) -> None:
    """Open, acknowledge, answer, miss, pause, resume, hold, close, release, purge."""
    with time_machine.travel(AT, tick=False):
        plan = _open(db)
        assert _assert_exact(db).active == 1
        assert _assert_exact(db).not_acknowledged == 1
        plans.acknowledge(db, Actor(EMPLOYEE), plan.public_id, None, AT)
        after_ack = _assert_exact(db)
        assert (after_ack.acknowledged, after_ack.not_acknowledged) == (1, 0)
        answered = scheduled_checkin(db, plan, OPENED + timedelta(days=2))
        record_answer(
            db,
            Actor(EMPLOYEE),
            answered.id,
            marks=[GoalMark(g.id, GoalStatus.ON_TRACK, "fine") for g in plan.goals],
            progress="progress",
            blockers="",
            support_needed="",
            now=AT,
        )
        assert _assert_exact(db).awaiting_review == 1
        missed = scheduled_checkin(db, plan, OPENED + timedelta(days=9))
        assert mark_missed(db, missed)
        assert _assert_exact(db).missed_checkins == 1
        db.commit()
        pause_plan(
            db,
            Actor(MANAGER),
            plan.public_id,
            PauseRequest("Leave", None, tell_employee=False),
            recipients=TO,
            now=AT,
        )
        paused = _assert_exact(db)
        assert (paused.paused, paused.missed_checkins, paused.awaiting_review) == (1, 1, 1)
        resume_plan(db, Actor(MANAGER), plan.public_id, recipients=TO, now=AT)
        assert _assert_exact(db).paused == 0
        retention.hold(db, HR, plan.public_id, "Tribunal", AT)
        assert _assert_exact(db).legal_hold == 1
        close_plan(
            db,
            Actor(MANAGER),
            plan.public_id,
            Closing(Outcome.SUCCESSFUL, "Met the standard.", OPENED + timedelta(days=10), []),
            hr_channel_id="CHR",
            today=OPENED + timedelta(days=10),
            now=AT,
        )
        closed = _assert_exact(db)
        assert (closed.closed, closed.open_plans) == (1, 0)
        assert (closed.missed_checkins, closed.awaiting_review) == (0, 0)
        retention.release(db, HR, plan.public_id, AT)
        assert _assert_exact(db).legal_hold == 0
        db.commit()
    later = AT + timedelta(days=400)
    run = retention.purge(db, later, 30, hr_channel_id=None)
    assert run.deleted == [plan.public_id]
    assert _assert_exact(db) == tallies.Tallies()
    db.commit()


def test_settle_leaves_one_row_with_the_same_totals(db: Session) -> None:
    with time_machine.travel(AT, tick=False):
        for n in range(3):
            _open(db, employee=f"UEMP{n}")
    before = _assert_exact(db)
    assert len(db.scalars(select(PlanTally)).all()) >= 3  # a row per plan opened
    assert tallies.settle(db) == before
    db.commit()
    assert len(db.scalars(select(PlanTally)).all()) == 1
    assert tallies.read(db) == before


STATUSES = list(PlanStatus)
CHECKIN_STATUSES = list(CheckinStatus)
# Every way a row can change what is counted: (operation, index, value).
operations = st.lists(
    st.one_of(
        st.tuples(st.just("plan"), st.sampled_from(STATUSES), st.integers(0, 2), st.booleans()),
        st.tuples(st.just("status"), st.integers(0, 9), st.sampled_from(STATUSES)),
        st.tuples(st.just("ack"), st.integers(0, 9), st.integers(0, 2)),
        st.tuples(st.just("hold"), st.integers(0, 9), st.booleans()),
        st.tuples(st.just("checkin"), st.integers(0, 9), st.sampled_from(CHECKIN_STATUSES)),
        st.tuples(st.just("checkin_status"), st.integers(0, 29), st.sampled_from(CHECKIN_STATUSES)),
        st.tuples(st.just("drop_checkin"), st.integers(0, 29), st.none()),
        st.tuples(st.just("drop_plan"), st.integers(0, 9), st.none()),
    ),
    max_size=25,
)


def _acknowledged_at(variant: int) -> datetime | None:
    """Never, before the current version was sent, or after it."""
    return (None, AT - timedelta(days=1), AT + timedelta(days=1))[variant]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=operations)
def test_the_totals_equal_a_direct_count_after_any_change(db: Session, steps: list) -> None:  # type: ignore[type-arg]
    """Inserts, updates of every counted column (ORM and Core) and deletes, in any order."""
    plan_ids: list[int] = []
    checkin_ids: list[int] = []
    try:
        for step, (operation, index, value, *more) in enumerate(steps):
            if operation == "plan":
                plan = Plan(
                    public_id=f"PIP-T{step:04d}",
                    team_id="T1",
                    employee_id=f"UE{step}",
                    manager_id=MANAGER,
                    issues="i",
                    expectations="e",
                    consequences="c",
                    start_date=OPENED,
                    end_date=OPENED + timedelta(days=60),
                    cadence=Cadence.WEEKLY,
                    checkin_weekday=2,
                    status=index,  # ("plan", status, acknowledged variant, held)
                    ack_requested_at=AT,
                    acknowledged_at=_acknowledged_at(value),
                    legal_hold_at=AT if more[0] else None,
                )
                db.add(plan)
                db.flush()
                plan_ids.append(plan.id)
            elif operation == "checkin" and plan_ids:
                checkin = Checkin(
                    plan_id=plan_ids[index % len(plan_ids)],
                    kind=CheckinKind.SCHEDULED,
                    occurrence_date=OPENED + timedelta(days=step),
                    status=value,
                )
                db.add(checkin)
                db.flush()
                checkin_ids.append(checkin.id)
            elif operation in ("status", "ack", "hold") and plan_ids:
                column = {"status": "status", "ack": "acknowledged_at", "hold": "legal_hold_at"}
                new = {
                    "status": value,
                    "ack": _acknowledged_at(value) if operation == "ack" else None,
                    "hold": AT if value else None,
                }[operation]
                db.execute(
                    update(Plan)
                    .where(Plan.id == plan_ids[index % len(plan_ids)])
                    .values({column[operation]: new})
                )
            elif operation == "checkin_status" and checkin_ids:
                found = db.get(Checkin, checkin_ids[index % len(checkin_ids)])
                assert found is not None
                found.status = value  # through the ORM, as the services do
            elif operation == "drop_checkin" and checkin_ids:
                gone = checkin_ids.pop(index % len(checkin_ids))
                db.execute(delete(Checkin).where(Checkin.id == gone))
            elif operation == "drop_plan" and plan_ids:
                gone = plan_ids.pop(index % len(plan_ids))
                # As retention deletes: the plan's check-ins first, then the plan.
                owned = db.scalars(select(Checkin.id).where(Checkin.plan_id == gone)).all()
                checkin_ids[:] = [c for c in checkin_ids if c not in owned]
                db.execute(delete(Checkin).where(Checkin.plan_id == gone))
                db.execute(delete(Plan).where(Plan.id == gone))
            db.expire_all()
            _assert_exact(db)
    finally:
        db.rollback()  # the deltas go with the rows: the next example starts from nothing


def test_nothing_is_counted_in_an_empty_store(db: Session) -> None:
    assert tallies.read(db) == tallies.Tallies() == tallies.recount(db)
