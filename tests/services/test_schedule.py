"""The outbox rows of a plan's check-ins, and moving a person's prompts when their zone changes.

The plan below runs Mon 1 Mar to Fri 26 Mar 2027 with weekly check-ins on Fridays: 5, 12, 19 and
26 Mar. The employee is in New York (EST -05:00, EDT -04:00 from Sun 14 Mar), the manager in
Berlin (CET +01:00, CEST +02:00 from Sun 28 Mar). Every expected UTC instant is worked out by
hand from those offsets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Cadence, Delivery, DeliveryKind, DeliveryStatus, Plan
from services.schedule import Recipients, retime_for_zone, schedule_checkins, schedule_new_plan

PUBLIC_ID = "PIP-SCHED01"
EMPLOYEE = "UEMP"
MANAGER = "UMGR"
HR_CHANNEL = "CHR"
NEW_YORK = "America/New_York"
BERLIN = "Europe/Berlin"
FRIDAY = 4

PROMPT = DeliveryKind.CHECKIN_PROMPT
REMINDER = DeliveryKind.CHECKIN_REMINDER
REVIEW = DeliveryKind.REVIEW_PROMPT
REVIEW_REMINDER = DeliveryKind.REVIEW_REMINDER
MISSED = DeliveryKind.CHECKIN_MISSED


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@dataclass(frozen=True)
class Row:
    """What one outbox row owes: kind, to whom, when, for which occurrence, on which local day."""

    kind: DeliveryKind
    recipient: str
    due_at: datetime
    occurrence: date
    local_date: date


def r(kind: DeliveryKind, recipient: str, due_at: datetime, occurrence: date, local: date) -> Row:
    return Row(kind, recipient, due_at, occurrence, local)


D1, D2, D3, D4 = date(2027, 3, 5), date(2027, 3, 12), date(2027, 3, 19), date(2027, 3, 26)

# Per occurrence D (a Friday): prompt D 10:00 New York; reminder Mon D+3 10:00 New York;
# review Mon D+3 10:00 Berlin; review reminder Wed D+5 10:00 Berlin; missed check on the next
# occurrence's date (D+7) at 10:00 New York.
EXPECTED = [
    # Fri 5 Mar
    r(PROMPT, EMPLOYEE, utc(2027, 3, 5, 15), D1, D1),  # 10:00 EST
    r(REMINDER, EMPLOYEE, utc(2027, 3, 8, 15), D1, date(2027, 3, 8)),  # Mon 10:00 EST
    r(REVIEW, MANAGER, utc(2027, 3, 8, 9), D1, date(2027, 3, 8)),  # Mon 10:00 CET
    r(REVIEW_REMINDER, MANAGER, utc(2027, 3, 10, 9), D1, date(2027, 3, 10)),  # Wed 10:00 CET
    r(MISSED, HR_CHANNEL, utc(2027, 3, 12, 15), D1, D2),  # Fri 12 Mar 10:00 EST
    # Fri 12 Mar
    r(PROMPT, EMPLOYEE, utc(2027, 3, 12, 15), D2, D2),  # 10:00 EST
    r(REMINDER, EMPLOYEE, utc(2027, 3, 15, 14), D2, date(2027, 3, 15)),  # Mon 10:00 EDT
    r(REVIEW, MANAGER, utc(2027, 3, 15, 9), D2, date(2027, 3, 15)),  # Mon 10:00 CET
    r(REVIEW_REMINDER, MANAGER, utc(2027, 3, 17, 9), D2, date(2027, 3, 17)),  # Wed 10:00 CET
    r(MISSED, HR_CHANNEL, utc(2027, 3, 19, 14), D2, D3),  # Fri 19 Mar 10:00 EDT
    # Fri 19 Mar
    r(PROMPT, EMPLOYEE, utc(2027, 3, 19, 14), D3, D3),  # 10:00 EDT
    r(REMINDER, EMPLOYEE, utc(2027, 3, 22, 14), D3, date(2027, 3, 22)),  # Mon 10:00 EDT
    r(REVIEW, MANAGER, utc(2027, 3, 22, 9), D3, date(2027, 3, 22)),  # Mon 10:00 CET
    r(REVIEW_REMINDER, MANAGER, utc(2027, 3, 24, 9), D3, date(2027, 3, 24)),  # Wed 10:00 CET
    r(MISSED, HR_CHANNEL, utc(2027, 3, 26, 14), D3, D4),  # Fri 26 Mar 10:00 EDT
    # Fri 26 Mar, the end date (inclusive)
    r(PROMPT, EMPLOYEE, utc(2027, 3, 26, 14), D4, D4),  # 10:00 EDT
    r(REMINDER, EMPLOYEE, utc(2027, 3, 29, 14), D4, date(2027, 3, 29)),  # Mon 10:00 EDT
    r(REVIEW, MANAGER, utc(2027, 3, 29, 8), D4, date(2027, 3, 29)),  # Mon 10:00 CEST
    r(REVIEW_REMINDER, MANAGER, utc(2027, 3, 31, 8), D4, date(2027, 3, 31)),  # Wed 10:00 CEST
    # After the last one, the missed check is a cadence later: Fri 2 Apr 10:00 EDT.
    r(MISSED, HR_CHANNEL, utc(2027, 4, 2, 14), D4, date(2027, 4, 2)),
]

BEFORE_THE_PLAN = utc(2027, 2, 26, 12)


def recipients(hr_channel_id: str | None = HR_CHANNEL) -> Recipients:
    return Recipients(
        employee_tz=NEW_YORK,
        manager_tz=BERLIN,
        hr_channel_id=hr_channel_id,
        checkin_time=time(10, 0),
    )


@pytest.fixture
def plan(db: Session) -> Plan:
    """A stored weekly plan, Mon 1 Mar to Fri 26 Mar 2027, checking in on Fridays.

    Not the shared `plan`: these service tests store the plan directly, with no app or Slack.
    """
    stored = Plan(
        public_id=PUBLIC_ID,
        team_id="T1",
        employee_id=EMPLOYEE,
        manager_id=MANAGER,
        issues="Missed two release reviews.",
        expectations="Reviews on time.",
        consequences="Further action.",
        start_date=date(2027, 3, 1),
        end_date=date(2027, 3, 26),
        cadence=Cadence.WEEKLY,
        checkin_weekday=FRIDAY,
    )
    db.add(stored)
    db.flush()
    return stored


def deliveries(db: Session) -> list[Delivery]:
    """Every outbox row as stored (flushed, then read back from the database)."""
    db.flush()
    db.expire_all()
    return list(db.scalars(select(Delivery).order_by(Delivery.id)))


def rows(db: Session) -> set[Row]:
    return {
        Row(
            d.kind,
            d.recipient_id,
            d.due_at,
            date.fromisoformat(d.payload["occurrence_date"]),
            date.fromisoformat(d.payload["local_date"]),
        )
        for d in deliveries(db)
        if d.kind in {PROMPT, REMINDER, REVIEW, REVIEW_REMINDER, MISSED}
    }


def snapshot(db: Session) -> dict[str, tuple[Any, ...]]:
    """Each row's timing and status by occurrence key."""
    return {
        d.occurrence_key: (d.kind, d.recipient_id, d.due_at, d.next_attempt_at, d.status)
        for d in deliveries(db)
    }


# --- schedule_checkins ------------------------------------------------------------------------


def test_each_occurrence_gets_exactly_its_five_rows(db: Session, plan: Plan) -> None:
    added = schedule_checkins(db, plan, recipients(), after=BEFORE_THE_PLAN)
    assert added == len(EXPECTED) == 20
    stored = deliveries(db)
    assert len(stored) == 20
    assert rows(db) == set(EXPECTED)


def test_rows_are_pending_due_at_their_instant_and_keyed_by_occurrence(
    db: Session, plan: Plan
) -> None:
    schedule_checkins(db, plan, recipients(), after=BEFORE_THE_PLAN)
    stored = deliveries(db)
    assert {d.status for d in stored} == {DeliveryStatus.PENDING}
    assert {d.plan_id for d in stored} == {plan.id}
    assert all(d.next_attempt_at == d.due_at for d in stored)
    assert all(d.attempts == 0 for d in stored)
    keys = {d.occurrence_key for d in stored}
    assert "PIP-SCHED01:checkin_prompt:UEMP:2027-03-05" in keys
    assert "PIP-SCHED01:review_prompt:UMGR:2027-03-26" in keys
    assert "PIP-SCHED01:checkin_missed:CHR:2027-03-26" in keys


def test_without_an_hr_channel_the_missed_check_goes_to_the_manager(
    db: Session, plan: Plan
) -> None:
    schedule_checkins(db, plan, recipients(hr_channel_id=None), after=BEFORE_THE_PLAN)
    missed = sorted((d.due_at, d.recipient_id) for d in deliveries(db) if d.kind == MISSED)
    # Still on the next occurrence's date, at 10:00 in the employee's zone (New York).
    assert missed == [
        (utc(2027, 3, 12, 15), MANAGER),
        (utc(2027, 3, 19, 14), MANAGER),
        (utc(2027, 3, 26, 14), MANAGER),
        (utc(2027, 4, 2, 14), MANAGER),
    ]
    assert all(d.recipient_id != HR_CHANNEL for d in deliveries(db))
    assert len(deliveries(db)) == 20


def test_scheduling_twice_adds_nothing_the_second_time(db: Session, plan: Plan) -> None:
    schedule_checkins(db, plan, recipients(), after=BEFORE_THE_PLAN)
    first = snapshot(db)
    schedule_checkins(db, plan, recipients(), after=BEFORE_THE_PLAN)
    assert snapshot(db) == first
    assert len(first) == 20


def test_scheduling_twice_counts_nothing_added_the_second_time(db: Session, plan: Plan) -> None:
    assert schedule_checkins(db, plan, recipients(), after=BEFORE_THE_PLAN) == 20
    assert schedule_checkins(db, plan, recipients(), after=BEFORE_THE_PLAN) == 0


def test_rows_due_at_or_before_after_are_not_added(db: Session, plan: Plan) -> None:
    # Exactly the instant of Fri 12 Mar 10:00 EST: the prompt of 12 Mar and the missed check of
    # 5 Mar are due at it, and everything of 5 Mar before it; none of those is added.
    after = utc(2027, 3, 12, 15)
    assert schedule_checkins(db, plan, recipients(), after=after) == 14
    assert rows(db) == set(EXPECTED[6:])
    assert min(d.due_at for d in deliveries(db)) == utc(2027, 3, 15, 9)  # 12 Mar's review


def test_one_second_before_a_row_is_due_it_is_added(db: Session, plan: Plan) -> None:
    after = utc(2027, 3, 12, 15) - timedelta(seconds=1)
    assert schedule_checkins(db, plan, recipients(), after=after) == 16
    assert rows(db) == set(EXPECTED[4:])


def test_a_later_run_adds_only_what_an_earlier_one_skipped(db: Session, plan: Plan) -> None:
    schedule_checkins(db, plan, recipients(), after=utc(2027, 3, 12, 15))
    schedule_checkins(db, plan, recipients(), after=BEFORE_THE_PLAN)
    assert rows(db) == set(EXPECTED)
    assert len(deliveries(db)) == 20


def test_a_later_run_counts_only_what_it_added(db: Session, plan: Plan) -> None:
    assert schedule_checkins(db, plan, recipients(), after=utc(2027, 3, 12, 15)) == 14
    assert schedule_checkins(db, plan, recipients(), after=BEFORE_THE_PLAN) == 6


# --- schedule_new_plan ------------------------------------------------------------------------


def test_a_new_plan_owes_its_requests_notices_checkins_and_end(db: Session, plan: Plan) -> None:
    # Opened on Fri 12 Mar 2027 at 11:00 EST (16:00 UTC).
    now = utc(2027, 3, 12, 16)
    schedule_new_plan(db, plan, recipients(), now=now)
    stored = deliveries(db)
    others = {
        (d.kind, d.recipient_id, d.due_at, d.occurrence_key)
        for d in stored
        if d.kind not in {PROMPT, REMINDER, REVIEW, REVIEW_REMINDER, MISSED}
    }
    assert others == {
        (DeliveryKind.ACK_REQUEST, EMPLOYEE, now, "PIP-SCHED01:ack_request:UEMP:round1"),
        # + 2 business days: Tue 16 Mar 11:00 EDT.
        (
            DeliveryKind.ACK_REMINDER,
            EMPLOYEE,
            utc(2027, 3, 16, 15),
            "PIP-SCHED01:ack_reminder:UEMP:round1",
        ),
        # + 5 business days: Fri 19 Mar 11:00 EDT, to the manager and to HR.
        (
            DeliveryKind.NOT_ACKNOWLEDGED,
            MANAGER,
            utc(2027, 3, 19, 15),
            "PIP-SCHED01:not_acknowledged:UMGR:round1",
        ),
        (
            DeliveryKind.NOT_ACKNOWLEDGED,
            HR_CHANNEL,
            utc(2027, 3, 19, 15),
            "PIP-SCHED01:not_acknowledged:CHR:round1",
        ),
        (
            DeliveryKind.PLAN_CONFIRMATION,
            MANAGER,
            now,
            "PIP-SCHED01:plan_confirmation:UMGR",
        ),
        (DeliveryKind.HR_NOTICE, HR_CHANNEL, now, "PIP-SCHED01:hr_notice:CHR:opened"),
        # The end date, Fri 26 Mar, 10:00 CET in the manager's zone.
        (
            DeliveryKind.END_OF_PLAN,
            MANAGER,
            utc(2027, 3, 26, 9),
            "PIP-SCHED01:end_of_plan:UMGR:2027-03-26",
        ),
        # No outcome 2 business days later: Tue 30 Mar, 10:00 CEST (Berlin moved on 28 Mar).
        (
            DeliveryKind.OUTCOME_REMINDER,
            MANAGER,
            utc(2027, 3, 30, 8),
            "PIP-SCHED01:outcome_reminder:UMGR:2027-03-26",
        ),
        # 5 business days later HR is told: Fri 2 Apr, 10:00 CEST.
        (
            DeliveryKind.OUTCOME_OVERDUE,
            HR_CHANNEL,
            utc(2027, 4, 2, 8),
            "PIP-SCHED01:outcome_overdue:CHR:2027-03-26",
        ),
    }
    # Check-in rows only after `now`: the same 14 as when scheduling after 12 Mar 15:00 UTC.
    assert rows(db) == set(EXPECTED[6:])
    assert len(stored) == 9 + 14


# --- retime_for_zone --------------------------------------------------------------------------


def test_moving_zone_retimes_pending_prompts_to_the_same_local_dates(
    db: Session, plan: Plan
) -> None:
    schedule_checkins(db, plan, recipients(), after=BEFORE_THE_PLAN)
    first_prompt = db.scalars(
        select(Delivery).where(
            Delivery.occurrence_key == "PIP-SCHED01:checkin_prompt:UEMP:2027-03-05"
        )
    ).one()
    first_prompt.status = DeliveryStatus.SENT
    before = snapshot(db)

    moved = retime_for_zone(db, EMPLOYEE, BERLIN, time(10, 0))

    after = snapshot(db)
    employee_pending = {
        key: (due_at, next_attempt_at)
        for key, (kind, recipient, due_at, next_attempt_at, status) in after.items()
        if recipient == EMPLOYEE and status == DeliveryStatus.PENDING
    }
    # The same local dates at 10:00 Berlin: CET (09:00 UTC) until Sun 28 Mar, CEST after.
    assert employee_pending == {
        "PIP-SCHED01:checkin_reminder:UEMP:2027-03-05": (utc(2027, 3, 8, 9),) * 2,
        "PIP-SCHED01:checkin_prompt:UEMP:2027-03-12": (utc(2027, 3, 12, 9),) * 2,
        "PIP-SCHED01:checkin_reminder:UEMP:2027-03-12": (utc(2027, 3, 15, 9),) * 2,
        "PIP-SCHED01:checkin_prompt:UEMP:2027-03-19": (utc(2027, 3, 19, 9),) * 2,
        "PIP-SCHED01:checkin_reminder:UEMP:2027-03-19": (utc(2027, 3, 22, 9),) * 2,
        "PIP-SCHED01:checkin_prompt:UEMP:2027-03-26": (utc(2027, 3, 26, 9),) * 2,
        "PIP-SCHED01:checkin_reminder:UEMP:2027-03-26": (utc(2027, 3, 29, 8),) * 2,
    }
    assert moved == 7
    # The one already sent keeps its New York time.
    assert after["PIP-SCHED01:checkin_prompt:UEMP:2027-03-05"] == (
        PROMPT,
        EMPLOYEE,
        utc(2027, 3, 5, 15),
        utc(2027, 3, 5, 15),
        DeliveryStatus.SENT,
    )
    # Everyone else's rows (the manager's reviews, HR's missed checks) are untouched.
    unchanged = {key: value for key, value in before.items() if value[1] != EMPLOYEE}
    assert {key: after[key] for key in unchanged} == unchanged
    assert len(unchanged) == 12
    # The payloads still name the same occurrences and local dates.
    retimed = {d.occurrence_key: d.payload for d in deliveries(db) if d.recipient_id == EMPLOYEE}
    assert retimed["PIP-SCHED01:checkin_reminder:UEMP:2027-03-26"] == {
        "occurrence_date": "2027-03-26",
        "local_date": "2027-03-29",
    }


def test_retiming_to_the_same_zone_moves_nothing(db: Session, plan: Plan) -> None:
    schedule_checkins(db, plan, recipients(), after=BEFORE_THE_PLAN)
    before = snapshot(db)
    assert retime_for_zone(db, EMPLOYEE, NEW_YORK, time(10, 0)) == 0
    assert snapshot(db) == before


def test_retiming_the_manager_moves_only_the_managers_prompts(db: Session, plan: Plan) -> None:
    schedule_checkins(db, plan, recipients(hr_channel_id=None), after=BEFORE_THE_PLAN)
    before = snapshot(db)
    # The manager moves to New York: reviews on the same Mondays and Wednesdays at 10:00 EST/EDT.
    assert retime_for_zone(db, MANAGER, NEW_YORK, time(10, 0)) == 8
    after = snapshot(db)
    manager_reviews = {
        key: due_at
        for key, (kind, _, due_at, _, _) in after.items()
        if kind in {REVIEW, REVIEW_REMINDER}
    }
    assert manager_reviews == {
        "PIP-SCHED01:review_prompt:UMGR:2027-03-05": utc(2027, 3, 8, 15),
        "PIP-SCHED01:review_reminder:UMGR:2027-03-05": utc(2027, 3, 10, 15),
        "PIP-SCHED01:review_prompt:UMGR:2027-03-12": utc(2027, 3, 15, 14),
        "PIP-SCHED01:review_reminder:UMGR:2027-03-12": utc(2027, 3, 17, 14),
        "PIP-SCHED01:review_prompt:UMGR:2027-03-19": utc(2027, 3, 22, 14),
        "PIP-SCHED01:review_reminder:UMGR:2027-03-19": utc(2027, 3, 24, 14),
        "PIP-SCHED01:review_prompt:UMGR:2027-03-26": utc(2027, 3, 29, 14),
        "PIP-SCHED01:review_reminder:UMGR:2027-03-26": utc(2027, 3, 31, 14),
    }
    # The missed checks addressed to the manager are not prompts and keep their times; the
    # employee's rows are untouched.
    kept = {
        key: value for key, value in before.items() if value[0] not in {REVIEW, REVIEW_REMINDER}
    }
    assert {key: after[key] for key in kept} == kept
    assert len(kept) == 12
