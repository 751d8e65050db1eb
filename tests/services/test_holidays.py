"""Business days per person: public holidays from the zone's country, company days, off."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from config import ConfigError, Settings
from models import Cadence, Delivery, DeliveryKind, Plan
from services.away import Status, matches_away
from services.calendar import (
    WEEKDAYS,
    HolidayRules,
    Workdays,
    add_business_days,
    business_days_after,
    business_days_between,
    checkin_dates,
    country_of_zone,
)
from services.schedule import Recipients, schedule_checkins

BERLIN, NEW_YORK = "Europe/Berlin", "America/New_York"
MONDAY, WEDNESDAY = 0, 2
EASTER_MONDAY_2027 = date(2027, 3, 29)
RULES = HolidayRules()
BASE_ENV = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}


def settings(**env: str) -> Settings:
    return Settings.from_env({**BASE_ENV, **env})


def test_zones_map_to_countries_through_tzdata() -> None:
    assert country_of_zone(BERLIN) == "DE"
    assert country_of_zone(NEW_YORK) == "US"
    assert country_of_zone("US/Eastern") == "US"  # a link, resolved through tzdata.zi
    assert country_of_zone("Europe/London") == "GB"
    assert country_of_zone("UTC") is None
    assert country_of_zone("Not/AZone") is None
    assert country_of_zone(None) is None


def test_easter_monday_moves_a_berlin_check_in_to_tuesday_but_not_a_new_york_one() -> None:
    start, end = date(2027, 3, 15), date(2027, 4, 16)
    berlin = checkin_dates(start, end, MONDAY, Cadence.WEEKLY, RULES.workdays(BERLIN))
    new_york = checkin_dates(start, end, MONDAY, Cadence.WEEKLY, RULES.workdays(NEW_YORK))
    assert berlin == [
        date(2027, 3, 22),
        date(2027, 3, 30),  # Tuesday: Easter Monday is a public holiday in Germany
        date(2027, 4, 5),
        date(2027, 4, 12),
    ]
    assert new_york == [date(2027, 3, 22), EASTER_MONDAY_2027, date(2027, 4, 5), date(2027, 4, 12)]


def test_a_reminder_two_business_days_later_skips_christmas_in_germany() -> None:
    # Fri 22 Dec 2028; 25 and 26 Dec 2028 are Monday and Tuesday.
    friday = date(2028, 12, 22)
    assert business_days_after(friday, 2, RULES.workdays(BERLIN)) == date(2028, 12, 28)
    assert business_days_after(friday, 2, RULES.workdays(NEW_YORK)) == date(2028, 12, 27)
    assert business_days_after(friday, 2, WEEKDAYS) == date(2028, 12, 26)
    # The same rule at a wall-clock time in the person's zone (10:00 Berlin = 09:00 UTC).
    sent = datetime(2028, 12, 22, 9, 0, tzinfo=UTC)
    assert add_business_days(sent, 2, BERLIN, RULES.workdays(BERLIN)) == datetime(
        2028, 12, 28, 9, 0, tzinfo=UTC
    )


def test_company_holidays_are_skipped_for_everyone() -> None:
    closure = settings(COMPANY_HOLIDAYS="2027-12-27, 2027-12-28,2027-12-29,2027-12-30,2027-12-31")
    for tz in (BERLIN, NEW_YORK, "UTC", "Asia/Tokyo"):
        days = closure.holiday_rules.workdays(tz)
        assert business_days_after(date(2027, 12, 24), 1, days) == date(2028, 1, 3), tz
        assert not days.is_business_day(date(2027, 12, 29)), tz
    # A weekly Wednesday check-in inside the closure moves to the next business day.
    dates = checkin_dates(
        date(2027, 12, 14),
        date(2028, 1, 20),
        WEDNESDAY,
        Cadence.WEEKLY,
        closure.holiday_rules.workdays("UTC"),
    )
    assert dates == [
        date(2027, 12, 15),
        date(2027, 12, 22),
        date(2028, 1, 3),
        date(2028, 1, 5),
        date(2028, 1, 12),
        date(2028, 1, 19),
    ]
    # When the move would reach the next check-in, the two are one: the moved one is dropped.
    longer = HolidayRules(company=frozenset(date(2027, 12, 27) + timedelta(i) for i in range(10)))
    assert checkin_dates(
        date(2027, 12, 14), date(2028, 1, 20), WEDNESDAY, Cadence.WEEKLY, longer.workdays("UTC")
    ) == [
        date(2027, 12, 15),
        date(2027, 12, 22),
        date(2028, 1, 6),
        date(2028, 1, 12),
        date(2028, 1, 19),
    ]


def test_holiday_country_overrides_the_zone() -> None:
    german_everywhere = settings(HOLIDAY_COUNTRY="de").holiday_rules
    for tz in (NEW_YORK, "UTC", "Asia/Tokyo"):
        assert not german_everywhere.workdays(tz).is_business_day(EASTER_MONDAY_2027), tz
    assert RULES.workdays(NEW_YORK).is_business_day(EASTER_MONDAY_2027)
    # Japan's Constitution Day (3 May 2027) counts only without the override.
    assert not RULES.workdays("Asia/Tokyo").is_business_day(date(2027, 5, 3))
    assert german_everywhere.workdays("Asia/Tokyo").is_business_day(date(2027, 5, 3))


def test_holidays_off_restores_weekdays_only() -> None:
    off = settings(HOLIDAYS="off", COMPANY_HOLIDAYS="2027-12-29", HOLIDAY_COUNTRY="DE")
    days = off.holiday_rules.workdays(BERLIN)
    assert days == WEEKDAYS
    assert days.is_business_day(EASTER_MONDAY_2027)
    assert days.is_business_day(date(2027, 12, 29))
    assert not days.is_business_day(date(2027, 12, 25))  # a Saturday stays a weekend


def test_the_holiday_source_is_pluggable() -> None:
    calls: list[tuple[str, int]] = []

    def source(country: str, year: int) -> set[date]:
        calls.append((country, year))
        return {date(year, 6, 1)} if country == "ZZ" else set()

    days = Workdays(country="ZZ", source=source)
    assert not days.is_business_day(date(2027, 6, 1))
    assert business_days_between(date(2027, 5, 31), date(2027, 6, 7), days) == 4
    assert ("ZZ", 2027) in calls


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"COMPANY_HOLIDAYS": "2027-12-28,28.12.2027"}, "COMPANY_HOLIDAYS"),
        ({"COMPANY_HOLIDAYS": "2027-02-30"}, "COMPANY_HOLIDAYS"),
        ({"HOLIDAY_COUNTRY": "Germany"}, "HOLIDAY_COUNTRY"),
        ({"HOLIDAY_COUNTRY": "XQ"}, "HOLIDAY_COUNTRY"),
        ({"HOLIDAYS": "sometimes"}, "HOLIDAYS"),
    ],
)
def test_bad_holiday_settings_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as raised:
        settings(**env)
    assert raised.value.variable == variable
    assert "\n" not in str(raised.value)
    assert str(raised.value).startswith(f"{variable}: ")


def _owed(
    db: Session, public_id: str, manager_tz: str, employee_tz: str = BERLIN, weekday: int = MONDAY
) -> dict[tuple[str, str], str]:
    """Schedule a plan over Easter 2027 (Good Friday 26 Mar, Easter Monday 29 Mar); the local
    date of everything owed, by kind and check-in."""
    plan = Plan(
        public_id=public_id,
        team_id="T1",
        employee_id="UEMP",
        manager_id="UMGR",
        issues="i",
        expectations="e",
        consequences="c",
        start_date=date(2027, 3, 17),
        end_date=date(2027, 4, 9),
        cadence=Cadence.WEEKLY,
        checkin_weekday=weekday,
    )
    db.add(plan)
    db.flush()
    to = Recipients.of(employee_tz, manager_tz, None, time(10), RULES)
    schedule_checkins(db, plan, to, after=datetime(2027, 3, 1, tzinfo=UTC))
    return {
        (d.kind.value, d.payload["occurrence_date"]): d.payload["local_date"]
        for d in db.scalars(select(Delivery).where(Delivery.plan_id == plan.id))
    }


def test_the_schedule_moves_the_check_in_and_the_review_follows(db: Session) -> None:
    owed = _owed(db, "PIP-HOLNYC", NEW_YORK)
    assert owed[(DeliveryKind.CHECKIN_PROMPT, "2027-03-30")] == "2027-03-30"
    assert (DeliveryKind.CHECKIN_PROMPT, "2027-03-29") not in owed
    # The employee's reminder and the manager's review prompt follow on their next business day.
    assert owed[(DeliveryKind.CHECKIN_REMINDER, "2027-03-30")] == "2027-03-31"
    assert owed[(DeliveryKind.REVIEW_PROMPT, "2027-03-30")] == "2027-03-31"
    assert owed[(DeliveryKind.REVIEW_REMINDER, "2027-03-30")] == "2027-04-02"
    # A Thursday check-in of a New York employee: a Berlin manager's review prompt skips Good
    # Friday and Easter Monday, a New York manager's does not; so do the reminders after it.
    berlin = _owed(db, "PIP-HOLBER", BERLIN, employee_tz=NEW_YORK, weekday=3)
    new_york = _owed(db, "PIP-HOLNY2", NEW_YORK, employee_tz=NEW_YORK, weekday=3)
    assert berlin[(DeliveryKind.REVIEW_PROMPT, "2027-03-25")] == "2027-03-30"
    assert new_york[(DeliveryKind.REVIEW_PROMPT, "2027-03-25")] == "2027-03-26"
    assert berlin[(DeliveryKind.REVIEW_REMINDER, "2027-03-25")] == "2027-04-01"
    assert new_york[(DeliveryKind.REVIEW_REMINDER, "2027-03-25")] == "2027-03-30"
    # The missed check of the moved check-in comes with the next one.
    assert owed[(DeliveryKind.CHECKIN_MISSED, "2027-03-22")] == "2027-03-30"


def test_away_statuses_match_emoji_or_words() -> None:
    patterns = Settings(slack_bot_token="xoxb-1").away_status
    now = datetime(2027, 1, 6, tzinfo=UTC)
    assert matches_away(Status(":palm_tree:", "On vacation"), patterns, now)
    assert matches_away(Status("", "OOO until Monday"), patterns, now)
    assert matches_away(Status(":face_with_thermometer:", ""), patterns, now)
    assert matches_away(Status("", "On leave"), patterns, now)
    assert not matches_away(Status(":coffee:", "Booking a room"), patterns, now)
    assert not matches_away(Status("", "Reviewing the sickle-cell study"), patterns, now)
    expired = Status(":palm_tree:", "On vacation", expires_at=datetime(2027, 1, 5, tzinfo=UTC))
    assert not matches_away(expired, patterns, now)
    assert not matches_away(Status(":palm_tree:", ""), (), now)
