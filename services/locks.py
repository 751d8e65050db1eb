"""Serialising check-then-write steps across processes.

On PostgreSQL a transaction-scoped advisory lock on a named key; on SQLite nothing is needed,
since every session's transaction begins IMMEDIATE and writers already take turns (db.py).
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, text
from sqlalchemy.orm import Session

S = TypeVar("S", bound=Select[Any])


def hold(db: Session, key: str) -> None:
    """Hold the lock named `key` until the current transaction ends."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


def for_update(query: S) -> S:
    """`query` with its rows locked until the transaction ends, and read afresh.

    A click checks a state and then changes it. On PostgreSQL the second of two identical
    clicks waits here for the first to commit and then reads the state the first left
    (READ COMMITTED re-reads a locked row), so it finds nothing left to do. We lock the
    row rather than rely on a unique constraint on the event because the check covers more
    than one row (the history, the outbox, the plan's status) and must also hold for
    clicks whose effects differ in time stamps. `populate_existing` replaces what the
    session already held of the row. SQLite has no FOR UPDATE (SQLAlchemy leaves it out);
    there the IMMEDIATE transaction already serialises writers.
    """
    return query.with_for_update().execution_options(populate_existing=True)
