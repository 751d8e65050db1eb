"""Dates and times in people's own zones: check-in occurrences and business days.

A business day is a weekday that is not a holiday for the person concerned: the public
holidays of their country (from their time zone, or HOLIDAY_COUNTRY) and the company's
closure days. Every function here is pure over a `Workdays` (a holiday source and a country).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holiday_tables

from models import Cadence

SATURDAY = 5
CADENCE_DAYS = {Cadence.WEEKLY: 7, Cadence.BIWEEKLY: 14}

# (country, year) -> that year's public holidays in the country.
HolidaySource = Callable[[str, int], Collection[date]]


@functools.lru_cache(maxsize=512)
def public_holidays(country: str, year: int) -> frozenset[date]:
    """The nationwide public holidays of `country` (ISO 3166 alpha-2) in `year`.

    A country the `holidays` package does not know has none (weekdays only).
    """
    try:
        return frozenset(holiday_tables.country_holidays(country, years=year))
    except NotImplementedError:
        return frozenset()


def known_country(country: str) -> bool:
    """True when the `holidays` package has public holidays for `country`."""
    return country.upper() in holiday_tables.list_supported_countries()


@dataclass(frozen=True)
class Workdays:
    """One person's business days: weekdays less their country's holidays and company days."""

    country: str | None = None
    company: frozenset[date] = field(default_factory=frozenset)
    source: HolidaySource = public_holidays

    def is_business_day(self, day: date) -> bool:
        """A weekday that is neither a public holiday here nor a company closure day."""
        if day.weekday() >= SATURDAY or day in self.company:
            return False
        return self.country is None or day not in self.source(self.country, day.year)


WEEKDAYS = Workdays()


@dataclass(frozen=True)
class HolidayRules:
    """The configured holiday policy: on or off, a country for everyone, company days."""

    enabled: bool = True
    country: str | None = None
    company: frozenset[date] = field(default_factory=frozenset)

    def workdays(self, tz: str | None, source: HolidaySource = public_holidays) -> Workdays:
        """The business days of someone in zone `tz` under these rules."""
        if not self.enabled:
            return WEEKDAYS
        return Workdays(self.country or country_of_zone(tz), self.company, source)


def _read_zone_tables() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """zone.tab (one country per zone), zone1970.tab (first country) and the zone links."""
    folder = resources.files("tzdata.zoneinfo")
    single: dict[str, str] = {}
    first: dict[str, str] = {}
    links: dict[str, str] = {}
    for name, table in (("zone.tab", single), ("zone1970.tab", first)):
        for line in folder.joinpath(name).read_text(encoding="utf-8").splitlines():
            if line.startswith("#") or not line.strip():
                continue
            parts = line.split("\t")
            if len(parts) >= 3:
                table[parts[2]] = parts[0].split(",")[0]
    for line in folder.joinpath("tzdata.zi").read_text(encoding="utf-8").splitlines():
        if line.startswith("L "):
            _, target, alias = line.split()[:3]
            links[alias] = target
    return single, first, links


@functools.lru_cache(maxsize=1)
def _zone_tables() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    return _read_zone_tables()


def country_of_zone(tz: str | None) -> str | None:
    """The ISO country of IANA zone `tz` (`Europe/Berlin` -> DE), or None (UTC, unknown)."""
    if not tz:
        return None
    single, first, links = _zone_tables()
    name = tz
    for _ in range(4):  # a link may point at another link in old data
        if name in single:
            return single[name]
        if name in first:
            return first[name]
        if name not in links:
            return None
        name = links[name]
    return None


def zone(name: str | None) -> ZoneInfo:
    """The IANA zone `name`, or UTC when it is empty or unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # OSError: a folder name such as "America", or a name too long for the file system.
        return ZoneInfo("UTC")


def is_business_day(day: date, workdays: Workdays = WEEKDAYS) -> bool:
    """A business day of `workdays` (by default Monday to Friday)."""
    return workdays.is_business_day(day)


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


def add_business_days(
    instant: datetime, days: int, tz: str | None, workdays: Workdays = WEEKDAYS
) -> datetime:
    """`days` business days after `instant`, at the same wall-clock time in `tz`."""
    zone_info = zone(tz)
    local = instant.astimezone(zone_info)
    day = business_days_after(local.date(), days, workdays)
    return local_instant(day, local.time().replace(tzinfo=None), tz)


def next_business_day(day: date, workdays: Workdays = WEEKDAYS) -> date:
    """The first business day after `day`."""
    day += timedelta(days=1)
    while not workdays.is_business_day(day):
        day += timedelta(days=1)
    return day


def business_days_after(day: date, count: int, workdays: Workdays = WEEKDAYS) -> date:
    """The date `count` business days after `day`."""
    for _ in range(count):
        day = next_business_day(day, workdays)
    return day


def on_or_after(day: date, workdays: Workdays = WEEKDAYS) -> date:
    """`day` when it is a business day, else the next business day."""
    return day if workdays.is_business_day(day) else next_business_day(day, workdays)


def business_days_between(first: date, stop: date, workdays: Workdays = WEEKDAYS) -> int:
    """How many business days fall in [first, stop)."""
    count = 0
    day = first
    while day < stop:
        if workdays.is_business_day(day):
            count += 1
        day += timedelta(days=1)
    return count


def first_weekday_on_or_after(day: date, weekday: int) -> date:
    """The first date on or after `day` that falls on `weekday` (0 = Monday)."""
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def checkin_dates(
    start: date,
    end: date,
    weekday: int,
    cadence: Cadence,
    workdays: Workdays = WEEKDAYS,
    *,
    first: date | None = None,
) -> list[date]:
    """Local check-in dates: the plan's weekday from the first such day after `start`, to `end`.

    A plan that starts on its check-in weekday has its first check-in a week later (the first
    such weekday after the start date), whatever the cadence; `first` overrides that (a plan
    restarting after a pause counts from its resume day).
    Weekend dates never occur (the weekday is a business day; any other is skipped). A date
    that is a holiday for the employee moves to their next business day, unless that reaches
    the next check-in or passes `end` (then it is dropped: one check-in, not two at once).
    """
    if first is None:
        first = first_weekday_on_or_after(start + timedelta(days=1), weekday)
    step = CADENCE_DAYS[cadence]
    dates: list[date] = []
    for day in _every(first, end, step):
        if day.weekday() >= SATURDAY:
            continue
        moved = on_or_after(day, workdays)
        if moved < day + timedelta(days=step) and moved <= end:
            dates.append(moved)
    return dates


def _every(first: date, last: date, step_days: int) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=step_days)


def occurrences(
    start: date,
    end: date,
    weekday: int,
    cadence: Cadence,
    at: time,
    tz: str | None,
    workdays: Workdays = WEEKDAYS,
) -> list[tuple[date, datetime]]:
    """Each check-in as (local date, UTC instant at `at` in `tz`)."""
    return [
        (day, local_instant(day, at, tz))
        for day in checkin_dates(start, end, weekday, cadence, workdays)
    ]
