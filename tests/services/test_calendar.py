"""Check-in occurrences and business days in people's own zones, across the 2027 DST changes.

Every expected instant below is worked out by hand from the zone's offsets:
America/New_York EST -05:00, EDT -04:00 (2027: 14 Mar 02:00 -> 03:00, 7 Nov 02:00 -> 01:00);
Europe/Berlin CET +01:00, CEST +02:00 and Europe/London GMT, BST +01:00 (2027: 28 Mar, 31 Oct,
at 01:00 UTC); Australia/Lord_Howe +10:30 standard, +11:00 summer (2027: 4 Apr 02:00 -> 01:30,
3 Oct 02:00 -> 02:30).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from models import Cadence
from services.calendar import (
    add_business_days,
    checkin_dates,
    local_instant,
    next_business_day,
    occurrences,
)

NEW_YORK = "America/New_York"
BERLIN = "Europe/Berlin"
LONDON = "Europe/London"
LORD_HOWE = "Australia/Lord_Howe"
TEN = time(10, 0)
MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# zoneinfo raises OSError for these (a folder of the zone database; a name too long for the
# file system), not ZoneInfoNotFoundError: python/cpython#85702 and #96463.
DIRECTORY_NAME = "Europe"
TOO_LONG_NAME = "Europe/" + "Atlantis" * 40

# --- occurrences at 10:00 local on weekly dates spanning each 2027 transition week ----------

TRANSITION_WEEKS = [
    pytest.param(
        NEW_YORK,
        date(2027, 3, 3),
        date(2027, 3, 22),
        MONDAY,
        [
            (date(2027, 3, 8), utc(2027, 3, 8, 15)),  # EST
            (date(2027, 3, 15), utc(2027, 3, 15, 14)),  # EDT from Sun 14 Mar
            (date(2027, 3, 22), utc(2027, 3, 22, 14)),
        ],
        id="new-york-spring",
    ),
    pytest.param(
        NEW_YORK,
        date(2027, 10, 25),
        date(2027, 11, 12),
        FRIDAY,
        [
            (date(2027, 10, 29), utc(2027, 10, 29, 14)),  # EDT
            (date(2027, 11, 5), utc(2027, 11, 5, 14)),  # EDT until Sun 7 Nov
            (date(2027, 11, 12), utc(2027, 11, 12, 15)),  # EST
        ],
        id="new-york-autumn",
    ),
    pytest.param(
        BERLIN,
        date(2027, 3, 20),
        date(2027, 4, 6),
        TUESDAY,
        [
            (date(2027, 3, 23), utc(2027, 3, 23, 9)),  # CET
            (date(2027, 3, 30), utc(2027, 3, 30, 8)),  # CEST from Sun 28 Mar
            (date(2027, 4, 6), utc(2027, 4, 6, 8)),
        ],
        id="berlin-spring",
    ),
    pytest.param(
        BERLIN,
        date(2027, 10, 15),
        date(2027, 11, 5),
        WEDNESDAY,
        [
            (date(2027, 10, 20), utc(2027, 10, 20, 8)),  # CEST
            (date(2027, 10, 27), utc(2027, 10, 27, 8)),
            (date(2027, 11, 3), utc(2027, 11, 3, 9)),  # CET from Sun 31 Oct
        ],
        id="berlin-autumn",
    ),
    pytest.param(
        LONDON,
        date(2027, 3, 19),
        date(2027, 4, 1),
        THURSDAY,
        [
            (date(2027, 3, 25), utc(2027, 3, 25, 10)),  # GMT
            (date(2027, 4, 1), utc(2027, 4, 1, 9)),  # BST from Sun 28 Mar
        ],
        id="london-spring",
    ),
    pytest.param(
        LONDON,
        date(2027, 10, 22),
        date(2027, 11, 8),
        MONDAY,
        [
            (date(2027, 10, 25), utc(2027, 10, 25, 9)),  # BST
            (date(2027, 11, 1), utc(2027, 11, 1, 10)),  # GMT from Sun 31 Oct
            (date(2027, 11, 8), utc(2027, 11, 8, 10)),
        ],
        id="london-autumn",
    ),
    pytest.param(
        LORD_HOWE,
        date(2027, 3, 26),
        date(2027, 4, 15),
        THURSDAY,
        [
            (date(2027, 4, 1), utc(2027, 3, 31, 23)),  # +11:00
            (date(2027, 4, 8), utc(2027, 4, 7, 23, 30)),  # +10:30 from Sun 4 Apr
            (date(2027, 4, 15), utc(2027, 4, 14, 23, 30)),
        ],
        id="lord-howe-dst-ends",
    ),
    pytest.param(
        LORD_HOWE,
        date(2027, 9, 22),
        date(2027, 10, 11),
        MONDAY,
        [
            (date(2027, 9, 27), utc(2027, 9, 26, 23, 30)),  # +10:30
            (date(2027, 10, 4), utc(2027, 10, 3, 23)),  # +11:00 from Sun 3 Oct
            (date(2027, 10, 11), utc(2027, 10, 10, 23)),
        ],
        id="lord-howe-dst-starts",
    ),
]


@pytest.mark.parametrize(("tz", "start", "end", "weekday", "expected"), TRANSITION_WEEKS)
def test_weekly_prompts_at_ten_local_across_a_transition(
    tz: str, start: date, end: date, weekday: int, expected: list[tuple[date, datetime]]
) -> None:
    assert occurrences(start, end, weekday, Cadence.WEEKLY, TEN, tz) == expected


@pytest.mark.parametrize(("tz", "start", "end", "weekday", "expected"), TRANSITION_WEEKS)
def test_each_prompt_reads_ten_oclock_on_its_date_in_the_zone(
    tz: str, start: date, end: date, weekday: int, expected: list[tuple[date, datetime]]
) -> None:
    for day, instant in occurrences(start, end, weekday, Cadence.WEEKLY, TEN, tz):
        local = instant.astimezone(ZoneInfo(tz))
        assert (local.date(), local.time()) == (day, TEN)


def test_instants_are_utc_aware() -> None:
    instant = local_instant(date(2027, 3, 15), TEN, NEW_YORK)
    assert instant.tzinfo is UTC
    assert instant == utc(2027, 3, 15, 14)


# --- a check-in time inside a DST gap moves forward by the gap --------------------------------


@pytest.mark.parametrize(
    ("tz", "day", "at", "expected", "reads"),
    [
        # 02:00 EST -> 03:00 EDT: 02:30 does not exist; 02:30 at -05:00 is 03:30 EDT.
        (NEW_YORK, date(2027, 3, 14), time(2, 30), utc(2027, 3, 14, 7, 30), time(3, 30)),
        # 02:00 -> 02:30 (+10:30 -> +11:00): 02:15 at +10:30 is 02:45 summer time.
        (LORD_HOWE, date(2027, 10, 3), time(2, 15), utc(2027, 10, 2, 15, 45), time(2, 45)),
        # 02:00 CET -> 03:00 CEST.
        (BERLIN, date(2027, 3, 28), time(2, 30), utc(2027, 3, 28, 1, 30), time(3, 30)),
        # 01:00 GMT -> 02:00 BST.
        (LONDON, date(2027, 3, 28), time(1, 30), utc(2027, 3, 28, 1, 30), time(2, 30)),
    ],
    ids=["new-york", "lord-howe", "berlin", "london"],
)
def test_a_time_in_a_dst_gap_moves_forward(
    tz: str, day: date, at: time, expected: datetime, reads: time
) -> None:
    instant = local_instant(day, at, tz)
    assert instant == expected
    local = instant.astimezone(ZoneInfo(tz))
    assert (local.date(), local.time()) == (day, reads)


def test_the_gap_edges_are_exact() -> None:
    # The last minute before the New York gap and the first wall time after it.
    assert local_instant(date(2027, 3, 14), time(1, 59), NEW_YORK) == utc(2027, 3, 14, 6, 59)
    assert local_instant(date(2027, 3, 14), time(3, 0), NEW_YORK) == utc(2027, 3, 14, 7)
    # Lord Howe's 30-minute gap: 02:00 (a gap time) and 02:30 (the first summer time) are
    # both 15:30 UTC on 2 Oct.
    assert local_instant(date(2027, 10, 3), time(2, 0), LORD_HOWE) == utc(2027, 10, 2, 15, 30)
    assert local_instant(date(2027, 10, 3), time(2, 30), LORD_HOWE) == utc(2027, 10, 2, 15, 30)


# --- a time in a repeated hour is its first instant, once ------------------------------------


@pytest.mark.parametrize(
    ("tz", "day", "at", "first", "second"),
    [
        # 01:30 EDT (-04:00) then 01:30 EST (-05:00).
        (
            NEW_YORK,
            date(2027, 11, 7),
            time(1, 30),
            utc(2027, 11, 7, 5, 30),
            utc(2027, 11, 7, 6, 30),
        ),
        # 01:45 at +11:00 then 01:45 at +10:30.
        (
            LORD_HOWE,
            date(2027, 4, 4),
            time(1, 45),
            utc(2027, 4, 3, 14, 45),
            utc(2027, 4, 3, 15, 15),
        ),
        # 02:30 CEST then 02:30 CET.
        (
            BERLIN,
            date(2027, 10, 31),
            time(2, 30),
            utc(2027, 10, 31, 0, 30),
            utc(2027, 10, 31, 1, 30),
        ),
        # 01:30 BST then 01:30 GMT.
        (
            LONDON,
            date(2027, 10, 31),
            time(1, 30),
            utc(2027, 10, 31, 0, 30),
            utc(2027, 10, 31, 1, 30),
        ),
    ],
    ids=["new-york", "lord-howe", "berlin", "london"],
)
def test_a_time_in_a_repeated_hour_is_the_first_instant(
    tz: str, day: date, at: time, first: datetime, second: datetime
) -> None:
    instants = {local_instant(day, at, tz), local_instant(day, at.replace(fold=1), tz)}
    # One instant whatever fold the caller's time carries: the occurrence fires once.
    assert instants == {first}
    assert second - first == (timedelta(minutes=30) if tz == LORD_HOWE else timedelta(hours=1))
    # Both wall readings really are the same local time, so `first` was a genuine choice.
    assert first.astimezone(ZoneInfo(tz)).time() == at
    assert second.astimezone(ZoneInfo(tz)).time() == at


# --- business days ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2027, 3, 11), date(2027, 3, 12)),  # Thu -> Fri
        (date(2027, 3, 12), date(2027, 3, 15)),  # Fri -> Mon
        (date(2027, 3, 13), date(2027, 3, 15)),  # Sat -> Mon
        (date(2027, 3, 14), date(2027, 3, 15)),  # Sun -> Mon
        (date(2027, 3, 15), date(2027, 3, 16)),  # Mon -> Tue
        (date(2027, 12, 31), date(2028, 1, 3)),  # Fri -> Mon, across a year
    ],
)
def test_next_business_day_skips_weekends(day: date, expected: date) -> None:
    assert next_business_day(day) == expected


@pytest.mark.parametrize(
    ("instant", "days", "tz", "expected"),
    [
        # Fri 12 Mar 10:00 EST + 1 = Mon 15 Mar 10:00 EDT (same wall time across the change).
        (utc(2027, 3, 12, 15), 1, NEW_YORK, utc(2027, 3, 15, 14)),
        # Sat 13 Mar 10:00 EST + 2 = Tue 16 Mar 10:00 EDT.
        (utc(2027, 3, 13, 15), 2, NEW_YORK, utc(2027, 3, 16, 14)),
        # Sun 14 Mar 12:00 EDT + 1 = Mon 15 Mar 12:00 EDT.
        (utc(2027, 3, 14, 16), 1, NEW_YORK, utc(2027, 3, 15, 16)),
        # Wed 3 Mar 09:00 EST + 5 = Wed 10 Mar 09:00 EST.
        (utc(2027, 3, 3, 14), 5, NEW_YORK, utc(2027, 3, 10, 14)),
        # Fri 26 Mar 10:00 CET + 1 = Mon 29 Mar 10:00 CEST.
        (utc(2027, 3, 26, 9), 1, BERLIN, utc(2027, 3, 29, 8)),
        # Fri 29 Oct 10:00 BST + 2 = Tue 2 Nov 10:00 GMT.
        (utc(2027, 10, 29, 9), 2, LONDON, utc(2027, 11, 2, 10)),
        # Fri 2 Apr 10:00 +11:00 + 1 = Mon 5 Apr 10:00 +10:30.
        (utc(2027, 4, 1, 23), 1, LORD_HOWE, utc(2027, 4, 4, 23, 30)),
        # Zero business days: the same instant.
        (utc(2027, 3, 13, 15), 0, NEW_YORK, utc(2027, 3, 13, 15)),
    ],
    ids=[
        "fri+1=mon",
        "sat+2=tue",
        "sun+1=mon",
        "wed+5=wed",
        "berlin-fri+1",
        "london-fri+2",
        "lord-howe-fri+1",
        "zero",
    ],
)
def test_add_business_days_keeps_the_wall_time(
    instant: datetime, days: int, tz: str, expected: datetime
) -> None:
    assert add_business_days(instant, days, tz) == expected


def test_add_business_days_counts_from_the_local_date() -> None:
    # 03:00 UTC on Fri 12 Mar is 22:00 on Thu 11 Mar in New York: + 1 is Fri 12 Mar 22:00 EST,
    # while in UTC it is a Friday, so + 1 is Monday.
    instant = utc(2027, 3, 12, 3)
    assert add_business_days(instant, 1, NEW_YORK) == utc(2027, 3, 13, 3)
    assert add_business_days(instant, 1, "UTC") == utc(2027, 3, 15, 3)


# --- check-in dates: cadence, first date, end date, weekends ----------------------------------


def test_every_two_weeks() -> None:
    # Mon 1 Mar to Fri 30 Apr, Wednesdays, every other week: 3, 17, 31 Mar, 14, 28 Apr.
    assert occurrences(
        date(2027, 3, 1), date(2027, 4, 30), WEDNESDAY, Cadence.BIWEEKLY, TEN, NEW_YORK
    ) == [
        (date(2027, 3, 3), utc(2027, 3, 3, 15)),
        (date(2027, 3, 17), utc(2027, 3, 17, 14)),
        (date(2027, 3, 31), utc(2027, 3, 31, 14)),
        (date(2027, 4, 14), utc(2027, 4, 14, 14)),
        (date(2027, 4, 28), utc(2027, 4, 28, 14)),
    ]


def test_weekly_is_every_seven_days() -> None:
    assert checkin_dates(date(2027, 3, 1), date(2027, 3, 31), WEDNESDAY, Cadence.WEEKLY) == [
        date(2027, 3, 3),
        date(2027, 3, 10),
        date(2027, 3, 17),
        date(2027, 3, 24),
        date(2027, 3, 31),
    ]


def test_a_plan_starting_on_its_checkin_weekday_has_its_first_checkin_a_week_later() -> None:
    # Wed 3 Mar is itself a Wednesday: no check-in on the day the plan starts.
    assert checkin_dates(date(2027, 3, 3), date(2027, 3, 24), WEDNESDAY, Cadence.WEEKLY) == [
        date(2027, 3, 10),
        date(2027, 3, 17),
        date(2027, 3, 24),
    ]


def test_the_first_checkin_is_the_first_such_weekday_after_the_start() -> None:
    # Thu 4 Mar: the next Wednesday is 10 Mar (not 3 Mar, which is before the start).
    assert checkin_dates(date(2027, 3, 4), date(2027, 3, 17), WEDNESDAY, Cadence.WEEKLY) == [
        date(2027, 3, 10),
        date(2027, 3, 17),
    ]


def test_the_end_date_is_inclusive() -> None:
    start = date(2027, 3, 1)
    assert checkin_dates(start, date(2027, 3, 24), WEDNESDAY, Cadence.WEEKLY)[-1] == date(
        2027, 3, 24
    )
    assert checkin_dates(start, date(2027, 3, 23), WEDNESDAY, Cadence.WEEKLY)[-1] == date(
        2027, 3, 17
    )
    # A plan that ends on its first check-in date has exactly that one check-in.
    assert checkin_dates(start, date(2027, 3, 3), WEDNESDAY, Cadence.BIWEEKLY) == [date(2027, 3, 3)]


def test_a_plan_with_no_checkin_day_inside_it_has_none() -> None:
    # Thu 4 Mar to Tue 9 Mar holds no Wednesday.
    assert checkin_dates(date(2027, 3, 4), date(2027, 3, 9), WEDNESDAY, Cadence.WEEKLY) == []


@pytest.mark.parametrize("weekday", [SATURDAY, SUNDAY])
def test_weekend_checkin_dates_are_skipped(weekday: int) -> None:
    for cadence in Cadence:
        assert checkin_dates(date(2027, 3, 1), date(2027, 5, 31), weekday, cadence) == []
        assert occurrences(date(2027, 3, 1), date(2027, 5, 31), weekday, cadence, TEN, BERLIN) == []


# --- unknown zones fall back to UTC -----------------------------------------------------------


@pytest.mark.parametrize("tz", ["Mars/Olympus_Mons", "New York", "", None, "UTC"])
def test_an_unknown_or_empty_zone_is_utc(tz: str | None) -> None:
    assert local_instant(date(2027, 3, 14), time(2, 30), tz) == utc(2027, 3, 14, 2, 30)
    assert occurrences(date(2027, 3, 3), date(2027, 3, 17), MONDAY, Cadence.WEEKLY, TEN, tz) == [
        (date(2027, 3, 8), utc(2027, 3, 8, 10)),
        (date(2027, 3, 15), utc(2027, 3, 15, 10)),
    ]
    # Fri 12 Mar 23:00 UTC + 1 business day = Mon 15 Mar 23:00 UTC.
    assert add_business_days(utc(2027, 3, 12, 23), 1, tz) == utc(2027, 3, 15, 23)


def test_a_region_name_that_is_not_a_zone_is_utc() -> None:
    # "Europe" is a folder of the zone database, not a zone.
    assert local_instant(date(2027, 3, 15), TEN, DIRECTORY_NAME) == utc(2027, 3, 15, 10)


def test_an_overlong_zone_name_is_utc() -> None:
    assert local_instant(date(2027, 3, 15), TEN, TOO_LONG_NAME) == utc(2027, 3, 15, 10)
