"""Logging: text or JSON lines, the request or delivery each line is about, quiet libraries.

Context travels in contextvars: `request_context` (set by the Bolt middleware in
metrics.py) adds the request kind and the user id to every line logged while a request is
handled, and `delivery_context` adds a delivery's id and kind. Bolt runs listeners on worker
threads, so the listener executor must be a `ContextExecutor`, which carries the context over.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar, copy_context
from datetime import UTC, datetime
from typing import Any, TextIO

from edge.logs import LogLimits

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# The extra fields a line may carry, in the order they are shown.
CONTEXT_FIELDS = ("request_kind", "user_id", "delivery_id", "delivery_kind")
_context: dict[str, ContextVar[str | None]] = {
    name: ContextVar(name, default=None) for name in CONTEXT_FIELDS
}
# Per-tick and per-job lines from APScheduler, and libraries whose DEBUG output echoes
# request bodies (what people typed): never below these levels.
_QUIET = {
    "apscheduler": logging.WARNING,
    "slack_sdk": logging.INFO,
    "slack_bolt": logging.INFO,
    "pipbot.bolt": logging.INFO,
    "urllib3": logging.INFO,
    "waitress": logging.INFO,
    # fpdf2 subsets the export's fonts with fontTools, which logs every document's glyphs.
    "fontTools": logging.WARNING,
}
# Bolt warns that the token is unused whenever SLACK_BOT_TOKEN is set and a client is given,
# which is how the bot always builds its app.
_BOLT_TOKEN_WARNING = "As you gave `client` as well, `token` will be unused."


class ContextFilter(logging.Filter):
    """Copy the current request and delivery context onto each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always keep the record; add the context fields to it."""
        for name, var in _context.items():
            if not hasattr(record, name):
                setattr(record, name, var.get())
        return True


class _DropBoltTokenWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != _BOLT_TOKEN_WARNING


def _context_of(record: logging.LogRecord) -> dict[str, str]:
    return {
        name: str(value)
        for name in CONTEXT_FIELDS
        if (value := getattr(record, name, None)) is not None
    }


class TextFormatter(logging.Formatter):
    """The classic line, with `key=value` context at the end."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        """Format the line and append its context."""
        line = super().format(record)
        context = _context_of(record)
        if not context:
            return line
        first, newline, rest = line.partition("\n")
        suffix = " ".join(f"{key}={value}" for key, value in context.items())
        return f"{first} [{suffix}]{newline}{rest}"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, context, exception."""

    def format(self, record: logging.LogRecord) -> str:
        """Serialize the record as one line of JSON."""
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_context_of(record),
        }
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            data["exception"] = record.exc_text
        return json.dumps(data, ensure_ascii=False, default=str)


def configure(log_format: str = "text", level: str = "info", stream: TextIO | None = None) -> None:
    """Send every log line to `stream` (stderr) as text or JSON, at `level` and above."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    handler.addFilter(LogLimits())  # no line over 2 kB, no request body (edge/logs.py)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    numeric = logging.getLevelName(level.upper())
    root.setLevel(numeric)
    for name, floor in _QUIET.items():
        logging.getLogger(name).setLevel(max(floor, numeric))
    bolt = logging.getLogger("pipbot.bolt")
    if not any(isinstance(f, _DropBoltTokenWarning) for f in bolt.filters):
        bolt.addFilter(_DropBoltTokenWarning())


@contextmanager
def request_context(kind: str, user_id: str | None) -> Iterator[None]:
    """Lines logged inside carry the request kind and the user id."""
    with _bound(request_kind=kind, user_id=user_id):
        yield


@contextmanager
def delivery_context(delivery_id: int, kind: str | None = None) -> Iterator[None]:
    """Lines logged inside carry the delivery's id (and kind, when known)."""
    with _bound(delivery_id=str(delivery_id), delivery_kind=kind):
        yield


def bind_delivery_kind(kind: str) -> None:
    """Name the kind of the delivery whose context is open (it is known once it is loaded)."""
    _context["delivery_kind"].set(str(kind))


@contextmanager
def _bound(**values: str | None) -> Iterator[None]:
    tokens = [(_context[name], _context[name].set(value)) for name, value in values.items()]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


class ContextExecutor(ThreadPoolExecutor):
    """A thread pool that runs each task in a copy of the submitter's contextvars."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Submit `fn` to run in the caller's context."""
        context = copy_context()
        return super().submit(context.run, fn, *args, **kwargs)
