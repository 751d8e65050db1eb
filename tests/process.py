"""Running the real `python bot.py` as a child process, for end-to-end tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on localhost that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bot_env(**overrides: str) -> dict[str, str]:
    """A clean environment for the bot: no Slack or database variables but those given."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PIP_", "HR_"))}
    for name in (
        "DATABASE_URL",
        "PORT",
        "CHECKIN_TIME",
        "SCHEDULER_ENABLED",
        "PLAN_WRITER",
        "LOG_FORMAT",
        "LOG_LEVEL",
        "HEALTH_PORT",
    ):
        keep.pop(name, None)
    return {**keep, **overrides}


def run_bot(
    env: dict[str, str], cwd: Path, timeout: float = 30, args: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """Run `python bot.py [args]` to completion (start-up failures and the other commands)."""
    return subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class BotProcess:
    """`python bot.py` in HTTP mode on a free port, stopped with SIGTERM."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "bot.py")],
            env={**env, "PORT": str(self.port)},
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def wait_healthy(self, timeout: float = 60) -> None:
        """Poll /healthz until it answers 200; fail with the process output if it dies."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"bot exited with {self.proc.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)  # waiting for a child process to bind its port, not for time to pass
        raise AssertionError("bot did not become healthy in time")

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, float]:
        """POST to the bot; returns status, body and seconds taken."""
        request = urllib.request.Request(
            self.base + path, data=body, headers=headers, method="POST"
        )
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read(), time.monotonic() - started
        except urllib.error.HTTPError as error:
            return error.code, error.read(), time.monotonic() - started

    def stop(self) -> int:
        """SIGTERM the bot and return its exit status."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return int(self.proc.returncode)

    def output(self) -> str:
        """Everything the process printed (after it stopped)."""
        if self.proc.poll() is None:
            return ""
        assert self.proc.stdout is not None
        return self.proc.stdout.read()
