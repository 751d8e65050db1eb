"""Pauses of a plan's clock, and the Slack status that makes a check-in wait."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, str_enum, utcnow
from models.enums import PlanStatus


class PlanPause(Base):
    """One stretch during which a plan's clock stood still: who paused it, why, until when."""

    __tablename__ = "plan_pauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    paused_by: Mapped[str] = mapped_column(String(32))
    paused_at: Mapped[datetime] = mapped_column(default=utcnow)
    paused_on: Mapped[date]  # the employee's local date the pause began
    reason: Mapped[str] = mapped_column(Text)
    tell_employee: Mapped[bool] = mapped_column(default=False)
    resume_on: Mapped[date | None]  # the planned resume date, when one was given
    status_before: Mapped[PlanStatus] = mapped_column(str_enum(PlanStatus))
    resumed_by: Mapped[str | None] = mapped_column(String(32))
    resumed_at: Mapped[datetime | None]
    resumed_on: Mapped[date | None]  # the employee's local date the plan ran again
    restart_on: Mapped[date | None]  # check-ins count from here (on the plan's weekday)
    business_days: Mapped[int | None]  # the employee's business days the plan stood still
    end_before: Mapped[date | None]
    end_after: Mapped[date | None]


class SlackStatus(Base):
    """A person's Slack status as last read from `users.info`, to tell whether they are away."""

    __tablename__ = "slack_statuses"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    emoji: Mapped[str] = mapped_column(String(100), default="")
    text: Mapped[str] = mapped_column(String(255), default="")
    expires_at: Mapped[datetime | None]
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
