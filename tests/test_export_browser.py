"""The exported HTML in a real headless Chromium: no console errors, and the chart is drawn.

Chromium is driven over the Chrome DevTools Protocol with a minimal WebSocket client (standard
library only), so that console messages, uncaught exceptions and failed loads are all seen.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import socket
import struct
import subprocess
import time
import zlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from db import make_engine, make_session_factory, migrate
from services.access import Actor
from services.export import CHART_ID, STATUS_COLOURS, plan_record, render_html
from tests.constants import EMPLOYEE, MANAGER
from tests.services.test_export import PUBLIC_ID, at, build_plan

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed (apt-get install -y chromium; .ci/run does it)",
)

TIMEOUT = 30.0  # seconds for everything one browser does
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
CHART_PROBE = f"""(() => {{
  const svg = document.getElementById({json.dumps(CHART_ID)});
  if (!svg) return null;
  const marks = [...svg.querySelectorAll('.mark')];
  const classes = {{}};
  for (const m of marks) classes[m.classList[1]] = (classes[m.classList[1]] || 0) + 1;
  const box = svg.getBoundingClientRect();
  return {{
    marks: marks.length,
    drawn: marks.filter(m => {{ const b = m.getBBox(); return b.width > 0 && b.height > 0; }})
      .length,
    classes,
    role: svg.getAttribute('role'),
    title: svg.querySelector('title') ? svg.querySelector('title').textContent : null,
    box: {{x: box.x + scrollX, y: box.y + scrollY, width: box.width, height: box.height}},
    scripts: document.scripts.length,
  }};
}})()"""


class DevTools:
    """Just enough of a WebSocket client (RFC 6455) to speak the DevTools protocol."""

    def __init__(self, port: int, path: str, deadline: float) -> None:
        self.deadline = deadline
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=self._left())
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        head = self._read_until(b"\r\n\r\n")
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest())
        assert head.startswith(b"HTTP/1.1 101") and accept in head, head

    def _left(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the browser took too long")
        return left

    def _fill(self) -> None:
        self.sock.settimeout(self._left())
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the browser closed the DevTools connection")
        self.buffer += chunk

    def _read(self, n: int) -> bytes:
        while len(self.buffer) < n:
            self._fill()
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def _read_until(self, marker: bytes) -> bytes:
        while marker not in self.buffer:
            self._fill()
        head, _, self.buffer = self.buffer.partition(marker)
        return head

    def _send_text(self, text: str) -> None:
        payload = text.encode()
        mask = os.urandom(4)
        size = len(payload)
        if size < 126:
            header = struct.pack("!BB", 0x81, 0x80 | size)
        elif size < 1 << 16:
            header = struct.pack("!BBH", 0x81, 0x80 | 126, size)
        else:
            header = struct.pack("!BBQ", 0x81, 0x80 | 127, size)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def _receive(self) -> dict[str, Any]:
        message = b""
        while True:
            first, second = self._read(2)
            size = second & 0x7F
            if size == 126:
                (size,) = struct.unpack("!H", self._read(2))
            elif size == 127:
                (size,) = struct.unpack("!Q", self._read(8))
            mask = self._read(4) if second & 0x80 else b""
            payload = self._read(size)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            opcode = first & 0x0F
            if opcode == 0x8:
                raise ConnectionError("the browser closed the DevTools connection")
            if opcode in (0x9, 0xA):  # ping, pong
                continue
            message += payload
            if first & 0x80:
                result: dict[str, Any] = json.loads(message)
                return result

    def send(self, method: str, params: dict[str, Any] | None = None, session: str = "") -> Any:
        """Call `method` and return its result; events that arrive meanwhile are kept."""
        self.next_id += 1
        command: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            command["sessionId"] = session
        self._send_text(json.dumps(command))
        while True:
            message = self._receive()
            if message.get("id") == self.next_id:
                assert "error" not in message, (method, message["error"])
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def wait_for(self, method: str, session: str) -> dict[str, Any]:
        """The first event `method` of `session`, waiting for it if it has not come yet."""
        while True:
            for event in self.events:
                if event["method"] == method and event.get("sessionId") == session:
                    return event
            message = self._receive()
            if "method" in message:
                self.events.append(message)

    def close(self) -> None:
        """Close the socket."""
        self.sock.close()


class Browser:
    """A headless Chromium with a throw-away profile, and the pages it opened."""

    def __init__(self, profile: Path, log: Path) -> None:
        assert CHROMIUM is not None
        self.deadline = time.monotonic() + TIMEOUT
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    CHROMIUM,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--no-default-browser-check",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-extensions",
                    "--disable-sync",
                    "--hide-scrollbars",
                    "--window-size=1200,900",
                    "--remote-debugging-address=127.0.0.1",
                    "--remote-debugging-port=0",
                    f"--user-data-dir={profile}",
                    "about:blank",
                ],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        port_file = profile / "DevToolsActivePort"
        while not port_file.exists() or len(port_file.read_text().split()) < 2:
            if self.process.poll() is not None or time.monotonic() > self.deadline:
                raise RuntimeError(f"Chromium did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.05)
        port, path = port_file.read_text().split()[:2]
        self.devtools = DevTools(int(port), path, self.deadline)

    def open(self, url: str) -> str:
        """Open `url` in a new tab with console, log and page events on; returns its session."""
        self.devtools.deadline = time.monotonic() + TIMEOUT
        target = self.devtools.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session: str = self.devtools.send(
            "Target.attachToTarget", {"targetId": target, "flatten": True}
        )["sessionId"]
        for domain in ("Runtime", "Log", "Page"):
            self.devtools.send(f"{domain}.enable", session=session)
        navigated = self.devtools.send("Page.navigate", {"url": url}, session=session)
        assert "errorText" not in navigated, navigated
        self.devtools.wait_for("Page.loadEventFired", session)
        return session

    def evaluate(self, session: str, expression: str) -> Any:
        """The value of `expression` in the page."""
        result = self.devtools.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True},
            session=session,
        )
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    def problems(self, session: str) -> list[str]:
        """Every console error, uncaught exception and error log entry the page produced."""
        found = []
        for event in self.devtools.events:
            if event.get("sessionId") != session:
                continue
            params = event["params"]
            if event["method"] == "Runtime.exceptionThrown":
                found.append(f"exception: {params['exceptionDetails'].get('text')}")
            elif event["method"] == "Runtime.consoleAPICalled" and params["type"] in (
                "error",
                "assert",
            ):
                args = " ".join(str(a.get("value", a.get("description"))) for a in params["args"])
                found.append(f"console.{params['type']}: {args}")
            elif event["method"] == "Log.entryAdded" and params["entry"]["level"] == "error":
                entry = params["entry"]
                found.append(f"log ({entry['source']}): {entry['text']} {entry.get('url', '')}")
        return found

    def screenshot(self, session: str, clip: dict[str, float]) -> bytes:
        """A PNG of the page region `clip`."""
        shot = self.devtools.send(
            "Page.captureScreenshot",
            {"format": "png", "clip": {**clip, "scale": 1}, "captureBeyondViewport": True},
            session=session,
        )
        return base64.b64decode(shot["data"])

    def close(self) -> None:
        """Close the browser, killing it if it does not go."""
        try:
            self.devtools.send("Browser.close")
        except (OSError, ConnectionError, TimeoutError):
            pass
        self.devtools.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def png_rows(data: bytes) -> tuple[int, list[bytearray]]:
    """Bytes per pixel and unfiltered rows of an 8-bit RGB(A), non-interlaced PNG (Chromium's)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    width = depth = colour = interlace = 0
    height = 0
    while pos < len(data):
        length, kind = struct.unpack("!I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack("!IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    bpp = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(idat), width * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[i], bytearray(raw[i + 1 : i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if kind == 1:
                line[x] = (line[x] + a) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + b) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(line)
        prev = line
    return bpp, rows


def count_colour(bpp: int, rows: list[bytearray], hex_colour: str, tolerance: int = 12) -> int:
    """How many pixels are within `tolerance` of `hex_colour` in every channel."""
    want = bytes.fromhex(hex_colour.lstrip("#"))
    return sum(
        1
        for row in rows
        for x in range(0, len(row), bpp)
        if all(abs(row[x + k] - want[k]) <= tolerance for k in range(3))
    )


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """One headless Chromium for this module's tests, with a fresh profile."""
    home = tmp_path_factory.mktemp("chromium")
    started = Browser(home / "profile", home / "chromium.log")
    yield started
    started.close()


@pytest.fixture
def exported(tmp_path: Path) -> dict[str, Path]:
    """The HTML records of the full test plan, as the manager and the employee get them."""
    engine = make_engine(f"sqlite:///{tmp_path / 'pip.db'}")
    migrate(engine)
    files = {}
    with make_session_factory(engine)() as db:
        build_plan(db)
        for name, actor in (("manager", Actor(MANAGER)), ("employee", Actor(EMPLOYEE))):
            record = plan_record(db, actor, PUBLIC_ID, now=at(date(2027, 4, 5)))
            files[name] = tmp_path / f"{name}.html"
            files[name].write_text(render_html(record), encoding="utf-8")
    engine.dispose()
    return files


@pytest.mark.parametrize("who", ["manager", "employee"])
def test_export_opens_without_errors_and_draws_the_chart(
    browser: Browser, exported: dict[str, Path], tmp_path: Path, who: str
) -> None:
    session = browser.open(exported[who].as_uri())
    chart = browser.evaluate(session, CHART_PROBE)
    dom = browser.evaluate(session, "document.documentElement.outerHTML")

    assert browser.problems(session) == []
    assert chart is not None, "no chart in the page"
    assert chart["role"] == "img" and PUBLIC_ID in chart["title"]
    assert chart["marks"] == chart["drawn"] == 120
    assert chart["classes"] == {"on_track": 113, "at_risk": 3, "off_track": 3, "none": 1}
    assert chart["scripts"] == 0  # the <script> in the plan's text stayed text
    assert f'id="{CHART_ID}"' in dom and dom.count('class="mark ') == 120
    assert chart["box"]["width"] > 300 and chart["box"]["height"] > 200

    png = browser.screenshot(session, chart["box"])
    (tmp_path / "chart.png").write_bytes(png)
    bpp, rows = png_rows(png)
    painted = {s: count_colour(bpp, rows, colour) for s, colour in STATUS_COLOURS.items()}
    assert all(count > 20 for count in painted.values()), painted
    assert painted["on_track"] > painted["at_risk"] + painted["off_track"], painted


def test_the_harness_sees_console_errors(browser: Browser, tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text(
        '<!doctype html><meta charset="utf-8"><title>broken</title><img src="missing.png">'
        '<script>console.error("boom"); undefinedFunction();</script>',
        encoding="utf-8",
    )
    problems = browser.problems(browser.open(page.as_uri()))
    assert any("console.error: boom" in p for p in problems), problems
    assert any("undefinedFunction" in p or "exception" in p for p in problems), problems
    assert any("missing.png" in p for p in problems), problems
