"""The exported plan record: the whole plan and its history as printable HTML and as Markdown.

The work lives in `services.record`; this module keeps the names callers import.
"""

from __future__ import annotations

from services.labels import EVENT_TITLES
from services.record.build import plan_record
from services.record.chart import CHART_ID, STATUS_COLOURS, goal_status_svg
from services.record.model import MarkRecord, Party, PlanRecord
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
]
