"""APScheduler as the clock: one in-memory interval job that runs the dispatcher."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from scheduler.dispatcher import Dispatcher
from scheduler.housekeeping import housekeeping

logger = logging.getLogger(__name__)
INTERVAL_SECONDS = 30
HOUSEKEEPING_HOURS = 24


def start_ticker(dispatcher: Dispatcher, interval: int = INTERVAL_SECONDS) -> BackgroundScheduler:
    """Start ticking now and every `interval` seconds; the database, not this job, is the truth."""
    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.add_job(
        _safe_tick,
        "interval",
        args=[dispatcher],
        seconds=interval,
        id="dispatch",
        coalesce=True,
        max_instances=1,
        next_run_time=datetime.now(UTC),
        misfire_grace_time=interval,
    )
    scheduler.add_job(
        _daily_housekeeping,
        "interval",
        args=[dispatcher],
        hours=HOUSEKEEPING_HOURS,
        id="daily_housekeeping",
        coalesce=True,
        max_instances=1,
        next_run_time=datetime.now(UTC) + timedelta(minutes=1),
        misfire_grace_time=3600,
    )
    scheduler.start()
    return scheduler


def _daily_housekeeping(dispatcher: Dispatcher) -> None:
    # Daily: forget old Slack event ids and delete plans past RETENTION_DAYS.
    try:
        housekeeping(dispatcher.sessions, dispatcher.settings)
    except Exception:
        logger.exception("housekeeping failed; it runs again tomorrow")


def _safe_tick(dispatcher: Dispatcher) -> None:
    # A failing tick (database briefly away, say) must not stop the clock: the next one retries.
    try:
        dispatcher.tick()
    except Exception:
        logger.exception("dispatcher tick failed; retrying on the next tick")
