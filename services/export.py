"""The exported plan record: the whole plan and its history as printable HTML and as Markdown.

The work lives in `services.record`; this module keeps the names callers import.
"""

from __future__ import annotations

from datetime import UTC, datetime

from services import templating
from services.export_pdf import render_pdf
from services.labels import EVENT_TITLES
from services.record.build import plan_record
from services.record.chart import CHART_ID, STATUS_COLOURS, goal_status_svg
from services.record.model import ChainStatus, MarkRecord, Party, PlanRecord, Timeline
from services.record.render import export_filename, render_html, render_markdown
from services.record.times import format_day, format_time

__all__ = [
    "CHART_ID",
    "EVENT_TITLES",
    "STATUS_COLOURS",
    "MarkRecord",
    "Party",
    "PlanRecord",
    "export_filename",
    "format_day",
    "format_time",
    "goal_status_svg",
    "plan_record",
    "render_html",
    "render_markdown",
    "warm_up",
]


def warm_up(*, org_name: str = "", paper_size: str = "A4") -> None:
    """Do now what the first export in a process would: read the PDF's fonts, cut them to the
    common characters, compile the record's templates (about half a second, once)."""
    when = datetime(2000, 1, 3, tzinfo=UTC)
    nobody = Party("U0", "Nobody")
    record = PlanRecord(
        public_id="PIP-WARMUP",
        status="Active",
        generated_at=when,
        requested_by=nobody,
        include_private=False,
        employee=nobody,
        manager=nobody,
        created_at=when,
        start_date=when.date(),
        end_date=when.date(),
        cadence="Weekly",
        issues="",
        expectations="",
        support="",
        consequences="",
        goals=[],
        steps=[],
        ack_requested_at=when,
        acknowledged_at=None,
        acknowledged_current=False,
        acknowledgements=[],
        response=None,
        responded_at=None,
        checkins=[],
        amendments=[],
        outcome=None,
        history=[],
        chain=ChainStatus(intact=True, events=0, first_broken=None, head=""),
        timeline=Timeline(goal_numbers=[], dates=[], rows=[]),
    )
    render_pdf(record, org_name=org_name, paper_size=paper_size)
    # Compiled, not rendered: an organisation's own template may expect a real plan.
    for name in ("export/plan.html.j2", "export/plan.md.j2"):
        templating.environment().get_template(name)
