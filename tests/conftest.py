"""Shared fixtures: databases (SQLite and PostgreSQL), the fake Slack, the real app."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import time_machine
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bot import create_app, make_client, make_delivery_client
from config import Settings
from db import make_engine, make_session_factory, migrate
from handlers.context import Intake
from models import Base, Plan
from scheduler.dispatcher import Dispatcher
from tests.constants import (
    BOT_TOKEN,
    EMPLOYEE,
    HR,
    HR_CHANNEL,
    MANAGER,
    OTHER_MANAGER,
    OUTSIDER,
    SIGNING_SECRET,
)
from tests.fakeslack import FakeSlack
from tests.instantclock import InstantClock
from tests.slackdriver import SlackDriver, TrackingExecutor

POSTGRES_ENV = "PIP_TEST_POSTGRES_URL"


def postgres_url() -> str:
    """The admin URL of the test PostgreSQL server, or skip the test with the reason."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_ENV} is not set (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    return url


class PostgresDatabases:
    """Creates throw-away databases on the test server and drops them afterwards."""

    def __init__(self, admin_url: str) -> None:
        self.admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.base_url = make_url(admin_url).set(drivername="postgresql+psycopg")
        self.created: list[str] = []

    def create(self) -> str:
        """A new empty database; returns its URL."""
        name = f"pip_test_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return self.base_url.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        """Drop one database made by `create`, cutting its connections."""
        name = make_url(url).database
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def drop_all(self) -> None:
        """Drop every database this object created."""
        with self.admin.connect() as conn:
            for name in self.created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[PostgresDatabases]:
    """Throw-away PostgreSQL databases (skips without PIP_TEST_POSTGRES_URL)."""
    databases = PostgresDatabases(postgres_url())
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def pg_engine(pg_databases: PostgresDatabases) -> Iterator[Engine]:
    """One migrated PostgreSQL database for the whole run; tests clean up after themselves."""
    engine = make_engine(pg_databases.create())
    migrate(engine)
    yield engine
    engine.dispose()


def _truncate(engine: Engine) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    """A migrated database: a fresh SQLite file, or the shared PostgreSQL one emptied after."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'pip.db'}")
        migrate(eng)
        yield eng
        eng.dispose()
    else:
        eng = request.getfixturevalue("pg_engine")
        yield eng
        _truncate(eng)


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions on the test database."""
    return make_session_factory(engine)


@pytest.fixture
def db(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for arranging and asserting."""
    with session_factory() as session:
        yield session


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    """A fake Slack Web API with the cast of the tests as users."""
    with FakeSlack(bot_token=BOT_TOKEN).start() as fake:
        fake.add_user(MANAGER, name="maria", real_name="Maria Manager", tz="Europe/Berlin")
        fake.add_user(EMPLOYEE, name="eli", real_name="Eli Employee", tz="America/New_York")
        fake.add_user(HR, name="hana", real_name="Hana HR", tz="Europe/London")
        fake.add_user(OTHER_MANAGER, name="otto", real_name="Otto Other", tz="Europe/Berlin")
        fake.add_user(OUTSIDER, name="olga", real_name="Olga Outsider", tz="UTC")
        fake.add_user("UBOTTY", name="botty", is_bot=True)
        fake.add_user("UGONE", name="gone", deleted=True)
        fake.add_channel(HR_CHANNEL)
        yield fake


@pytest.fixture
def settings(slack: FakeSlack) -> Settings:
    """Settings pointing at the fake Slack."""
    return Settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.url,
        hr_channel_id=HR_CHANNEL,
        hr_user_ids=frozenset({HR}),
        # HR is configured, so `auto` would mean `hr`: the tests of plans sent without an HR
        # decision say `none`; tests/handlers/test_approval.py asks for `hr`.
        plan_approval="none",
    )


@pytest.fixture
def intake() -> Intake | None:
    """Where the app hands plan forms to be written: none, so they are written inline
    (tests/handlers/test_plan_writer.py gives one)."""
    return None


@pytest.fixture
def driver(
    settings: Settings,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
    dispatcher: Dispatcher,
    intake: Intake | None,
) -> Iterator[SlackDriver]:
    """The real app, driven with signed requests."""
    executor = TrackingExecutor()
    app = create_app(
        settings,
        session_factory,
        make_client(settings),
        listener_executor=executor,
        dispatcher=dispatcher,
        intake=intake,
    )
    yield SlackDriver(app, slack, executor, SIGNING_SECRET, dispatcher)
    executor.shutdown(wait=True)


@pytest.fixture
def dispatcher(settings: Settings, session_factory: sessionmaker[Session]) -> Dispatcher:
    """The outbox dispatcher the app kicks; tests tick it themselves under a frozen clock.

    Its pacer waits on an `InstantClock`: the wall clock is frozen, so real waiting would
    only add per-channel seconds (tests/scheduler/test_drain.py paces in real time).
    """
    return Dispatcher(
        session_factory, make_delivery_client(settings), settings, clock=InstantClock()
    )


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> Iterator[time_machine.Coordinates]:
    """Time frozen at the test module's OPENED instant, moved on by the test."""
    with time_machine.travel(request.module.OPENED, tick=False) as traveller:
        yield traveller


@pytest.fixture
def plan(
    request: pytest.FixtureRequest,
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    session_factory: sessionmaker[Session],
) -> Plan:
    """A plan opened through the form, starting on the module's OPENED day."""
    from tests.plan_helpers import open_plan

    return open_plan(driver, session_factory, request.module.OPENED.date())


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # type: ignore[no-untyped-def]
    """Say how many PostgreSQL tests ran, so that CI output shows they were not skipped."""
    counts: dict[str, int] = {}
    for outcome in ("passed", "failed", "error", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            if "postgres" in getattr(report, "keywords", {}) and report.when in ("call", "setup"):
                if outcome == "passed" and report.when != "call":
                    continue
                counts[outcome] = counts.get(outcome, 0) + 1
    summary = (
        ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "none collected"
    )
    terminalreporter.write_line(f"PostgreSQL tests: {summary}")
