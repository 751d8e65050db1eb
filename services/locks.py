"""Serialising check-then-write steps across processes.

On PostgreSQL a transaction-scoped advisory lock on a named key; on SQLite nothing is needed,
since every session's transaction begins IMMEDIATE and writers already take turns (db.py).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session


def hold(db: Session, key: str) -> None:
    """Hold the lock named `key` until the current transaction ends."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
