"""APScheduler as the clock: a periodic wake-up of the dispatcher, and housekeeping."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from models import utcnow
from scheduler.dispatcher import Dispatcher
from scheduler.housekeeping import housekeeping

logger = logging.getLogger(__name__)
INTERVAL_SECONDS = 30
PROFILES_SECONDS = 300
HOUSEKEEPING_HOURS = 24


def start_ticker(dispatcher: Dispatcher, interval: int = INTERVAL_SECONDS) -> BackgroundScheduler:
    """Wake the dispatcher now and every `interval` seconds, keep profiles fresh, and run the
    daily housekeeping. The database, not these jobs, is the truth: a wake-up finds whatever
    is due."""
    scheduler = BackgroundScheduler(timezone=UTC)
    now = datetime.now(UTC)
    jobs = [
        ("dispatch", dispatcher.wake, [], interval, now, interval),
        ("housekeeping", _refresh_profiles, [dispatcher], PROFILES_SECONDS, now, PROFILES_SECONDS),
        (
            "daily_housekeeping",
            _daily_housekeeping,
            [dispatcher],
            HOUSEKEEPING_HOURS * 3600,
            now + timedelta(minutes=1),
            3600,
        ),
    ]
    for job_id, run, args, seconds, first, grace in jobs:
        scheduler.add_job(
            run,
            "interval",
            args=args,
            seconds=seconds,
            id=job_id,
            coalesce=True,
            max_instances=1,
            next_run_time=first,
            misfire_grace_time=grace,
        )
    scheduler.start()
    return scheduler


def _refresh_profiles(dispatcher: Dispatcher) -> None:
    # Profiles not read for a day (time zones move); failing must not stop the clock.
    try:
        if dispatcher.refresh_profiles(utcnow()):
            dispatcher.wake()  # a moved time zone may have made prompts due
    except Exception:
        logger.exception("refreshing profiles failed; retrying on the next run")


def _daily_housekeeping(dispatcher: Dispatcher) -> None:
    # Daily: forget old Slack event ids and delete plans past RETENTION_DAYS.
    try:
        housekeeping(dispatcher.sessions, dispatcher.settings)
    except Exception:
        logger.exception("housekeeping failed; it runs again tomorrow")
