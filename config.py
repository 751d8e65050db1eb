"""Settings read once from the environment (and a `.env` file when present)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from services.calendar import HolidayRules, known_country

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///pipbot.db"
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
HR_NOTICE_DETAILS = ("summary", "full")
PLAN_APPROVALS = ("hr", "none", "auto")
PLAN_WRITERS = ("process", "inline")
_GROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")
_GROUP_HANDLE = re.compile(r"^@?[a-z0-9][a-z0-9._-]{0,79}$")
LOG_FORMATS = ("text", "json")
LOG_LEVELS = ("debug", "info", "warning", "error")
PAPER_SIZES = ("A4", "Letter")
MAX_RETENTION_DAYS = 36500
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
# What a Slack status says when its person is away (emoji exactly, words anywhere in the text).
DEFAULT_AWAY_STATUS = (
    ":palm_tree:",
    ":face_with_thermometer:",
    ":airplane:",
    "vacation",
    "holiday",
    "out of office",
    "OOO",
    "on leave",
    "sick",
)


class ConfigError(Exception):
    """A configuration value is missing or malformed; the message names the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


@dataclass(frozen=True)
class Settings:
    """Everything the bot reads from its environment, validated."""

    slack_bot_token: str
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = DEFAULT_API_URL
    port: int = 3000
    database_url: str = DEFAULT_DATABASE_URL
    hr_channel_id: str | None = None
    hr_user_ids: frozenset[str] = field(default_factory=frozenset)
    checkin_time: time = time(10, 0)
    scheduler_enabled: bool = True
    # "process": submitted plan forms are acknowledged at once and written by a child process
    # at idle CPU priority (worker/); "inline": written before the acknowledgement.
    plan_writer: str = "process"
    hr_notice_detail: str = "summary"
    # chat.postMessage calls a second for the whole workspace (Slack publishes no figure).
    post_rate: float = 10.0
    plan_approval: str = "auto"
    manager_group: str | None = None
    hr_group: str | None = None
    hr_contact: str = ""
    # Where wording overrides live (templates/overrides by default; see views/prose.py).
    template_overrides: str = ""

    @property
    def hr_configured(self) -> bool:
        """True when someone holds HR rights (HR_USER_IDS or HR_GROUP), so can approve plans."""
        return bool(self.hr_user_ids or self.hr_group)

    @property
    def approval_required(self) -> bool:
        """True when HR approves each plan before it reaches the employee (PLAN_APPROVAL)."""
        if self.plan_approval == "auto":
            return self.hr_configured
        return self.plan_approval == "hr"

    def approval_description(self) -> str:
        """Which approval rule is in force and why, for the start-up log."""
        rule = "hr" if self.approval_required else "none"
        if self.plan_approval == "auto":
            why = "HR is configured" if self.hr_configured else "no HR is configured"
            return f"plan approval: {rule} (PLAN_APPROVAL=auto, {why})"
        return f"plan approval: {rule} (PLAN_APPROVAL={self.plan_approval})"

    holidays_enabled: bool = True
    holiday_country: str | None = None
    company_holidays: frozenset[date] = field(default_factory=frozenset)
    away_status: tuple[str, ...] = DEFAULT_AWAY_STATUS
    log_format: str = "text"
    log_level: str = "info"
    health_port: int | None = None
    org_name: str = ""
    paper_size: str = "A4"
    retention_days: int | None = None

    @property
    def holiday_rules(self) -> HolidayRules:
        """Whose holidays count: on or off, one country for everyone, the company's days."""
        return HolidayRules(self.holidays_enabled, self.holiday_country, self.company_holidays)

    @property
    def socket_mode(self) -> bool:
        """True when an app-level token is set and the bot runs in Socket Mode."""
        return self.slack_app_token is not None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from `environ` (default: os.environ); raise ConfigError if invalid."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        bot_token = get("SLACK_BOT_TOKEN")
        if bot_token is None:
            raise ConfigError("SLACK_BOT_TOKEN", "is required (the bot token, xoxb-...)")
        if not bot_token.startswith("xoxb-"):
            raise ConfigError("SLACK_BOT_TOKEN", "must be a bot token starting with xoxb-")
        app_token = get("SLACK_APP_TOKEN")
        if app_token is not None and not app_token.startswith("xapp-"):
            raise ConfigError("SLACK_APP_TOKEN", "must be an app-level token starting with xapp-")
        signing_secret = get("SLACK_SIGNING_SECRET")
        if app_token is None and signing_secret is None:
            raise ConfigError(
                "SLACK_SIGNING_SECRET",
                "is required in HTTP mode (set it, or set SLACK_APP_TOKEN for Socket Mode)",
            )
        settings = cls(
            slack_bot_token=bot_token,
            slack_signing_secret=signing_secret,
            slack_app_token=app_token,
            slack_api_url=_api_url(get("SLACK_API_URL")),
            port=_port(get("PORT")),
            database_url=_database_url(get("DATABASE_URL")),
            hr_channel_id=_hr_channel(get("HR_CHANNEL_ID")),
            hr_user_ids=_hr_users(get("HR_USER_IDS")),
            checkin_time=_checkin_time(get("CHECKIN_TIME")),
            scheduler_enabled=_flag("SCHEDULER_ENABLED", get("SCHEDULER_ENABLED"), default=True),
            plan_writer=_choice("PLAN_WRITER", get("PLAN_WRITER"), PLAN_WRITERS, "process"),
            hr_notice_detail=_choice(
                "HR_NOTICE_DETAIL", get("HR_NOTICE_DETAIL"), HR_NOTICE_DETAILS, "summary"
            ),
            post_rate=_post_rate(get("SLACK_POST_RATE")),
            plan_approval=_choice("PLAN_APPROVAL", get("PLAN_APPROVAL"), PLAN_APPROVALS, "auto"),
            manager_group=_group("MANAGER_GROUP", get("MANAGER_GROUP")),
            hr_group=_group("HR_GROUP", get("HR_GROUP")),
            hr_contact=_hr_contact(get("HR_CONTACT")),
            template_overrides=(get("TEMPLATE_OVERRIDES") or "").strip(),
            holidays_enabled=_flag("HOLIDAYS", get("HOLIDAYS"), default=True),
            holiday_country=_country(get("HOLIDAY_COUNTRY")),
            company_holidays=_company_holidays(get("COMPANY_HOLIDAYS")),
            away_status=_away_status(get("AWAY_STATUS")),
            log_format=_choice("LOG_FORMAT", get("LOG_FORMAT"), LOG_FORMATS, "text"),
            log_level=_choice("LOG_LEVEL", get("LOG_LEVEL"), LOG_LEVELS, "info"),
            health_port=_health_port(get("HEALTH_PORT")),
            org_name=_org_name(get("ORG_NAME")),
            paper_size=_paper_size(get("PAPER_SIZE")),
            retention_days=_retention_days(get("RETENTION_DAYS")),
        )
        if settings.plan_approval == "hr" and not settings.hr_configured:
            raise ConfigError(
                "PLAN_APPROVAL",
                "is hr, but nobody can approve: set HR_USER_IDS or HR_GROUP (or use auto)",
            )
        return settings


def _api_url(value: str | None) -> str:
    if value is None:
        return DEFAULT_API_URL
    if not re.match(r"^https?://[^/\s]+", value):
        raise ConfigError("SLACK_API_URL", f"{value!r} is not an http(s) URL")
    return value if value.endswith("/") else value + "/"


def _port(value: str | None) -> int:
    if value is None:
        return 3000
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise ConfigError("PORT", f"{value!r} is not a port number between 1 and 65535")
    return int(value)


def _health_port(value: str | None) -> int | None:
    if value is None or value.lower() in _FALSE:
        return None
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise ConfigError("HEALTH_PORT", f"{value!r} is not a port number between 1 and 65535")
    return int(value)


def _database_url(value: str | None) -> str:
    if value is None:
        return DEFAULT_DATABASE_URL
    try:
        url: URL = make_url(value)
    except ArgumentError:
        raise ConfigError("DATABASE_URL", f"{value!r} is not a SQLAlchemy database URL") from None
    if url.get_backend_name() not in {"sqlite", "postgresql"}:
        backend = url.get_backend_name()
        raise ConfigError(
            "DATABASE_URL", f"backend {backend!r} is not supported (sqlite, postgresql)"
        )
    if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
        # The only PostgreSQL driver we ship is psycopg 3.
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


def _hr_channel(value: str | None) -> str | None:
    if value is not None and not _CHANNEL_ID.match(value):
        raise ConfigError("HR_CHANNEL_ID", f"{value!r} is not a Slack channel id (C... or G...)")
    return value


def _hr_users(value: str | None) -> frozenset[str]:
    if value is None:
        return frozenset()
    ids = [part.strip() for part in value.split(",") if part.strip()]
    bad = [i for i in ids if not _USER_ID.match(i)]
    if bad:
        raise ConfigError("HR_USER_IDS", f"{', '.join(bad)} is not a Slack user id (U... or W...)")
    return frozenset(ids)


def _group(name: str, value: str | None) -> str | None:
    """A user group as its id (S...) or its handle (people-managers, with or without @)."""
    if value is None:
        return None
    if _GROUP_ID.match(value):
        return value
    if _GROUP_HANDLE.match(value.lower()):
        return value.lower().removeprefix("@")
    raise ConfigError(
        name, f"{value!r} is not a Slack user group handle (people-managers) or id (S...)"
    )


def _hr_contact(value: str | None) -> str:
    if value is None:
        return ""
    if len(value) > 200:
        raise ConfigError("HR_CONTACT", f"is {len(value)} characters; keep it to 200")
    return value


def _checkin_time(value: str | None) -> time:
    if value is None:
        return time(10, 0)
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", value)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ConfigError("CHECKIN_TIME", f"{value!r} is not a time of day as HH:MM (00:00-23:59)")
    return time(int(match[1]), int(match[2]))


def _post_rate(value: str | None) -> float:
    if value is None:
        return 10.0
    try:
        rate = float(value)
    except ValueError:
        rate = 0.0
    if not 0.1 <= rate <= 1000:
        raise ConfigError(
            "SLACK_POST_RATE", f"{value!r} is not a number of posts a second between 0.1 and 1000"
        )
    return rate


def _choice(name: str, value: str | None, allowed: tuple[str, ...], default: str) -> str:
    if value is None:
        return default
    if value.lower() not in allowed:
        raise ConfigError(name, f"{value!r} is not one of {', '.join(allowed)}")
    return value.lower()


def _flag(name: str, value: str | None, *, default: bool) -> bool:
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ConfigError(name, f"{value!r} is not true or false")


def _org_name(value: str | None) -> str:
    if value is not None and len(value) > 100:
        raise ConfigError("ORG_NAME", "is longer than 100 characters (it heads every page)")
    return value or ""


def _paper_size(value: str | None) -> str:
    if value is None:
        return "A4"
    for size in PAPER_SIZES:
        if value.lower() == size.lower():
            return size
    raise ConfigError("PAPER_SIZE", f"{value!r} is not one of {', '.join(PAPER_SIZES)}")


def _retention_days(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isdigit() or not 1 <= int(value) <= MAX_RETENTION_DAYS:
        raise ConfigError(
            "RETENTION_DAYS",
            f"{value!r} is not a number of days between 1 and {MAX_RETENTION_DAYS} "
            "(leave it unset to keep closed plans forever)",
        )
    return int(value)


def _country(value: str | None) -> str | None:
    if value is None:
        return None
    if not re.fullmatch(r"[A-Za-z]{2}", value) or not known_country(value):
        raise ConfigError(
            "HOLIDAY_COUNTRY",
            f"{value!r} is not a country with known public holidays (ISO codes such as DE, US, GB)",
        )
    return value.upper()


def _company_holidays(value: str | None) -> frozenset[date]:
    if value is None:
        return frozenset()
    days: set[date] = set()
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", part):
                raise ValueError(part)
            days.add(date.fromisoformat(part))
        except ValueError:
            raise ConfigError(
                "COMPANY_HOLIDAYS", f"{part!r} is not a date as YYYY-MM-DD (comma-separated)"
            ) from None
    return frozenset(days)


def _away_status(value: str | None) -> tuple[str, ...]:
    if value is None:
        return DEFAULT_AWAY_STATUS
    if value.lower() in _FALSE:
        return ()
    return tuple(p.strip() for p in value.split(",") if p.strip())
