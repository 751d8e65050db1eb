"""The append-only, hash-chained history of a plan."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class PlanEvent(Base):
    """One thing that happened to a plan; rows are never updated or deleted."""

    __tablename__ = "plan_events"
    __table_args__ = (UniqueConstraint("plan_id", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    sequence: Mapped[int]
    actor_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


@event.listens_for(PlanEvent, "before_update")
def _refuse_update(mapper: Any, connection: Any, target: PlanEvent) -> None:
    raise RuntimeError("plan events are append-only")


@event.listens_for(PlanEvent, "before_delete")
def _refuse_delete(mapper: Any, connection: Any, target: PlanEvent) -> None:
    raise RuntimeError("plan events are append-only")
