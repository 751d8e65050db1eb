"""Dates and times in people's own zones: check-in occurrences and business days."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from models import Cadence

SATURDAY = 5
CADENCE_DAYS = {Cadence.WEEKLY: 7, Cadence.BIWEEKLY: 14}


def zone(name: str | None) -> ZoneInfo:
    """The IANA zone `name`, or UTC when it is empty or unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # OSError: a folder name such as "America", or a name too long for the file system.
        return ZoneInfo("UTC")


def is_business_day(day: date) -> bool:
    """Monday to Friday."""
    return day.weekday() < SATURDAY


def local_instant(day: date, at: time, tz: str | None) -> datetime:
    """`day` at wall-clock `at` in `tz`, as UTC.

    A time in a DST gap moves forward by the gap (02:30 on a spring-forward night is 03:30):
    with fold=0, PEP 495 reads a missing time with the offset from before the change. In a
    repeated hour fold=0 is the first of the two instants, so an occurrence fires once.
    """
    return datetime.combine(day, at).replace(tzinfo=zone(tz), fold=0).astimezone(UTC)


def local_date(instant: datetime, tz: str | None) -> date:
    """The calendar date at `instant` in `tz`."""
    return instant.astimezone(zone(tz)).date()


def add_business_days(instant: datetime, days: int, tz: str | None) -> datetime:
    """`days` business days after `instant`, at the same wall-clock time in `tz`."""
    zone_info = zone(tz)
    local = instant.astimezone(zone_info)
    day = local.date()
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_business_day(day):
            remaining -= 1
    return local_instant(day, local.time().replace(tzinfo=None), tz)


def next_business_day(day: date) -> date:
    """The first business day after `day`."""
    day += timedelta(days=1)
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def business_days_after(day: date, count: int) -> date:
    """The date `count` business days after `day`."""
    for _ in range(count):
        day = next_business_day(day)
    return day


def checkin_dates(start: date, end: date, weekday: int, cadence: Cadence) -> list[date]:
    """Local check-in dates: the plan's weekday from the first such day after `start`, to `end`.

    A plan that starts on its check-in weekday has its first check-in a week later (the first
    such weekday after the start date), whatever the cadence.
    Weekend dates never occur (the weekday is a business day; any other is skipped).
    """
    first = start + timedelta(days=1)
    first += timedelta(days=(weekday - first.weekday()) % 7)
    return [day for day in _every(first, end, CADENCE_DAYS[cadence]) if is_business_day(day)]


def _every(first: date, last: date, step_days: int) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=step_days)


def occurrences(
    start: date, end: date, weekday: int, cadence: Cadence, at: time, tz: str | None
) -> list[tuple[date, datetime]]:
    """Each check-in as (local date, UTC instant at `at` in `tz`)."""
    return [
        (day, local_instant(day, at, tz)) for day in checkin_dates(start, end, weekday, cadence)
    ]
