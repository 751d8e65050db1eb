"""Running totals of plans and check-ins, kept by the database itself (migration 0018)."""

from __future__ import annotations

from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class PlanTally(Base):
    """One change to the organisation's totals: each column is a delta; the totals are sums.

    Triggers on `plans` and `checkins` add a row in the same statement as every change that
    moves a total (insert, update of a counted column, delete), whoever makes it: the ORM,
    a Core UPDATE or the retention purge. Rows are only ever added, so concurrent writers
    never wait on each other here; `services.tallies.settle` folds them into one row.
    """

    __tablename__ = "plan_tallies"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft: Mapped[int] = mapped_column(default=0)
    withdrawn: Mapped[int] = mapped_column(default=0)
    active: Mapped[int] = mapped_column(default=0)
    acknowledged: Mapped[int] = mapped_column(default=0)
    extended: Mapped[int] = mapped_column(default=0)
    paused: Mapped[int] = mapped_column(default=0)
    closed: Mapped[int] = mapped_column(default=0)
    # Open plans (active, acknowledged, extended) whose current version is not acknowledged.
    not_acknowledged: Mapped[int] = mapped_column(default=0)
    # Check-ins of open plans that are missed, and answered (waiting for the review).
    missed_checkins: Mapped[int] = mapped_column(default=0)
    awaiting_review: Mapped[int] = mapped_column(default=0)
    legal_hold: Mapped[int] = mapped_column(default=0)
