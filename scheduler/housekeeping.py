"""The daily housekeeping: forget old Slack event ids, delete plans past retention, settle
the organisation's totals and the closed plans' lines of the report."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from models import utcnow
from services import events, report_facts, retention, tallies
from services.retention import PurgeRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Housekept:
    """What one housekeeping run did."""

    forgotten_events: int
    purge: PurgeRun | None
    report_lines: int = 0  # closed plans' lines of the report written or mended


def housekeeping(
    sessions: sessionmaker[Session], settings: Settings, now: datetime | None = None
) -> Housekept:
    """Forget processed event ids older than a day; under RETENTION_DAYS, delete old plans;
    recount the totals into one row (services.tallies); write the closed plans' report lines
    missing or mended (services.report_facts)."""
    now = now or utcnow()
    try:
        with sessions() as db:
            forgotten = events.forget_old(db, now)
            db.commit()
        run = None
        if settings.retention_days is not None:
            with sessions() as db:
                run = retention.purge(
                    db, now, settings.retention_days, hr_channel_id=settings.hr_channel_id
                )
                db.commit()
            logger.info(
                "retention: %d plan(s) closed before %s deleted, %d kept on legal hold",
                len(run.deleted),
                run.before.isoformat(),
                run.held,
            )
        with sessions() as db:  # after the purge: the recount sees what it deleted
            tallies.settle(db)
            db.commit()
    finally:
        # Whatever failed above: a kept line is checked again only for RECHECK_DAYS.
        lines = report_facts.settle(sessions, now)
    logger.info(
        "housekeeping: %d processed event id(s) forgotten, %d closed plan(s)' report line(s) "
        "written",
        forgotten,
        lines,
    )
    return Housekept(forgotten, run, lines)
