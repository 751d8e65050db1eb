"""The pure parts of pausing and waiting: check-in runs between pauses, the 10-day cap."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Cadence, Delivery, DeliveryKind, Plan
from services import away
from services.calendar import HolidayRules
from services.outbox import enqueue
from services.schedule import Recipients, checkin_runs, key

WEDNESDAY = 2
NEW_YORK = "America/New_York"
TO = Recipients.of(NEW_YORK, NEW_YORK, None, time(10), HolidayRules())
AWAY = ("vacation",)


def _plan(cadence: Cadence = Cadence.WEEKLY) -> Plan:
    return Plan(
        public_id="PIP-PAUSE1",
        team_id="T",
        employee_id="UEMP",
        manager_id="UMGR",
        issues="i",
        expectations="e",
        consequences="c",
        start_date=date(2027, 1, 4),
        end_date=date(2027, 3, 5),
        cadence=cadence,
        checkin_weekday=WEDNESDAY,
    )


def test_check_ins_stop_at_a_pause_and_restart_on_the_weekday_after_it() -> None:
    plan = _plan()
    early = [date(2027, 1, 6), date(2027, 1, 13), date(2027, 1, 20)]
    assert checkin_runs(plan, TO.employee_days, [(date(2027, 1, 25), None)]) == [early]
    assert checkin_runs(plan, TO.employee_days, [(date(2027, 1, 25), date(2027, 2, 8))]) == [
        early,
        [date(2027, 2, 10), date(2027, 2, 17), date(2027, 2, 24), date(2027, 3, 3)],
    ]
    # Restarting on the weekday itself counts that day; every two weeks counts from there.
    biweekly = _plan(Cadence.BIWEEKLY)
    runs = checkin_runs(biweekly, TO.employee_days, [(date(2027, 1, 14), date(2027, 2, 3))])
    assert runs == [[date(2027, 1, 6)], [date(2027, 2, 3), date(2027, 2, 17), date(2027, 3, 3)]]


def test_a_prompt_waits_at_most_ten_business_days_and_its_check_in_moves_along(
    db: Session,
) -> None:
    plan = _plan()
    db.add(plan)
    db.flush()
    occurrence = date(2027, 1, 6)
    for kind, local_day in (
        (DeliveryKind.CHECKIN_PROMPT, occurrence),
        (DeliveryKind.CHECKIN_MISSED, date(2027, 1, 13)),
    ):
        enqueue(
            db,
            key=key(plan, kind, "UEMP", occurrence.isoformat()),
            kind=kind,
            recipient_id="UEMP",
            due_at=datetime(2027, 1, 6, 15, tzinfo=UTC),
            plan_id=plan.id,
            payload={"occurrence_date": "2027-01-06", "local_date": local_day.isoformat()},
        )
    prompt = db.scalars(select(Delivery).where(Delivery.kind == DeliveryKind.CHECKIN_PROMPT)).one()
    now = datetime(2027, 1, 6, 15, tzinfo=UTC)
    waits: list[datetime] = []
    for _ in range(12):
        away.remember(db, "UEMP", away.Status(":palm_tree:", "On vacation"), now)
        until = away.wait_if_away(db, plan, prompt, TO, AWAY, now)
        if until is None:
            break
        waits.append(until)
        now = until
    assert len(waits) == away.MAX_WAIT_BUSINESS_DAYS
    # Each wait is the next business day at 10:00 New York; MLK day (18 Jan) is skipped.
    assert [w.date() for w in waits][:4] == [
        date(2027, 1, 7),
        date(2027, 1, 8),
        date(2027, 1, 11),
        date(2027, 1, 12),
    ]
    assert waits[-1] == datetime(2027, 1, 21, 15, tzinfo=UTC)
    missed = db.scalars(select(Delivery).where(Delivery.kind == DeliveryKind.CHECKIN_MISSED)).one()
    assert missed.payload["local_date"] == "2027-01-28"  # 10 business days later too
    notes = db.scalars(select(Delivery).where(Delivery.kind == DeliveryKind.NOTICE)).all()
    assert len(notes) == 1 and notes[0].recipient_id == "UMGR"
    # A status read over an hour ago is not trusted: the message goes.
    prompt.payload = {**prompt.payload, "away_waits": 0}
    stale = now + timedelta(hours=2)
    assert away.wait_if_away(db, plan, prompt, TO, AWAY, stale) is None
