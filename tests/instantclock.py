"""A pacer clock for tests under a frozen wall clock: its waits take no time."""

from __future__ import annotations

import threading
import time


class InstantClock:
    """Monotonic seconds that move on by exactly what the pacer waits, at once.

    The pacer still computes every slot (per method, per channel, after a 429); only the
    waiting is skipped, so a test that posts forty times in one DM does not sit through
    forty real seconds of per-channel pacing.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._now = time.monotonic()

    def now(self) -> float:
        """Monotonic seconds, as far as the pacer has waited."""
        with self._lock:
            return self._now

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        """Move on by `seconds` at once; True when `stop` is set."""
        with self._lock:
            self._now += seconds
        return stop.is_set()
