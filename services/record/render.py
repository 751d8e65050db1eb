"""The record as documents: one printable HTML file and one Markdown file, from templates."""

from __future__ import annotations

from datetime import date, datetime

from jinja2 import pass_context
from jinja2.runtime import Context

from services import templating
from services.record.chart import STATUS_COLOURS, TEXT_SYMBOLS, goal_status_svg, timeline_text
from services.record.model import PlanRecord
from services.record.times import format_day, format_time


def _format_date(value: date | None) -> str:
    return format_day(value)


@pass_context
def _format_datetime(context: Context, value: datetime | None) -> str:
    record = context.get("record")
    return format_time(value, record.tz if isinstance(record, PlanRecord) else "UTC")


def _md_indent(text: str, width: int = 2) -> str:
    """Indent every line after the first, so multi-line text stays inside a list item."""
    pad = " " * width
    return "\n".join(
        line if i == 0 or not line.strip() else pad + line
        for i, line in enumerate(text.strip().splitlines() or [""])
    )


def _md_quote(text: str) -> str:
    """User text as a Markdown block quote, blank lines kept inside it."""
    return "\n".join(f"> {line}".rstrip() for line in text.strip().splitlines() or [""])


# The record's filters, registered on the one environment (services/templating.py).
FILTERS = {
    "d": _format_date,
    "dt": _format_datetime,
    "md_indent": _md_indent,
    "md_quote": _md_quote,
}


def render_html(record: PlanRecord) -> str:
    """The record as one self-contained, printable HTML document."""
    template = templating.environment().get_template("export/plan.html.j2")
    return template.render(record=record, chart=goal_status_svg(record), colours=STATUS_COLOURS)


def render_markdown(record: PlanRecord) -> str:
    """The record as Markdown."""
    template = templating.environment().get_template("export/plan.md.j2")
    text = template.render(record=record, timeline=timeline_text(record), symbols=TEXT_SYMBOLS)
    return text.rstrip() + "\n"


def export_filename(record: PlanRecord, ext: str) -> str:
    """The file name of an export, e.g. `PIP-7K3Q9A-record.html`."""
    return f"{record.public_id}-record.{ext.lstrip('.')}"
