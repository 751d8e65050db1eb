"""The plan history: append-only events chained by SHA-256, so tampering shows."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import EventKind, Plan, PlanEvent, utcnow
from services import locks

GENESIS = "0" * 64
SYSTEM = "system"


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def event_hash(
    prev_hash: str,
    plan_public_id: str,
    sequence: int,
    actor_id: str,
    kind: str,
    data: dict[str, Any],
    created_at: datetime,
) -> str:
    """The SHA-256 of one event's content chained to the previous event's hash."""
    content = json.dumps(
        [prev_hash, plan_public_id, sequence, actor_id, kind, data, created_at.isoformat()],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(content.encode()).hexdigest()


def append_event(
    db: Session, plan: Plan, actor_id: str, kind: EventKind, data: dict[str, Any] | None = None
) -> PlanEvent:
    """Append one event to `plan`'s history (the caller commits)."""
    db.flush()
    locks.hold(db, f"pip:plan-events:{plan.id}")  # the next sequence number is ours alone
    last = db.execute(
        select(PlanEvent.sequence, PlanEvent.hash)
        .where(PlanEvent.plan_id == plan.id)
        .order_by(PlanEvent.sequence.desc())
        .limit(1)
    ).first()
    sequence, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    payload = _canonical(data or {})
    # Microseconds are dropped so that the hash survives every database's timestamp precision.
    created_at = utcnow().replace(microsecond=0)
    event = PlanEvent(
        plan_id=plan.id,
        sequence=sequence,
        actor_id=actor_id,
        kind=kind,
        data=payload,
        created_at=created_at,
        prev_hash=prev_hash,
        hash=event_hash(prev_hash, plan.public_id, sequence, actor_id, kind, payload, created_at),
    )
    db.add(event)
    db.flush()
    return event


def history(db: Session, plan: Plan) -> list[PlanEvent]:
    """Every event of `plan`, oldest first."""
    return list(
        db.scalars(
            select(PlanEvent).where(PlanEvent.plan_id == plan.id).order_by(PlanEvent.sequence)
        )
    )


@dataclass(frozen=True)
class ChainCheck:
    """The result of checking a plan's history: how many events, and the first broken one."""

    events: int
    first_broken: int | None

    @property
    def intact(self) -> bool:
        """True when every event's hash matches its content and its predecessor."""
        return self.first_broken is None


def verify_chain(db: Session, plan: Plan, events: list[PlanEvent] | None = None) -> ChainCheck:
    """Recompute every hash of `plan`'s history and report the first event that does not match.

    `events` is the history when the caller has just read it (`history`), else it is read.
    """
    prev = GENESIS
    events = history(db, plan) if events is None else events
    for expected_sequence, event in enumerate(events, start=1):
        recomputed = event_hash(
            prev,
            plan.public_id,
            event.sequence,
            event.actor_id,
            event.kind,
            event.data,
            event.created_at,
        )
        if (
            event.sequence != expected_sequence
            or event.prev_hash != prev
            or event.hash != recomputed
        ):
            return ChainCheck(len(events), event.sequence)
        prev = event.hash
    return ChainCheck(len(events), None)
