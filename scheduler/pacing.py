"""Keeping to Slack's rate limits: a bucket per Web API method, one post a second per channel.

One `Pacer` is shared by every thread of a process. Before a call a thread asks for a slot:

- per method, slots are spaced evenly at the method's rate divided by the live dispatchers of
  the fleet (`share`), so several replicas together stay under Slack's limit;
- per channel (for posting), slots are at least `channel_interval` seconds apart;
- after a 429 the method is paused for every thread until its `Retry-After` has passed.

Time passes for the pacer when either clock says so: the monotonic clock (real pacing) or
the wall clock of `models.utcnow` (which tests move with time_machine instead of sleeping; in
production the two agree). Pauses are wall-clock instants, so that a delivery given back until
a pause ends is due again exactly then. Waiting is always on the monotonic clock (`clock`,
which tests under a frozen wall clock replace with one whose waits take no time).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from slack_sdk.errors import SlackApiError

from models import utcnow

T = TypeVar("T")

# Calls a second, from Slack's published tiers (Tier 2: 20+/min, Tier 3: 50+/min, Tier 4:
# 100+/min). chat.postMessage has no published workspace limit: Settings.post_rate sets it.
TIER_2 = 20 / 60
TIER_3 = 50 / 60
TIER_4 = 100 / 60
METHOD_RATES: dict[str, float] = {
    "auth.test": TIER_4,
    "users.info": TIER_4,
    "conversations.open": TIER_3,
    "conversations.history": TIER_3,
    "conversations.replies": TIER_3,
    "files.getUploadURLExternal": TIER_4,
    "files.completeUploadExternal": TIER_4,
}
DEFAULT_RATE = TIER_3
POST = "chat.postMessage"
# A little under the limit: clocks and networks jitter, and a 429 costs a whole second.
HEADROOM = 0.97
CHANNEL_INTERVAL = 1.1
# Other methods may burst this many calls ("sporadic bursts welcome"); posts never burst, so
# that the replicas of a fleet, each at its share, never add up to more than the limit.
BURST = 5.0
# Waiting out a pause longer than this gives the delivery back instead of holding a thread.
MAX_WAIT = 10.0


class Stopping(Exception):
    """The process is shutting down: the call was not made."""


class Paused(Exception):
    """The method is paused by a 429 for longer than a thread should wait."""

    def __init__(self, until: datetime) -> None:
        super().__init__(f"paused until {until.isoformat()}")
        self.until = until


class Clock(Protocol):
    """The monotonic clock a pacer reads and waits on."""

    def now(self) -> float:
        """Monotonic seconds."""
        ...

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        """Wait `seconds`, less if `stop` is set; True when it is."""
        ...


class Monotonic:
    """Real time: `time.monotonic`, waited on with the stop event."""

    def now(self) -> float:
        """Monotonic seconds."""
        return time.monotonic()

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        """Wait `seconds`, less if `stop` is set; True when it is."""
        return stop.wait(seconds)


class Pacer:
    """Process-wide slots for Slack calls (see the module docstring)."""

    def __init__(
        self,
        post_rate: float,
        *,
        rates: dict[str, float] | None = None,
        channel_interval: float = CHANNEL_INTERVAL,
        share: Callable[[], int] = lambda: 1,
        stop: threading.Event | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.clock: Clock = clock or Monotonic()
        self.rates = {**METHOD_RATES, **(rates or {}), POST: post_rate}
        self.channel_interval = channel_interval
        self.share = share
        self.stop = stop or threading.Event()
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float, float]] = {}
        self._next_in_channel: dict[str, tuple[float, float]] = {}
        self._posted: dict[str, tuple[float, float]] = {}
        self._paused: dict[str, datetime] = {}

    def rate(self, method: str) -> float:
        """This process's calls a second for `method`: its share of the fleet's."""
        return self.rates.get(method, DEFAULT_RATE) * HEADROOM / max(1, self.share())

    def acquire(self, method: str, channel: str | None = None) -> None:
        """Wait for a slot to call `method` (in `channel`); raise Stopping or Paused instead."""
        self._wait_out_pause(method)
        if channel is not None:
            self._sleep_until(self._reserve_channel(channel))
            self._wait_out_pause(method)
        self._sleep_until(self._reserve(method))
        self._wait_out_pause(method)  # a 429 may have come in while this thread slept
        if channel is not None:
            # The last post there may have gone out later than its slot (it waited for the
            # method): keep a full interval after it actually went.
            while (wait := self._post_in_channel(channel)) > 0:
                self._sleep_until(self.clock.now() + wait)
        if self.stop.is_set():
            raise Stopping

    def pause(self, method: str, seconds: float) -> datetime:
        """Stop every thread calling `method` for `seconds` (a 429's Retry-After)."""
        until = utcnow() + timedelta(seconds=seconds)
        with self._lock:
            current = self._paused.get(method)
            if current is None or until > current:
                self._paused[method] = until
            return self._paused[method]

    def answered(self, channel: str) -> None:
        """A post in `channel` was answered: the next waits a full interval from now, since
        the request may have reached Slack later than its slot (a busy machine)."""
        with self._lock:
            self._posted[channel] = self._now()

    def paused_until(self, method: str) -> datetime | None:
        """When the pause of `method` ends, if it is paused now."""
        with self._lock:
            until = self._paused.get(method)
        return until if until is not None and until > utcnow() else None

    # -- internals

    def _wait_out_pause(self, method: str) -> None:
        seen: datetime | None = None
        while (until := self.paused_until(method)) is not None and until != seen:
            remaining = (until - utcnow()).total_seconds()
            if remaining > MAX_WAIT:
                raise Paused(until)
            seen = until
            # Slept on the monotonic clock, once per pause: under a frozen test clock the
            # wall-clock remainder never shrinks.
            self._sleep_until(self.clock.now() + remaining)

    def _reserve(self, method: str) -> float:
        """The monotonic instant of this caller's slot: a token bucket that may go into debt,
        so that callers queue in order instead of racing for each new token."""
        rate = self.rate(method)
        burst = 1.0 if method == POST else BURST
        with self._lock:
            mono, wall = self._now()
            tokens, last_mono, last_wall = self._buckets.get(method, (burst, mono, wall))
            elapsed = max(mono - last_mono, wall - last_wall, 0.0)
            tokens = min(burst, tokens + elapsed * rate) - 1.0
            self._buckets[method] = (tokens, mono, wall)
            return mono if tokens >= 0 else mono - tokens / rate

    def _reserve_channel(self, channel: str) -> float:
        """The monotonic instant of this caller's slot in `channel`."""
        with self._lock:
            mono, wall = self._now()
            next_mono, next_wall = self._next_in_channel.get(channel, (mono, wall))
            wait = max(0.0, min(next_mono - mono, next_wall - wall))
            self._next_in_channel[channel] = (
                mono + wait + self.channel_interval,
                wall + wait + self.channel_interval,
            )
            if len(self._next_in_channel) > 10_000:
                self._next_in_channel = {
                    c: t for c, t in self._next_in_channel.items() if t[0] > mono
                }
            return mono + wait

    def _post_in_channel(self, channel: str) -> float:
        """Seconds still to wait since the last post in `channel`; 0 and noted when none."""
        with self._lock:
            mono, wall = self._now()
            last_mono, last_wall = self._posted.get(channel, (mono - 1e9, wall - 1e9))
            wait = max(
                0.0,
                min(
                    last_mono + self.channel_interval - mono,
                    last_wall + self.channel_interval - wall,
                ),
            )
            if wait == 0.0:
                self._posted[channel] = (mono, wall)
                if len(self._posted) > 10_000:
                    self._posted = {
                        c: t for c, t in self._posted.items() if t[0] > mono - self.channel_interval
                    }
            return wait

    def _sleep_until(self, moment: float) -> None:
        delay = moment - self.clock.now()
        if self.stop.is_set() or (delay > 0 and self.clock.wait(self.stop, delay)):
            raise Stopping

    def _now(self) -> tuple[float, float]:
        return self.clock.now(), utcnow().timestamp()


def retry_after(error: SlackApiError) -> float:
    """The seconds a 429 asks us to wait (at least 1)."""
    try:
        return max(1.0, float(error.response.headers.get("Retry-After", "1") or 1))
    except (TypeError, ValueError):
        return 1.0


def is_rate_limited(error: SlackApiError) -> bool:
    """True when Slack answered 429 / ratelimited."""
    return bool(error.response.status_code == 429 or error.response.get("error") == "ratelimited")


def paced(pacer: Pacer | None, method: str, call: Callable[[], T], channel: str | None = None) -> T:
    """Make `call` (a call of `method`) in a slot of `pacer`; a 429 pauses the method."""
    if pacer is None:
        return call()
    pacer.acquire(method, channel)
    try:
        return call()
    except SlackApiError as error:
        if is_rate_limited(error):
            pacer.pause(method, retry_after(error))
        raise
    finally:
        if channel is not None:
            pacer.answered(channel)
