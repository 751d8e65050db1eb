"""Check-ins: one dated occurrence with the employee's answer and the manager's review."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, str_enum, utcnow
from models.enums import Author, CheckinKind, CheckinStatus, GoalStatus
from models.plan import Plan


class Checkin(Base):
    """One check-in of a plan: scheduled from the cadence or logged by the manager."""

    __tablename__ = "checkins"
    __table_args__ = (
        # One scheduled check-in per plan and local date; unscheduled ones are free.
        UniqueConstraint("plan_id", "kind", "occurrence_date", "sequence"),
        Index(None, "status", "occurrence_date"),
        # A plan's check-ins by status: list lines, Home, the report (and the foreign key).
        Index(None, "plan_id", "status"),
        # A plan's check-ins newest first, with what the report counts (migration 0018): the
        # report's per-plan counts read only this index, and its latest marked check-in is
        # a short walk back from the newest.
        Index(None, "plan_id", "occurrence_date", "id", "kind", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    kind: Mapped[CheckinKind] = mapped_column(str_enum(CheckinKind))
    occurrence_date: Mapped[date]
    sequence: Mapped[int] = mapped_column(default=0)
    status: Mapped[CheckinStatus] = mapped_column(
        str_enum(CheckinStatus), default=CheckinStatus.PENDING
    )
    employee_submitted_at: Mapped[datetime | None]
    employee_progress: Mapped[str | None] = mapped_column(Text)
    employee_blockers: Mapped[str | None] = mapped_column(Text)
    employee_support_needed: Mapped[str | None] = mapped_column(Text)
    employee_reply: Mapped[str | None] = mapped_column(Text)
    reviewer_id: Mapped[str | None] = mapped_column(String(32))
    reviewed_at: Mapped[datetime | None]
    next_steps: Mapped[str | None] = mapped_column(Text)
    private_notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    plan: Mapped[Plan] = relationship()
    goal_statuses: Mapped[list[CheckinGoalStatus]] = relationship(
        back_populates="checkin", cascade="all, delete-orphan"
    )


class CheckinGoalStatus(Base):
    """A goal's status and note at a check-in, as the employee or the manager saw it."""

    __tablename__ = "checkin_goal_statuses"
    __table_args__ = (UniqueConstraint("checkin_id", "goal_id", "author"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkins.id", ondelete="CASCADE"))
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"), index=True)
    author: Mapped[Author] = mapped_column(str_enum(Author))
    status: Mapped[GoalStatus] = mapped_column(str_enum(GoalStatus))
    note: Mapped[str] = mapped_column(Text, default="")

    checkin: Mapped[Checkin] = relationship(back_populates="goal_statuses")
