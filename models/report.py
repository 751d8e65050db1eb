"""What the org report keeps of a closed plan so that it need not read its check-ins again."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class PlanReportFacts(Base):
    """A closed plan's line of the org report's CSV after the people's ids and names (which
    are read afresh each time), and the figures it adds to, worked out once.

    services.report_facts writes the row when the plan closes; the daily housekeeping writes
    the rows missing and checks again those of plans closed in the last week against the
    plan, its check-ins and goals.
    The report reads a row only while `version` is the code's and the counts cannot move
    any more; otherwise it works the cells out, as for an open plan.
    """

    __tablename__ = "plan_report_facts"

    plan_id: Mapped[int] = mapped_column(
        ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int]  # services.report_facts.VERSION when worked out
    # The date of the plan's last scheduled check-in counted (not skipped), None without one:
    # from that day on, the counts are the report's whatever day it is run.
    last_checkin_on: Mapped[date | None]
    due: Mapped[int]
    completed: Mapped[int]
    missed: Mapped[int]
    final_results: Mapped[str] = mapped_column(Text)  # in words, "" when no goal has one
    # The CSV cells from `status` to `final_results`, comma-separated, as the report writes
    # them (none of them is ever quoted).
    csv_tail: Mapped[str] = mapped_column(Text)
