"""Requests first: while the process answers Slack's requests, the dispatcher posts one at a time.

Slack shows an error when a request is not answered within 3 seconds; a DM posted a moment
later is no loss. Every thread of the web process shares one interpreter lock, and the
dispatcher's workers (rendering, the database, the Web API) took so much of it during a burst
of plan forms that the forms' acknowledgements waited: on PostgreSQL their p99 was 1.80-1.98x
the bare-Bolt floor with the dispatcher sending, 0.96x with it off (bench/README.md). So the
app marks each request it is answering (`request`), and each delivery runs in `background`:
as many at once as the dispatcher likes while no request is being answered, one at a time
while one is. The dispatcher never stops: a steady stream of requests slows it, no more.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

WHILE_BUSY = 1  # deliveries at once while a request is being answered


class Foreground:
    """Counts the requests being answered; background work gives way to them.

    `background` is not re-entrant: a piece of background work must not start another
    inside it (only `Dispatcher._send_group` uses it, once per delivery). Work that queued
    while requests were answered goes on one at a time until the queue is through, even
    once none is: let go together whenever the app was idle for a moment, they measured
    1.81x and 1.42x the floor on PostgreSQL, where one at a time stayed at or under 1.39x
    in every run (bench/README.md).
    """

    def __init__(self, while_busy: int = WHILE_BUSY) -> None:
        self._lock = threading.Lock()
        self._answering = 0
        self._slots = threading.Semaphore(while_busy)

    @property
    def busy(self) -> bool:
        """True while at least one request is being answered."""
        return self._answering > 0

    @contextmanager
    def request(self) -> Iterator[None]:
        """Around the answer to one request (until it is acknowledged)."""
        with self._lock:
            self._answering += 1
        try:
            yield
        finally:
            with self._lock:
                self._answering -= 1

    @contextmanager
    def background(self) -> Iterator[None]:
        """Around one piece of background work: alone while a request is being answered.

        Whether to wait is decided on entry: work that began while all was quiet finishes
        without waiting for a request that arrived meanwhile.
        """
        if not self.busy:
            yield
            return
        with self._slots:
            yield
