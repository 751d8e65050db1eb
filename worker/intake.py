"""The web process's end of the plan writer: start, feed, watch and stop the child process."""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import pickle
import queue
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from typing import Any

from config import Settings

logger = logging.getLogger(__name__)
RESTART_AFTER = (1.0, 2.0, 5.0, 10.0, 30.0)  # seconds before each restart of a child that died
STEADY_AFTER = 60.0  # a child that ran this long before it died is restarted after 1 s again
_STOP = None


class PlanIntake:
    """Hands acknowledged plan forms to a child process that writes them, one at a time.

    Each child gets its own pipe (a killed process can leave a shared queue's lock held).
    A job stays pending here until the child says it started it; when a child dies, the next
    one gets every pending job again, in order (the child skips one it has seen). A job the
    dead child had started is not sent again: its form still says "saving" and holds what
    was typed, and sent again it finds the plan if that was written. `on_written` runs after
    each job (it wakes the dispatcher for what the job made owed). `submit` never blocks: a
    thread of its own writes to the pipe.

    Jobs wait here already pickled: bytes are nothing the garbage collector walks, and a
    backlog of forms held as dicts made its full passes long enough to show as p99s.
    """

    def __init__(self, settings: Settings, on_written: Callable[[], None]) -> None:
        self._settings = settings
        self._on_written = on_written
        self._mp = multiprocessing.get_context("spawn")  # a fresh interpreter: no copied threads
        self._lock = threading.Lock()
        self._numbers = itertools.count(1)
        self._pending: dict[int, bytes] = {}  # submitted, not yet started by a child
        self._to_send: queue.Queue[bytes | None] = queue.Queue()
        self._process: Any = None
        self._conn: Connection | None = None
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start the child, and the threads that feed it and watch it."""
        with self._lock:
            self._spawn()
        for name, target in (("plan-writer-feed", self._feed), ("plan-writer-watch", self._watch)):
            self._thread(name, target)

    def submit(self, job: Any) -> None:
        """Queue `job` for the child (a handlers.plan_intake.PlanJob)."""
        if self._stopping.is_set():  # a listener still finishing as the bot stops
            logger.warning("a plan form arrived while stopping: it stays open, saving")
            return
        with self._lock:
            number = next(self._numbers)
            # Sent with send_bytes; the child's conn.recv() unpickles it as (number, job).
            data = pickle.dumps((number, job), protocol=pickle.HIGHEST_PROTOCOL)
            self._pending[number] = data
        self._to_send.put(data)

    def stop(self, grace: float) -> None:
        """Let the child write what is queued within `grace` seconds, then end it."""
        with self._lock:  # no restart begins after this
            self._stopping.set()
            process = self._process
        self._to_send.put(_STOP)  # after every job already queued
        # Waiting on the sentinel reaps nothing: the watch thread alone joins the child.
        if process is not None and not wait([process.sentinel], grace):
            logger.warning("the plan writer did not finish in %ss; stopping it", grace)
            process.kill()  # it ignores SIGTERM; an unfinished transaction rolls back
            wait([process.sentinel], 5)
        with self._lock:
            left = len(self._pending)
        if left:
            logger.warning("%s plan form(s) were not written; their forms still say saving", left)
        for thread in self._threads:
            thread.join(2)
        if self._conn is not None:
            self._conn.close()

    def _thread(self, name: str, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _spawn(self) -> None:
        """Start a child (the caller holds the lock, and the intake is not stopping)."""
        from worker.child import main

        ours, theirs = self._mp.Pipe()
        process = self._mp.Process(
            target=main, args=(self._settings, theirs), name="pipbot-plan-writer", daemon=True
        )
        process.start()
        theirs.close()  # the child's end lives in the child: its death closes the pipe here
        self._conn, self._process = ours, process
        self._thread("plan-writer-reports", self._reports, ours)
        logger.info("plan writer started (pid %s)", process.pid)

    def _feed(self) -> None:
        while True:
            item = self._to_send.get()
            conn = self._conn
            try:
                if conn is not None and item is _STOP:
                    conn.send(item)
                elif conn is not None:
                    conn.send_bytes(item)
            except (OSError, ValueError):  # the child is gone: what it missed is still pending
                pass
            except Exception:  # noqa: BLE001 - one job that cannot be sent must not stop the rest
                logger.exception("could not hand a plan form to the plan writer")
            if item is _STOP:
                return

    def _reports(self, conn: Connection) -> None:
        while True:
            try:
                kind, number = conn.recv()
            except (EOFError, OSError):  # this child is gone
                return
            if kind == "started":
                with self._lock:
                    self._pending.pop(number, None)
            elif kind == "done":
                try:
                    self._on_written()
                except Exception:  # noqa: BLE001 - waking the dispatcher must not end the reports
                    logger.exception("could not wake the dispatcher after a plan was written")

    def _watch(self) -> None:
        restarts = 0
        while True:
            process = self._process
            began = time.monotonic()
            process.join()
            if time.monotonic() - began > STEADY_AFTER:
                restarts = 0  # it had been running well: the next restart is quick again
            if self._stopping.is_set():
                return
            delay = RESTART_AFTER[min(restarts, len(RESTART_AFTER) - 1)]
            logger.error(
                "the plan writer stopped (exit code %s); starting it again in %ss",
                process.exitcode,
                delay,
            )
            if self._stopping.wait(delay):
                return
            restarts += 1
            with self._lock:
                if self._stopping.is_set():
                    return
                self._spawn()
                again = [data for _, data in sorted(self._pending.items())]
            for data in again:
                self._to_send.put(data)
