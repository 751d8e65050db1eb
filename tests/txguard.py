"""A guard that fails a test in which Slack is called while that thread holds a write transaction.

The house rule: a listener's (or the dispatcher's) database work commits before any Slack call,
so no other writer ever waits on Slack. The guard watches every engine: a thread that began a
SQLite `BEGIN IMMEDIATE`, or ran a write statement, holds a write transaction until its
connection commits, rolls back or goes back to the pool. Every Slack Web API call (and every
`respond` to a response_url) made from such a thread is recorded as a violation.
"""

from __future__ import annotations

import contextlib
import threading
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from slack_sdk.web.base_client import BaseClient
from slack_sdk.webhook import WebhookClient
from sqlalchemy import Engine, event
from sqlalchemy.pool import Pool

WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE")
WRITE_BEGINS = ("BEGIN IMMEDIATE", "BEGIN EXCLUSIVE")


@dataclass(frozen=True)
class Violation:
    """One Slack call made while the calling thread held a write transaction."""

    method: str
    opened_by: str
    where: str


class WriteTransactions:
    """Which thread holds a write transaction on which DBAPI connection."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[int, tuple[int, str]] = {}  # id(DBAPI connection) -> (thread, statement)
        self.violations: list[Violation] = []

    def statement(self, conn: Any, statement: str) -> None:
        """Note a write transaction when `statement` begins or needs one."""
        words = statement.lstrip().upper()
        writes = words.startswith(WRITE_BEGINS) or (
            words.startswith(WRITE_VERBS) and conn.in_transaction()
        )
        if writes or " FOR UPDATE" in words:
            key = id(conn.connection.dbapi_connection)
            with self._lock:
                self._open.setdefault(key, (threading.get_ident(), words[:60]))

    def ended(self, dbapi_connection: Any) -> None:
        """The transaction on `dbapi_connection` is over (commit, rollback, back to the pool)."""
        with self._lock:
            self._open.pop(id(dbapi_connection), None)

    def held_here(self) -> str | None:
        """The statement that opened a write transaction this thread still holds, if any."""
        me = threading.get_ident()
        with self._lock:
            return next((what for thread, what in self._open.values() if thread == me), None)

    def slack_called(self, method: str) -> None:
        """Record `method` as a violation if this thread holds a write transaction."""
        opened_by = self.held_here()
        if opened_by is not None:
            where = "".join(traceback.format_stack(limit=12)[:-2])
            self.violations.append(Violation(method, opened_by, where))

    def check(self) -> None:
        """Fail the test if Slack was called inside a write transaction."""
        if self.violations:
            first = self.violations[0]
            methods = ", ".join(v.method for v in self.violations)
            pytest.fail(
                f"Slack called inside a database write transaction ({methods}); the first, "
                f"{first.method}, in a transaction opened by {first.opened_by!r}, from:\n"
                f"{first.where}",
                pytrace=False,
            )


@contextlib.contextmanager
def watching() -> Iterator[WriteTransactions]:
    """Watch every engine and every Slack client while the block runs."""
    guard = WriteTransactions()

    def on_statement(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        guard.statement(conn, statement)

    def on_end(conn: Any) -> None:
        guard.ended(conn.connection.dbapi_connection)

    def on_checkin(dbapi_connection: Any, record: Any) -> None:
        guard.ended(dbapi_connection)

    def on_reset(dbapi_connection: Any, connection_record: Any, reset_state: Any) -> None:
        guard.ended(dbapi_connection)

    api_call = BaseClient.api_call
    send_dict = WebhookClient.send_dict

    def guarded_api_call(self: BaseClient, api_method: str, **kwargs: Any) -> Any:
        guard.slack_called(api_method)
        return api_call(self, api_method, **kwargs)

    def guarded_send_dict(self: WebhookClient, body: Any, headers: Any = None) -> Any:
        guard.slack_called("response_url")
        return send_dict(self, body, headers)

    listeners = [
        (Engine, "before_cursor_execute", on_statement),
        (Engine, "commit", on_end),
        (Engine, "rollback", on_end),
        (Pool, "checkin", on_checkin),
        (Pool, "reset", on_reset),
    ]
    for target, name, fn in listeners:
        event.listen(target, name, fn)
    BaseClient.api_call = guarded_api_call  # type: ignore[method-assign]
    WebhookClient.send_dict = guarded_send_dict  # type: ignore[method-assign]
    try:
        yield guard
    finally:
        BaseClient.api_call = api_call  # type: ignore[method-assign]
        WebhookClient.send_dict = send_dict  # type: ignore[method-assign]
        for target, name, fn in listeners:
            event.remove(target, name, fn)
