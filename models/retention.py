"""What is left of a plan deleted under the retention policy: a tombstone."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class Tombstone(Base):
    """A deleted plan's public id, team, dates, outcome, when it was deleted and under what."""

    __tablename__ = "tombstones"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), index=True)
    team_id: Mapped[str] = mapped_column(String(32))
    start_date: Mapped[date]
    end_date: Mapped[date]
    outcome: Mapped[str | None] = mapped_column(String(24))
    closed_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime] = mapped_column(default=utcnow)
    policy: Mapped[str] = mapped_column(Text)
    events: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default="")
