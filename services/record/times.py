"""How the record writes days and instants: with the weekday, in the employee's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo


def zone(name: str) -> ZoneInfo:
    """The time zone called `name` (ZoneInfoNotFoundError or ValueError if none is)."""
    return ZoneInfo(name)


# A record writes the same days and instants in each of its three documents (and the PDF
# writes a check-in's day several times): each is formatted once. The answers depend on
# nothing but the arguments.
def format_day(value: date | None) -> str:
    """A date with its weekday, as people read it: `Tue 1 Dec 2026`."""
    if type(value) is date:
        return _day(value)
    # A datetime equals one at the same instant in another zone, whose day may differ.
    return f"{value:%a %-d %b %Y}" if value is not None else ""


@lru_cache(maxsize=4096)
def _day(value: date) -> str:
    return f"{value:%a %-d %b %Y}"


@lru_cache(maxsize=4096)
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
