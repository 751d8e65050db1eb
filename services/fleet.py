"""The running dispatchers, counted through heartbeat rows so that a fleet shares Slack's limits."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models import DispatcherHeartbeat
from services.outbox import dialect_insert

# A dispatcher not seen for this long has stopped (it beats every few seconds while alive).
ALIVE_FOR = timedelta(seconds=15)
FORGET_AFTER = timedelta(hours=1)


def beat(db: Session, name: str, now: datetime) -> None:
    """Say that dispatcher `name` is alive at `now` (the caller commits)."""
    statement = dialect_insert(db)(DispatcherHeartbeat).values(
        name=name, started_at=now, seen_at=now
    )
    db.execute(statement.on_conflict_do_update(index_elements=["name"], set_={"seen_at": now}))
    db.execute(delete(DispatcherHeartbeat).where(DispatcherHeartbeat.seen_at < now - FORGET_AFTER))


def live(db: Session, now: datetime) -> int:
    """How many dispatchers beat recently (at least 1: the caller is one)."""
    count = db.scalar(
        select(func.count())
        .select_from(DispatcherHeartbeat)
        .where(DispatcherHeartbeat.seen_at >= now - ALIVE_FOR)
    )
    return max(1, int(count or 0))


def leave(db: Session, name: str) -> None:
    """Forget dispatcher `name`, which is stopping (the caller commits)."""
    db.execute(delete(DispatcherHeartbeat).where(DispatcherHeartbeat.name == name))
