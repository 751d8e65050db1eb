"""The plan writer's own process: read jobs from the web process and write them in turn."""

from __future__ import annotations

import logging
import os
import signal
from collections import deque
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

logger = logging.getLogger("pipbot.plan_writer")
SEEN = 10_000  # job numbers remembered, to skip one the web process sends again


def lower_priority() -> str:
    """Take only the CPU time the web process leaves: SCHED_BATCH (no preempting it when this
    process wakes) at nice 19 (a small share, never none); what Linux allows of that.

    The web process answers Slack within 3 seconds; a plan written a second later is no loss.
    SCHED_IDLE measured no better (bench/README.md), and it would wait for ever on a machine
    kept busy.
    """
    done = []
    try:
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
        done.append("batch")
    except (AttributeError, OSError):  # not Linux, or not allowed
        pass
    try:
        os.nice(19 - os.nice(0))
        done.append("nice 19")
    except (AttributeError, OSError):
        pass
    return ", ".join(done) or "unchanged"


def main(settings: Any, conn: Connection) -> None:
    """Write each job's plan until the web process sends None or is gone."""
    # The web process decides when this one stops (it sends None after the last job): a
    # terminal's Ctrl-C or a service manager's SIGTERM to the whole group must not cut a
    # plan in half.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)

    import logs
    from bot import make_client
    from db import make_engine, make_session_factory
    from handlers.context import form_key
    from handlers.plan_intake import PlanWriter
    from views import prose

    logs.configure(settings.log_format, settings.log_level)
    if settings.template_overrides:
        prose.use_overrides(Path(settings.template_overrides))
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    writer = PlanWriter(settings, make_client(settings), form_key(settings))
    seen: deque[int] = deque(maxlen=SEEN)
    priority = lower_priority()  # after start-up: a busy machine must not hold that up
    logger.info("plan writer ready (CPU priority: %s)", priority)
    try:
        while True:
            try:
                item = conn.recv()
            except (EOFError, OSError):
                logger.warning("the web process is gone; the plan writer stops")
                return
            if item is None:
                return
            number, job = item
            if number in seen:
                continue
            seen.append(number)
            conn.send(("started", number))
            with sessions() as db:
                try:
                    writer.write(db, job)
                except Exception:  # noqa: BLE001 - one plan must not stop the others
                    db.rollback()
                    logger.exception("could not answer a plan form; it still holds what was typed")
            conn.send(("done", number))  # a plan, or HR's notice of a refusal, may be owed
    finally:
        engine.dispose()
        conn.close()
