"""The record as documents: one printable HTML file and one Markdown file, from templates."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context

from services.record.chart import STATUS_COLOURS, TEXT_SYMBOLS, goal_status_svg, timeline_text
from services.record.model import PlanRecord
from services.record.times import format_day, format_time

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"
# An organisation replaces the document by putting a file of the same name here.
OVERRIDES = TEMPLATES / "overrides"


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


def _environment(autoescape: bool) -> Environment:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(OVERRIDES), FileSystemLoader(TEMPLATES)]),
        undefined=StrictUndefined,
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["d"] = _format_date
    env.filters["dt"] = _format_datetime
    env.filters["md_indent"] = _md_indent
    env.filters["md_quote"] = _md_quote
    return env


@lru_cache(maxsize=1)
def html_environment() -> Environment:
    """The Jinja2 environment for the HTML document: autoescaped, strict."""
    return _environment(autoescape=True)


@lru_cache(maxsize=1)
def markdown_environment() -> Environment:
    """The Jinja2 environment for the Markdown document: strict, not escaped."""
    return _environment(autoescape=False)


def render_html(record: PlanRecord) -> str:
    """The record as one self-contained, printable HTML document."""
    template = html_environment().get_template("export/plan.html.j2")
    return template.render(record=record, chart=goal_status_svg(record), colours=STATUS_COLOURS)


def render_markdown(record: PlanRecord) -> str:
    """The record as Markdown."""
    template = markdown_environment().get_template("export/plan.md.j2")
    text = template.render(record=record, timeline=timeline_text(record), symbols=TEXT_SYMBOLS)
    return text.rstrip() + "\n"


def export_filename(record: PlanRecord, ext: str) -> str:
    """The file name of an export, e.g. `PIP-7K3Q9A-record.html`."""
    return f"{record.public_id}-record.{ext.lstrip('.')}"
