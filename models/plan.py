"""A plan and the parts it is made of: goals and action steps."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, str_enum, utcnow
from models.enums import Cadence, Outcome, PlanStatus, Review


class Plan(Base):
    """A performance improvement plan between a manager and an employee."""

    __tablename__ = "plans"
    __table_args__ = (
        Index(None, "manager_id", "status"),
        Index(None, "employee_id", "status"),
        # List order (services/lists.py): closed plans by end date and id, and open ones
        # by a partial index that holds only them, so neither seek wades through the other.
        Index(None, "status", "end_date", "id"),
        # The plan form that opened the plan: sent again for the same employee, it finds
        # this plan (handlers/plan_intake.py).
        Index(None, "form_id", "employee_id", unique=True),
        Index(
            "ix_plans_open_end_date_id",
            "end_date",
            "id",
            postgresql_where=text("status <> 'closed'"),
            sqlite_where=text("status <> 'closed'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True)
    team_id: Mapped[str] = mapped_column(String(32))
    employee_id: Mapped[str] = mapped_column(String(32))
    manager_id: Mapped[str] = mapped_column(String(32))
    issues: Mapped[str] = mapped_column(Text)
    expectations: Mapped[str] = mapped_column(Text)
    support: Mapped[str] = mapped_column(Text, default="")
    consequences: Mapped[str] = mapped_column(Text)
    start_date: Mapped[date]
    end_date: Mapped[date]
    cadence: Mapped[Cadence] = mapped_column(str_enum(Cadence))
    checkin_weekday: Mapped[int]  # 0 = Monday, as date.weekday()
    status: Mapped[PlanStatus] = mapped_column(str_enum(PlanStatus), default=PlanStatus.ACTIVE)
    outcome: Mapped[Outcome | None] = mapped_column(str_enum(Outcome))
    outcome_summary: Mapped[str | None] = mapped_column(Text)
    outcome_effective_date: Mapped[date | None]
    ack_requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]
    employee_response: Mapped[str | None] = mapped_column(Text)
    responded_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None]
    # Drafts: the HR review (None when no approval applies), its round, who decided it and
    # when; whether the manager sends it after meeting the employee; when it was sent.
    review: Mapped[Review | None] = mapped_column(str_enum(Review))
    review_round: Mapped[int] = mapped_column(default=0)
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None]
    send_after_meeting: Mapped[bool] = mapped_column(default=False)
    sent_at: Mapped[datetime | None]
    # The random id of the `/pip new` form that opened it (views/form_meta.py), if any.
    form_id: Mapped[str | None] = mapped_column(String(32))
    # What that form held when it opened the plan (services.drafts.digest), to tell a form sent
    # again unchanged from one changed after the plan was saved.
    form_digest: Mapped[str | None] = mapped_column(String(64))
    # A legal hold keeps a closed plan past RETENTION_DAYS until HR releases it.
    legal_hold_at: Mapped[datetime | None]
    legal_hold_by: Mapped[str | None] = mapped_column(String(32))
    legal_hold_reason: Mapped[str | None] = mapped_column(Text)

    goals: Mapped[list[Goal]] = relationship(
        back_populates="plan", order_by="Goal.position", cascade="all, delete-orphan"
    )
    steps: Mapped[list[ActionStep]] = relationship(
        back_populates="plan", order_by="ActionStep.position", cascade="all, delete-orphan"
    )


class Goal(Base):
    """A SMART goal of a plan."""

    __tablename__ = "goals"
    __table_args__ = (UniqueConstraint("plan_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    position: Mapped[int]
    description: Mapped[str] = mapped_column(Text)
    measure: Mapped[str] = mapped_column(Text)
    target: Mapped[str] = mapped_column(Text)
    due_date: Mapped[date]
    # Recorded at close: a FinalResult value (`met`, ...), or a GoalStatus value for a plan
    # closed before that scale (services/status_text.py reads both).
    final_result: Mapped[str | None] = mapped_column(String(20))

    plan: Mapped[Plan] = relationship(back_populates="goals")


class ActionStep(Base):
    """A concrete step the employee takes, optionally by a date."""

    __tablename__ = "action_steps"
    __table_args__ = (UniqueConstraint("plan_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    position: Mapped[int]
    description: Mapped[str] = mapped_column(Text)
    due_date: Mapped[date | None]

    plan: Mapped[Plan] = relationship(back_populates="steps")
