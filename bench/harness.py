"""What the benches share: a fake Slack that times its calls, signed requests sent over HTTP
to a running app, the real bot as a child process, and percentiles.

Everything stays on 127.0.0.1. Benches measure and print; they assert nothing.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from tests.fakeslack import FakeSlack
from tests.process import ROOT, bot_env, free_port
from tests.slackdriver import API_APP_ID, TEAM_ID, sign

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"


@dataclass
class Stamp:
    """One Web API call the fake received, and when (time.monotonic())."""

    method: str
    args: dict[str, Any]
    at: float


class TimedFakeSlack(FakeSlack):
    """The tests' fake Slack, which also notes when each call arrived and can wait for one."""

    def __init__(self) -> None:
        super().__init__(bot_token=TOKEN)
        self.stamps: list[Stamp] = []
        self._arrived = threading.Condition()

    def _record(self, method: str, args: dict, reply: Any, *when: Any) -> None:  # type: ignore[type-arg]
        super()._record(method, args, reply, *when)
        with self._arrived:
            self.stamps.append(Stamp(method, args, time.monotonic()))
            self._arrived.notify_all()

    def _handle_response_url(self, hook_id: str, payload: dict) -> Any:  # type: ignore[type-arg]
        reply = super()._handle_response_url(hook_id, payload)
        with self._arrived:
            self.stamps.append(Stamp("response_url", payload, time.monotonic()))
            self._arrived.notify_all()
        return reply

    def mark(self) -> int:
        """A position in the call log; wait_for looks only at calls after it."""
        with self._arrived:
            return len(self.stamps)

    def wait_for(
        self,
        method: str,
        after: int,
        match: Callable[[dict[str, Any]], bool] = lambda _: True,
        timeout: float = 30.0,
    ) -> float:
        """When the first `method` call after position `after` matching `match` arrived."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                for stamp in self.stamps[after:]:
                    if stamp.method == method and match(stamp.args):
                        return stamp.at
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {method} within {timeout} s")
                self._arrived.wait(left)


class Requests:
    """Signed Slack requests sent over HTTP to an app at `base` (the real bot or the floor)."""

    def __init__(self, base: str, slack: FakeSlack, secret: str = SECRET) -> None:
        self.base = base
        self.slack = slack
        self.secret = secret
        self._events = 0
        self._lock = threading.Lock()

    def _post(self, body: str, content_type: str) -> tuple[int, bytes, float, float]:
        headers = {"content-type": content_type, **sign(self.secret, body)}
        request = urllib.request.Request(
            self.base + "/slack/events", data=body.encode(), headers=headers, method="POST"
        )
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, data = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, data = error.code, error.read()
        return status, data, started, time.monotonic()

    def command(self, user: str, text: str) -> tuple[int, bytes, float, float]:
        """`/pip <text>` from `user`: status, body, sent at, answered at."""
        form = {
            "team_id": TEAM_ID,
            "team_domain": "acme",
            "channel_id": "C0GENERAL",
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/pip",
            "text": text,
            "api_app_id": API_APP_ID,
            "is_enterprise_install": "false",
            "response_url": self.slack.response_url(),
            "trigger_id": self.slack.new_trigger_id(),
        }
        return self._post(urlencode(form), "application/x-www-form-urlencoded")

    def interactive(self, payload: dict[str, Any]) -> tuple[int, bytes, float, float]:
        """A block_actions or view_submission payload."""
        return self.send_form(self.interactive_body(payload))

    def send_form(self, body: str) -> tuple[int, bytes, float, float]:
        """Sign and post a form body built beforehand (see interactive_body)."""
        return self._post(body, "application/x-www-form-urlencoded")

    def interactive_body(self, payload: dict[str, Any]) -> str:
        """The form body of a block_actions or view_submission payload, to send later."""
        payload = {
            "user": {"id": payload.get("user_id"), "team_id": TEAM_ID},
            "team": {"id": TEAM_ID, "domain": "acme"},
            "api_app_id": API_APP_ID,
            "trigger_id": self.slack.new_trigger_id(),
            **{k: v for k, v in payload.items() if k != "user_id"},
        }
        return urlencode({"payload": json.dumps(payload)})

    def event(self, event: dict[str, Any]) -> tuple[int, bytes, float, float]:
        """An Events API callback with a fresh event id."""
        with self._lock:
            self._events += 1
            event_id = f"EvBench{self._events:08d}{time.monotonic_ns() % 10**6:06d}"
        body = json.dumps(
            {
                "type": "event_callback",
                "team_id": TEAM_ID,
                "api_app_id": API_APP_ID,
                "event_id": event_id,
                "event_time": int(time.time()),
                "event": event,
            }
        )
        return self._post(body, "application/json")


class Bot:
    """The real `python bot.py` in HTTP mode on a free port, its output in a file."""

    def __init__(self, database_url: str, slack: FakeSlack, log: Path, **env: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url
        self.log = log
        variables = bot_env(
            SLACK_BOT_TOKEN=TOKEN,
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=slack.url,
            DATABASE_URL=database_url,
            PORT=str(self.port),
            **env,
        )
        with log.open("w") as out:
            self.proc = subprocess.Popen(
                [sys.executable, str(ROOT / "bot.py")],
                env=variables,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_healthy(self, timeout: float = 600) -> None:
        """Poll /healthz until it answers 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"bot exited:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)  # waiting for a child process to bind its port
        raise RuntimeError("bot did not become healthy in time")

    def stop(self) -> None:
        """SIGTERM, then wait (kill after 20 s)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def output(self) -> str:
        """Everything the bot printed so far."""
        return self.log.read_text(errors="replace")


def rss_mb(pid: int) -> float:
    """Resident memory of process `pid` in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_s(pid: int) -> float:
    """CPU time (user and system) process `pid` has used so far, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(samples: list[float], q: float) -> float:
    """The q-quantile (0..1) of `samples`, nearest rank."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def summary_ms(samples: list[float]) -> tuple[float, float]:
    """p50 and p99 of `samples` (seconds) in milliseconds."""
    return statistics.median(samples) * 1000, pct(samples, 0.99) * 1000
