"""Requests first: while the process answers Slack's requests, the dispatcher posts one at a time.

Slack shows an error when a request is not answered within 3 seconds; a DM posted a moment
later is no loss. Every thread of the web process shares one interpreter lock, and the
dispatcher's workers (rendering, the database, the Web API) took so much of it during a burst
of plan forms that the forms' acknowledgements waited: on PostgreSQL their p99 was 1.80-1.98x
the bare-Bolt floor with the dispatcher sending, 0.96x with it off (bench/README.md). So the
app marks each request it is answering (`request`), and each delivery runs in `background`:
as many at once as the dispatcher likes while no request is being answered, one at a time
while one is, and all that waited go again side by side as soon as none is. The dispatcher
never stops: a steady stream of requests slows it, no more.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

WHILE_BUSY = 1  # deliveries at once while a request is being answered


class Foreground:
    """Counts the requests being answered; background work gives way to them.

    `background` is not re-entrant: a piece of background work must not start another
    inside it (only `Dispatcher._send_group` uses it, once per delivery).
    """

    def __init__(self, while_busy: int = WHILE_BUSY) -> None:
        self._changed = threading.Condition()
        self._answering = 0
        self._running = 0
        self._while_busy = while_busy

    @property
    def busy(self) -> bool:
        """True while at least one request is being answered."""
        return self._answering > 0

    @contextmanager
    def request(self) -> Iterator[None]:
        """Around the answer to one request (until it is acknowledged)."""
        with self._changed:
            self._answering += 1
        try:
            yield
        finally:
            with self._changed:
                self._answering -= 1
                if not self._answering:
                    self._changed.notify_all()  # whatever waited goes at once, side by side

    @contextmanager
    def background(self) -> Iterator[None]:
        """Around one piece of background work: while a request is being answered, it waits
        until fewer than `while_busy` pieces are running (work already running finishes)."""
        with self._changed:
            while self._answering and self._running >= self._while_busy:
                self._changed.wait()
            self._running += 1
        try:
            yield
        finally:
            with self._changed:
                self._running -= 1
                self._changed.notify_all()
