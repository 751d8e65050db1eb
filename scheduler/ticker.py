"""APScheduler as the clock: a periodic wake-up of the dispatcher, and its housekeeping."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

from models import utcnow
from scheduler.dispatcher import Dispatcher

logger = logging.getLogger(__name__)
INTERVAL_SECONDS = 30
HOUSEKEEPING_SECONDS = 300


def start_ticker(dispatcher: Dispatcher, interval: int = INTERVAL_SECONDS) -> BackgroundScheduler:
    """Wake the dispatcher now and every `interval` seconds, and keep profiles fresh.

    The database, not these jobs, is the truth: a wake-up finds whatever is due.
    """
    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.add_job(
        dispatcher.wake,
        "interval",
        seconds=interval,
        id="dispatch",
        coalesce=True,
        max_instances=1,
        next_run_time=datetime.now(UTC),
        misfire_grace_time=interval,
    )
    scheduler.add_job(
        _housekeeping,
        "interval",
        args=[dispatcher],
        seconds=HOUSEKEEPING_SECONDS,
        id="housekeeping",
        coalesce=True,
        max_instances=1,
        next_run_time=datetime.now(UTC),
        misfire_grace_time=HOUSEKEEPING_SECONDS,
    )
    scheduler.start()
    return scheduler


def _housekeeping(dispatcher: Dispatcher) -> None:
    # Failing housekeeping (database briefly away, say) must not stop the clock.
    try:
        if dispatcher.refresh_profiles(utcnow()):
            dispatcher.wake()  # a moved time zone may have made prompts due
    except Exception:
        logger.exception("housekeeping failed; retrying on the next run")
