"""How the record writes days and instants: with the weekday, in the employee's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo


def zone(name: str) -> ZoneInfo:
    """The time zone called `name` (ZoneInfoNotFoundError or ValueError if none is)."""
    return ZoneInfo(name)


def format_day(value: date | None) -> str:
    """A date with its weekday, as people read it: `Tue 1 Dec 2026`."""
    return f"{value:%a %-d %b %Y}" if value is not None else ""


def format_time(value: datetime | None, tz: str) -> str:
    """An instant in the zone `tz`, named: `Tue 1 Dec 2026 10:02 CET`."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(zone(tz))
    return f"{local:%a %-d %b %Y %H:%M %Z}"


def day_text(value: Any) -> str:
    """A stored ISO date (as events keep them) with its weekday; anything else as it is."""
    if isinstance(value, date):
        return format_day(value)
    try:
        return format_day(date.fromisoformat(str(value)))
    except ValueError:
        return str(value)
