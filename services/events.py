"""Remembering which Slack events were handled, so that retries are not handled twice."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import ProcessedEvent, utcnow

KEEP_FOR = timedelta(days=1)  # Slack retries within minutes; a day is plenty


def first_sighting(db: Session, event_id: str) -> bool:
    """Record `event_id`; True the first time it is seen, False for a retry (the caller commits)."""
    try:
        with db.begin_nested():
            db.execute(insert(ProcessedEvent).values(event_id=event_id, received_at=utcnow()))
    except IntegrityError:
        return False
    return True


def forget_old(db: Session, now: datetime | None = None) -> int:
    """Drop event ids older than a day (Slack retries within minutes); returns how many."""
    cutoff = (now or utcnow()) - KEEP_FOR
    result = db.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
