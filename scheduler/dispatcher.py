"""The dispatcher: drains the outbox while anything is due, posting in parallel, exactly once.

One thread per process (`start`) waits on a wake-up event: listeners set it after they made
something due (`kick`), the ticker sets it periodically, and the thread itself wakes when the
next delivery falls due. Each wake-up drains: claim a batch, post it from a small pool (one
worker per plan, so a plan's messages keep their order), claim the next
batch while the last one is still going, until nothing is due. Slack's limits are kept by the
process-wide `Pacer`; a fleet of replicas shares them through heartbeat rows. While the app is
answering a request, deliveries go one at a time (`Foreground`, scheduler/foreground.py).

Tests drive the same code inline: `tick()` drains (under a frozen clock) and returns when done.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from logs import delivery_context
from models import Delivery, utcnow
from scheduler.foreground import Foreground
from scheduler.pacing import POST, Clock, Pacer, Paused, Stopping
from scheduler.sender import LEASE, PacedLookups, Sender
from services import fleet, outbox, users
from slackio.status import refresh_statuses

__all__ = ["LEASE", "Dispatcher"]

logger = logging.getLogger(__name__)

BATCH = 10  # the smallest claim (unless a fixed `batch` is asked for)
WORKERS = 32  # mostly waiting: for a slot, a channel, an answer
BATCH_SECONDS = 3.0  # claim about this many seconds' worth of posts at a time
HEARTBEAT_EVERY = 2.0
IDLE_WAIT = 30.0  # the longest sleep between drains; the ticker wakes us as often
REFRESH_BATCH = 20


class Dispatcher(Sender):
    """Sends what the outbox owes; safe to run in many threads, processes and replicas."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        client: WebClient,
        settings: Settings,
        *,
        lease: timedelta = LEASE,
        batch: int | None = None,
        workers: int = WORKERS,
        pacer: Pacer | None = None,
        clock: Clock | None = None,
        foreground: Foreground | None = None,
    ) -> None:
        self._stop = pacer.stop if pacer is not None else threading.Event()
        self._live = 1
        pacer = pacer or Pacer(
            settings.post_rate, share=lambda: self._live, stop=self._stop, clock=clock
        )
        super().__init__(session_factory, client, settings, pacer, lease=lease)
        self.batch = batch
        self.workers = workers
        # The app marks the requests it answers here; deliveries give way to them.
        self.foreground = foreground or Foreground()
        self._wake = threading.Event()
        self._drain_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dispatch")
        self._thread: threading.Thread | None = None
        self._name = f"{socket.gethostname()}:{os.getpid()}"
        self._beat_at = float("-inf")

    # -- driven inline (tests, the ticker's housekeeping)

    def tick(self) -> int:
        """Refresh day-old profiles, then send everything due now; returns how many posted."""
        now = utcnow()
        if self.paused_until and now < self.paused_until:
            return 0
        self.refresh_profiles(now)
        return self.drain()

    def run_pending(self) -> int:
        """Tick now if a listener asked for it (tests; a running process's thread does this)."""
        if not self._wake.is_set():
            return 0
        self._wake.clear()
        return self.tick()

    def refresh_profiles(self, now: datetime, limit: int = REFRESH_BATCH) -> int:
        """Re-read a few plan participants not read for a day (time zones move)."""
        with self.sessions() as db:
            stale = users.stale_participants(db, now, limit, older_than=users.REFRESH_AFTER)
            db.commit()
        refreshed = 0
        for user_id in stale:
            with self.sessions() as db:
                try:
                    self.directory.profile(db, user_id, fresh=True)
                except (SlackApiError, OSError, Stopping, Paused) as error:
                    logger.warning("could not refresh %s: %s", user_id, error)
                    db.rollback()
                    continue
                db.commit()
                refreshed += 1
        return refreshed

    def drain(self) -> int:
        """Claim and send batch after batch until nothing is due; returns how many posted."""
        with self._drain_lock:
            return self._drain()

    # -- the process's own thread

    def kick(self) -> None:
        """Wake the dispatcher: a listener made something due. Never sends on the caller's
        thread and never raises."""
        if self.settings.scheduler_enabled:
            self._wake.set()

    wake = kick

    def start(self) -> None:
        """Run the dispatcher thread; it drains at once, then whenever woken or due."""
        if self._thread is not None:
            return
        self._wake.set()
        self._thread = threading.Thread(target=self._run, name="dispatcher", daemon=True)
        self._thread.start()

    def stop_claiming(self) -> None:
        """Claim nothing more and start no new post (safe in a signal handler)."""
        self._stop.set()
        self._wake.set()

    def stop(self, grace: float) -> bool:
        """Stop claiming, let posts in flight finish within `grace` seconds, give back what
        was claimed but not started. True when everything stopped in time."""
        self.stop_claiming()
        stopped = True
        if self._thread is not None:
            self._thread.join(grace)
            stopped = not self._thread.is_alive()
        try:
            with self.sessions() as db:
                fleet.leave(db, self._name)
                db.commit()
        except Exception:  # noqa: BLE001 - shutting down: the row expires by itself
            logger.warning("could not leave the fleet; the heartbeat row will expire")
        self._pool.shutdown(wait=False, cancel_futures=True)
        return stopped

    @property
    def stopping(self) -> bool:
        """True once stop() was called."""
        return self._stop.is_set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._heartbeat(utcnow())  # idle replicas count too: the fleet's share is known
            except Exception:  # noqa: BLE001 - the database may be briefly away
                logger.warning("could not write the dispatcher heartbeat")
            self._wake.wait(min(self._idle_wait(), 2 * HEARTBEAT_EVERY))
            if self._stop.is_set():
                break
            self._wake.clear()
            try:
                self.drain()
            except Exception:
                logger.exception("draining the outbox failed; retrying shortly")
                self._stop.wait(1.0)

    def _idle_wait(self) -> float:
        """Seconds until the next delivery falls due (at most IDLE_WAIT)."""
        now = utcnow()
        if self.paused_until and now < self.paused_until:
            return min(IDLE_WAIT, (self.paused_until - now).total_seconds())
        try:
            with self.sessions() as db:
                due = outbox.next_due(db)
                db.rollback()
        except Exception:  # noqa: BLE001 - the database may be briefly away: try later
            logger.warning("could not read when the next delivery is due")
            return 1.0
        if due is None:
            return IDLE_WAIT
        ahead = (due - now).total_seconds()
        # Due already but not claimable (another replica holds it): look again in a second.
        return 1.0 if ahead <= 0 else min(IDLE_WAIT, ahead)

    # -- draining

    def _batch_size(self) -> int:
        if self.batch is not None:
            return self.batch
        return max(BATCH, int(self.pacer.rate(POST) * BATCH_SECONDS))

    def _drain(self) -> int:
        # Away statuses of people owed a check-in now, at most an hour old (issue 13).
        lookups: Any = PacedLookups(self.client, self.pacer)
        refresh_statuses(self.sessions, lookups, utcnow())
        posted = 0
        in_flight: dict[Future[int], int] = {}
        horizon = time.monotonic() + self.lease.total_seconds() / 2
        exhausted = False
        try:
            while not self._stop.is_set():
                now = utcnow()
                if self.paused_until and now < self.paused_until:
                    break
                self._heartbeat(now)
                size = self._batch_size()
                backlog = sum(in_flight.values())
                may_claim = time.monotonic() < horizon and (not exhausted or not in_flight)
                if backlog <= size // 2 and may_claim:
                    groups = self._claim(now, size)
                    if groups:
                        exhausted = False
                        for owner, ids in groups:
                            future = self._pool.submit(self._send_group, owner, ids)
                            in_flight[future] = len(ids)
                        continue
                    exhausted = True
                if not in_flight:
                    break
                done, _ = wait(list(in_flight), timeout=1.0, return_when=FIRST_COMPLETED)
                for future in done:
                    del in_flight[future]
                    posted += future.result()
        finally:
            for future in list(in_flight):
                posted += future.result()
        return posted

    def _claim(self, now: datetime, limit: int) -> list[tuple[str, list[int]]]:
        """Lease up to `limit` due deliveries; returns them grouped by plan (or recipient,
        for messages of no plan), most urgent group first, each in the order it fell due.

        A plan's messages go one after another: rendering one may create or change what
        another reads (its check-ins, what a backlog folds), and a person's DM keeps order.
        """
        owner = f"{self._name}:{uuid.uuid4().hex[:8]}"
        with self.sessions() as db:
            ids = outbox.claim_due(db, owner, now, self.lease, limit)
            db.commit()
            if not ids:
                return []
            rows = db.execute(
                select(
                    Delivery.id,
                    Delivery.plan_id,
                    Delivery.recipient_id,
                    Delivery.kind,
                    Delivery.next_attempt_at,
                ).where(Delivery.id.in_(ids))
            ).all()
            db.rollback()
        groups: dict[str, list[int]] = {}
        urgency: dict[str, tuple[int, datetime]] = {}
        for delivery_id, plan_id, recipient, kind, due in sorted(rows, key=lambda r: (r[4], r[0])):
            key = f"plan:{plan_id}" if plan_id is not None else f"to:{recipient}"
            groups.setdefault(key, []).append(delivery_id)
            rank = (0 if kind in outbox.URGENT_KINDS else 1, due)
            urgency[key] = min(urgency.get(key, rank), rank)
        ranked = sorted(groups, key=lambda k: urgency[k])
        return [(owner, groups[key]) for key in ranked]

    def _send_group(self, owner: str, ids: list[int]) -> int:
        """Post one group's claimed deliveries in order; give back the rest on stop."""
        posted = 0
        for index, delivery_id in enumerate(ids):
            # Looked at once its turn has come: it may have waited for requests meanwhile.
            with delivery_context(delivery_id), self.foreground.background():
                blocked = self._stop.is_set() or bool(
                    self.paused_until and utcnow() < self.paused_until
                )
                if blocked:
                    self._give_back(ids[index:], owner)
                    break
                try:
                    posted += self.deliver(delivery_id, owner)
                except Exception:
                    # The rest still goes; this one is retried when its lease ends.
                    logger.exception("delivery %s failed unexpectedly", delivery_id)
        return posted

    def _give_back(self, ids: list[int], owner: str) -> None:
        at = self.paused_until if self.paused_until and not self._stop.is_set() else utcnow()
        with self.sessions() as db:
            outbox.release(db, ids, owner, at)
            db.commit()

    def _heartbeat(self, now: datetime) -> None:
        """Say we are alive and count the fleet, every few seconds."""
        if time.monotonic() - self._beat_at < HEARTBEAT_EVERY:
            return
        self._beat_at = time.monotonic()
        with self.sessions() as db:
            fleet.beat(db, self._name, now)
            db.commit()
            self._live = fleet.live(db, now)
            db.rollback()
