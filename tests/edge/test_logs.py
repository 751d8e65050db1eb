"""Log lines stay under 2 kB and never carry a request body."""

from __future__ import annotations

import logging

from edge.logs import MAX_LINE, LogLimits

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _line(name: str, level: int, message: str, *args: object, exc: bool = False) -> str:
    record = logging.LogRecord(name, level, __file__, 1, message, args or None, None)
    if exc:
        try:
            raise ValueError("x" * 10_000)
        except ValueError as error:
            record.exc_info = (type(error), error, error.__traceback__)
    LogLimits().filter(record)
    return logging.Formatter(FORMAT).format(record)


def test_a_long_message_and_a_long_traceback_are_cut_to_one_bounded_line() -> None:
    line = _line("pipbot", logging.ERROR, "%s", "y" * 50_000, exc=True)
    assert len(line) <= MAX_LINE
    assert "50000 characters" in line and "ValueError" in line


def test_bolt_lines_that_carry_a_body_keep_only_their_head() -> None:
    body = "token=abc&text=ZQXJ+typed+by+a+person"
    for message in (
        f"Invalid request signature detected (signature: v0=1, timestamp: 1, body: {body})",
        f"Unhandled request ({{'type': 'view_submission', 'value': '{body}'}})",
        f"Failed to run a middleware (request body: {body})",
    ):
        line = _line("slack_bolt.RequestVerification", logging.INFO, message)
        assert "ZQXJ" not in line and "withheld" in line, line


def test_web_api_debug_lines_do_not_carry_what_was_sent() -> None:
    line = _line(
        "slack_sdk.web.base_client",
        logging.DEBUG,
        "Sending a request - url: https://slack.com/api/chat.postMessage, body: %s",
        {"text": "ZQXJ typed by a person"},
    )
    assert "ZQXJ" not in line and "withheld" in line


def test_our_own_short_lines_are_left_alone() -> None:
    line = _line(
        "handlers.errors", logging.INFO, "%s refused with %s (%d characters)", "/pip", "X", 3
    )
    assert line.endswith("handlers.errors: /pip refused with X (3 characters)")
