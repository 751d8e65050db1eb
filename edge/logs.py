"""Bounded, content-free log lines: no line over 2 kB, no request body, no user text.

Our own log calls name ids and lengths, never what people typed. This filter guards the
rest: Bolt logs request bodies in some messages (RequestVerification's "Invalid request
signature detected (... body: ...)", "Unhandled request ({...})", the middleware warnings)
and slack_sdk logs whole Web API requests at DEBUG. Those are cut at the point where the
body starts; every line, traceback included, is kept under `MAX_LINE` characters.
"""

from __future__ import annotations

import logging

MAX_LINE = 2000
_MESSAGE_MAX = 800
_TRACEBACK_MAX = MAX_LINE - _MESSAGE_MAX - 600  # room for the time, level, logger and context
_EXCEPTION_LINE_MAX = 200
_WITHHELD = " (request details withheld)"
# Bolt messages that carry a request body, cut where the body starts.
_BODY_MARKERS = (
    "Invalid request signature detected",
    "Unhandled request",
    "without providing a response for the request",
    "Request body",
    "request body",
    "body:",
)


class LogLimits(logging.Filter):
    """Rewrites records so that no body is logged and no line exceeds `MAX_LINE`."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Bound `record` in place; never drops it."""
        message = record.getMessage()
        if record.name.startswith(("slack_bolt", "pipbot.bolt")):
            message = _without_body(message)
        elif record.name.startswith("slack_sdk") and record.levelno <= logging.DEBUG:
            message = message.split(" - ", 1)[0].split("(", 1)[0][:80] + _WITHHELD
        if len(message) > _MESSAGE_MAX:
            message = f"{message[:_MESSAGE_MAX]}… ({len(message)} characters)"
        record.msg, record.args = message, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and len(record.exc_text) > _TRACEBACK_MAX:
            record.exc_text = _short_traceback(record.exc_text)
        # Formatters (ours in logs.py too) print exc_text when there is no exc_info to redo.
        record.exc_info = None
        record.stack_info = None
        return True


def _short_traceback(text: str) -> str:
    """The innermost frames and the start of the exception line, within `_TRACEBACK_MAX`."""
    *frames, last = text.rstrip("\n").split("\n")
    last = last if len(last) <= _EXCEPTION_LINE_MAX else f"{last[:_EXCEPTION_LINE_MAX]}…"
    room = _TRACEBACK_MAX - len(last) - 3
    kept = "\n".join(frames)[-room:] if room > 0 else ""
    return f"…{kept}\n{last}"


def _without_body(message: str) -> str:
    for marker in _BODY_MARKERS:
        at = message.find(marker)
        if at >= 0:
            head = message[: at + len(marker)]
            return head.split("(", 1)[0].rstrip(" :(") + _WITHHELD
    return message


def install_log_limits(logger: logging.Logger | None = None) -> LogLimits:
    """Put `LogLimits` on every handler of `logger` (default: the root logger)."""
    limits = LogLimits()
    for handler in (logger or logging.getLogger()).handlers:
        handler.addFilter(limits)
    return limits
