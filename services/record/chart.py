"""The goal-status chart: inline SVG for the HTML and PDF, a fixed-width grid for Markdown."""

from __future__ import annotations

from markupsafe import Markup, escape

from models import GoalStatus
from services.labels import NO_STATUS, status_label
from services.record.model import PlanRecord

CHART_ID = "goal-status-chart"
# The chart's colours; the marks also differ in shape, so a grey printout still reads.
STATUS_COLOURS = {
    GoalStatus.ON_TRACK.value: "#2e7d32",
    GoalStatus.AT_RISK.value: "#f0a202",
    GoalStatus.OFF_TRACK.value: "#c62828",
    NO_STATUS: "#9e9e9e",
}
TEXT_SYMBOLS = {
    GoalStatus.ON_TRACK.value: "+",
    GoalStatus.AT_RISK.value: "!",
    GoalStatus.OFF_TRACK.value: "x",
    NO_STATUS: ".",
}


_LEFT, _TOP, _RIGHT, _COL, _ROW, _LEGEND = 64, 64, 56, 44, 26, 44
_LEGEND_WIDTH = 460


def _shape(status: str, x: float, y: float, css_class: str, title: str = "") -> str:
    """One status mark centred on (x, y): circle, diamond, square or small dot by status."""
    fill = STATUS_COLOURS.get(status, STATUS_COLOURS[NO_STATUS])
    inner = f"<title>{escape(title)}</title>" if title else ""
    attrs = f'class="{css_class} {escape(status)}" fill="{fill}"'
    if status == GoalStatus.ON_TRACK:
        return f'<circle {attrs} cx="{x:g}" cy="{y:g}" r="8">{inner}</circle>'
    if status == GoalStatus.AT_RISK:
        points = f"{x:g},{y - 9:g} {x + 9:g},{y:g} {x:g},{y + 9:g} {x - 9:g},{y:g}"
        return f'<polygon {attrs} points="{points}">{inner}</polygon>'
    if status == GoalStatus.OFF_TRACK:
        return f'<rect {attrs} x="{x - 7:g}" y="{y - 7:g}" width="14" height="14">{inner}</rect>'
    return f'<circle {attrs} cx="{x:g}" cy="{y:g}" r="4">{inner}</circle>'


def goal_status_svg(record: PlanRecord) -> Markup:
    """The goal-status timeline as inline SVG: a row per goal, a column per check-in."""
    timeline = record.timeline
    columns = max(len(timeline.dates), 1)
    width = max(_LEFT + columns * _COL + _RIGHT, _LEGEND_WIDTH)
    grid_bottom = _TOP + len(timeline.goal_numbers) * _ROW
    height = grid_bottom + _LEGEND
    title = f"Goal status at each check-in, {record.public_id}"
    description = (
        "One row per goal, one column per check-in date; each mark shows the manager's status "
        "when the check-in was reviewed, else the employee's own."
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{CHART_ID}" role="img" '
        f'aria-labelledby="{CHART_ID}-title {CHART_ID}-desc" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
        f'<title id="{CHART_ID}-title">{escape(title)}</title>',
        f'<desc id="{CHART_ID}-desc">{escape(description)}</desc>',
    ]
    for r, number in enumerate(timeline.goal_numbers):
        y = _TOP + r * _ROW + _ROW / 2
        parts.append(
            f'<line class="grid" x1="{_LEFT}" y1="{y:g}" x2="{_LEFT + columns * _COL}" '
            f'y2="{y:g}" stroke="#e0e0e0"/>'
            f'<text class="axis-label goal" x="{_LEFT - 8}" y="{y + 4:g}" '
            f'text-anchor="end">Goal {number}</text>'
        )
    for c, day in enumerate(timeline.dates):
        x = _LEFT + c * _COL + _COL / 2
        parts.append(
            f'<text class="axis-label date" x="{x:g}" y="{_TOP - 8}" '
            f'transform="rotate(-45 {x:g} {_TOP - 8})">{day.isoformat()}</text>'
        )
    if not timeline.dates:
        parts.append(f'<text class="empty" x="{_LEFT}" y="{_TOP - 12}">No check-ins yet.</text>')
    for r, row in enumerate(timeline.rows):
        y = _TOP + r * _ROW + _ROW / 2
        for c, cell in enumerate(row):
            x = _LEFT + c * _COL + _COL / 2
            tip = f"Goal {cell.goal_number}, {cell.occurrence_date.isoformat()}: {cell.label}"
            tip += f" ({cell.source})" if cell.source else ""
            parts.append(_shape(cell.status, x, y, "mark", tip))
    legend_y = grid_bottom + _LEGEND / 2 + 4
    x = float(_LEFT)
    parts.append('<g class="legend">')
    for status in STATUS_COLOURS:
        label = status_label(status)
        parts.append(_shape(status, x, legend_y - 4, "key"))
        parts.append(f'<text x="{x + 14:g}" y="{legend_y:g}">{escape(label)}</text>')
        x += 22 + 7 * len(label) + 16
    parts.append("</g></svg>")
    return Markup("".join(parts))


def timeline_text(record: PlanRecord) -> str:
    """The goal-status timeline as a fixed-width grid for Markdown (no user text in it)."""
    timeline = record.timeline
    if not timeline.dates:
        return "No check-ins yet."
    label_width = max(len(f"Goal {n}") for n in timeline.goal_numbers) + 2
    header = " " * label_width + " ".join(d.strftime("%m-%d") for d in timeline.dates)
    lines = [header]
    for number, row in zip(timeline.goal_numbers, timeline.rows, strict=True):
        marks = " ".join(f"{TEXT_SYMBOLS.get(cell.status, '?'):^5}" for cell in row)
        lines.append(f"{f'Goal {number}':<{label_width}}{marks}".rstrip())
    return "\n".join(lines)
