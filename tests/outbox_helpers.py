"""Filling the outbox with many due deliveries, and checking what Slack got (tests, bench)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models import Cadence, Delivery, DeliveryKind, DeliveryStatus, Plan, PlanStatus
from services import users
from services.outbox import enqueue
from tests.fakeslack import FakeSlack
from views.ids import EventType

MANAGER = "UMGRBULK"


def person(index: int) -> str:
    """The user id of the `index`th employee of a bulk test."""
    return f"UBULK{index:05d}"


def seed(
    sessions: sessionmaker[Session],
    slack: FakeSlack,
    count: int,
    due: datetime,
    *,
    known: bool = False,
    dm_known: bool = False,
    per_person: int = 1,
) -> list[int]:
    """`count` "acknowledged" notices due at `due`, for count/per_person employees, each on
    a plan of their own; `known`: their profiles are cached; `dm_known`: their DMs too."""
    with sessions() as db:
        if known or dm_known:
            users.remember(db, users.Profile(user_id=MANAGER, tz="UTC"), due)
        for i in range(count):
            employee = person(i // per_person)
            if i % per_person == 0:
                slack.add_user(employee, name=employee.lower(), tz="UTC")
                if known or dm_known:
                    users.remember(db, users.Profile(user_id=employee, tz="UTC"), due)
                    db.flush()
                if dm_known:
                    users.remember_dm_channel(db, employee, slack.dm_channel(employee))
            plan = Plan(
                public_id=f"PIP-K{i:05d}",
                team_id="T0001",
                employee_id=employee,
                manager_id=MANAGER,
                issues="i",
                expectations="e",
                consequences="c",
                start_date=date(2027, 1, 4),
                end_date=date(2027, 3, 5),
                cadence=Cadence.WEEKLY,
                checkin_weekday=2,
                status=PlanStatus.ACTIVE,
                ack_requested_at=due,
            )
            db.add(plan)
            db.flush()
            enqueue(
                db,
                key=f"bulk:{i}",
                kind=DeliveryKind.NOTICE,
                recipient_id=employee,
                due_at=due,
                plan_id=plan.id,
                payload={"notice": "acknowledged"},
            )
        db.commit()
        ids = list(db.scalars(select(Delivery.id).where(Delivery.occurrence_key.like("bulk:%"))))
    return ids


def statuses(sessions: sessionmaker[Session], ids: list[int]) -> Counter[DeliveryStatus]:
    """How many of `ids` are in each status."""
    with sessions() as db:
        rows = db.scalars(select(Delivery.status).where(Delivery.id.in_(ids))).all()
    return Counter(rows)


def delivery_id_of(message: dict[str, Any]) -> int | None:
    """The delivery id a posted message carries in its metadata."""
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") != EventType.DELIVERY:
        return None
    return int(metadata["event_payload"]["delivery_id"])


def posted_counts(slack: FakeSlack, people: list[str]) -> Counter[int]:
    """How many messages in these people's DMs carry each delivery id."""
    return Counter(
        delivery_id
        for someone in people
        for message in slack.messages(slack.dm_channel(someone))
        if (delivery_id := delivery_id_of(message)) is not None
    )
