"""Filling a database with many plans fast: bulk Core inserts, no ORM objects per row.

N plans, a tenth of them open, the rest closed over the last five years; about ten
check-ins each with one goal mark, one sent prompt per check-in, pending prompts for the
open plans, and a hash-chained history (created, closed) per plan. A hundred managers'
worth of plans per manager. Nothing here is asserted; it is the shape of a large install.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any

from sqlalchemy import Engine, Table, insert
from sqlalchemy.orm import Session

from db import make_session_factory
from models import (
    Author,
    Cadence,
    Checkin,
    CheckinGoalStatus,
    CheckinKind,
    CheckinStatus,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Goal,
    GoalStatus,
    Outcome,
    Plan,
    PlanEvent,
    PlanStatus,
)
from services import report_facts, tallies
from services.audit import GENESIS, event_hash
from tests.fakeslack import FakeSlack

CHUNK = 20_000
BLOCK = 5_000  # plans whose rows are built and inserted together
PLANS_PER_MANAGER = 100
CHECKIN_EVERY_DAYS = 6
HISTORY_DAYS = 1800
OPEN_STATUSES = (PlanStatus.ACTIVE, PlanStatus.ACKNOWLEDGED, PlanStatus.EXTENDED)


@dataclass(frozen=True)
class Filled:
    """What the fill made, for the bench to pick its samples from."""

    plans: int
    open_from: int  # plan ids from here on are open
    managers: int

    @staticmethod
    def manager(index: int) -> str:
        """The user id of manager number `index`."""
        return f"UM{index:05d}"

    @staticmethod
    def employee(plan_id: int) -> str:
        """The user id of the employee of plan `plan_id`."""
        return f"UE{plan_id:06d}"

    @staticmethod
    def public_id(plan_id: int) -> str:
        """The public id of plan `plan_id`."""
        return f"PIP-{plan_id:06X}"


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, clock_time(hour), UTC)


def fill(engine: Engine, plans: int, today: date) -> Filled:
    """Insert `plans` plans with their check-ins, marks, deliveries and history."""
    managers = max(1, plans // PLANS_PER_MANAGER)
    open_from = plans - max(1, plans // 10) + 1
    checkin_id = 0
    with engine.begin() as conn:
        for first in range(1, plans + 1, BLOCK):
            block = range(first, min(plans, first + BLOCK - 1) + 1)
            rows, checkin_id = _rows(block, plans, managers, open_from, today, checkin_id)
            for table, batch in rows:
                for chunk in _chunks(iter(batch)):
                    conn.execute(insert(table), chunk)
        if conn.dialect.name == "postgresql":
            for name in ("plans", "goals", "checkins", "checkin_goal_statuses", "deliveries"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"(SELECT max(id) FROM {name}))"
                )
    with Session(engine) as db:  # the triggers' rows folded into one, as housekeeping does
        tallies.settle(db)
        db.commit()
    settle_report_lines(engine)
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
        else:
            conn.exec_driver_sql("ANALYZE")
    return Filled(plans, open_from, managers)


def settle_report_lines(engine: Engine) -> None:
    """The closed plans' lines of the report written, as the daily housekeeping does."""
    report_facts.settle(make_session_factory(engine), datetime.now(UTC))


def _rows(
    block: range, plans: int, managers: int, open_from: int, today: date, checkin_id: int
) -> tuple[list[tuple[Table, list[dict[str, Any]]]], int]:
    now = datetime.now(UTC)
    plan_rows: list[dict[str, Any]] = []
    goal_rows: list[dict[str, Any]] = []
    event_rows: list[dict[str, Any]] = []
    checkins: list[dict[str, Any]] = []
    marks: list[dict[str, Any]] = []
    deliveries: list[dict[str, Any]] = []
    for plan_id in block:
        is_open = plan_id >= open_from
        if is_open:
            start = today - timedelta(days=1 + plan_id % 50)
            end = start + timedelta(days=90)
            status = OPEN_STATUSES[plan_id % 3]
        else:
            end = today - timedelta(days=7 + (plans - plan_id) * HISTORY_DAYS // plans)
            start = end - timedelta(days=60)
            status = PlanStatus.CLOSED
        employee, public_id = Filled.employee(plan_id), Filled.public_id(plan_id)
        manager = Filled.manager(plan_id % managers)
        requested = _at(start, 9)
        plan_rows.append(
            {
                "id": plan_id,
                "public_id": public_id,
                "team_id": "T0001",
                "employee_id": employee,
                "manager_id": manager,
                "issues": "Missed two release reviews in October.",
                "expectations": "Reviews on time.",
                "support": "Weekly pairing.",
                "consequences": "Further action.",
                "start_date": start,
                "end_date": end,
                "cadence": Cadence.WEEKLY,
                "checkin_weekday": start.weekday() % 5,
                "status": status,
                "outcome": None
                if is_open
                else [Outcome.SUCCESSFUL, Outcome.UNSUCCESSFUL][plan_id % 2],
                "outcome_summary": None if is_open else "Recorded.",
                "outcome_effective_date": None if is_open else end,
                "ack_requested_at": requested,
                "acknowledged_at": None if plan_id % 7 == 0 else requested + timedelta(hours=5),
                "created_at": requested,
                "updated_at": requested,
                "closed_at": None if is_open else _at(end, 16),
            }
        )
        goal_rows.append(
            {
                "id": plan_id,
                "plan_id": plan_id,
                "position": 0,
                "description": "Ship reviews on time",
                "measure": "Reviews done by the due date",
                "target": "All of them",
                "due_date": end,
            }
        )
        prev = GENESIS
        history = [("created", manager, {"public_id": public_id}, requested)]
        if not is_open:
            history.append(("closed", manager, {"outcome": "successful"}, _at(end, 16)))
        for sequence, (kind, actor, data, at) in enumerate(history, start=1):
            digest = event_hash(prev, public_id, sequence, actor, kind, data, at)
            event_rows.append(
                {
                    "plan_id": plan_id,
                    "sequence": sequence,
                    "actor_id": actor,
                    "kind": kind,
                    "data": data,
                    "created_at": at,
                    "prev_hash": prev,
                    "hash": digest,
                }
            )
            prev = digest
        channel = FakeSlack.dm_channel(employee)
        day = start + timedelta(days=2)
        number = 0
        last = min(end, today)
        while day < last:
            checkin_id += 1
            number += 1
            if is_open and day + timedelta(days=CHECKIN_EVERY_DAYS) >= last:
                state = CheckinStatus.ANSWERED
            elif number % 10 == 3:
                state = CheckinStatus.MISSED
            else:
                state = CheckinStatus.REVIEWED
            sent = _at(day)
            checkins.append(
                {
                    "id": checkin_id,
                    "plan_id": plan_id,
                    "kind": CheckinKind.SCHEDULED,
                    "occurrence_date": day,
                    "sequence": 0,
                    "status": state,
                    "employee_submitted_at": None if state == CheckinStatus.MISSED else sent,
                    "employee_progress": None if state == CheckinStatus.MISSED else "Going ok.",
                    "reviewer_id": manager if state == CheckinStatus.REVIEWED else None,
                    "reviewed_at": sent + timedelta(hours=4)
                    if state == CheckinStatus.REVIEWED
                    else None,
                    "created_at": sent,
                }
            )
            if state != CheckinStatus.MISSED:
                marks.append(
                    {
                        "checkin_id": checkin_id,
                        "goal_id": plan_id,
                        "author": Author.MANAGER
                        if state == CheckinStatus.REVIEWED
                        else Author.EMPLOYEE,
                        "status": [GoalStatus.ON_TRACK, GoalStatus.AT_RISK][number % 2],
                        "note": "",
                    }
                )
            deliveries.append(
                {
                    "occurrence_key": f"bench:{checkin_id}",
                    "plan_id": plan_id,
                    "checkin_id": checkin_id,
                    "kind": DeliveryKind.CHECKIN_PROMPT,
                    "recipient_id": employee,
                    "payload": {"occurrence_date": day.isoformat(), "local_date": day.isoformat()},
                    "due_at": sent,
                    "status": DeliveryStatus.SENT,
                    "next_attempt_at": sent,
                    "attempts": 1,
                    "channel_id": channel,
                    "message_ts": f"{int(sent.timestamp())}.000100",
                    "sent_at": sent,
                    "created_at": sent,
                }
            )
            day += timedelta(days=CHECKIN_EVERY_DAYS)
        if is_open:
            for week in range(4):
                due = _at(day + timedelta(days=7 * week))
                deliveries.append(
                    {
                        "occurrence_key": f"bench:{plan_id}:next:{week}",
                        "plan_id": plan_id,
                        "kind": DeliveryKind.CHECKIN_PROMPT,
                        "recipient_id": employee,
                        "payload": {
                            "occurrence_date": due.date().isoformat(),
                            "local_date": due.date().isoformat(),
                        },
                        "due_at": due,
                        "status": DeliveryStatus.PENDING,
                        "next_attempt_at": due,
                        "attempts": 0,
                        "checkin_id": None,
                        "channel_id": None,
                        "message_ts": None,
                        "sent_at": None,
                        "created_at": now,
                    }
                )
    tables = [Plan, Goal, PlanEvent, Checkin, CheckinGoalStatus, Delivery]
    batches = [plan_rows, goal_rows, event_rows, checkins, marks, deliveries]
    return [(t.__table__, b) for t, b in zip(tables, batches, strict=True)], checkin_id  # type: ignore[misc]
