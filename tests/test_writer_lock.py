"""SQLite writers of one process queue on a lock that each lets go when its transaction ends."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

import db
from db import begin_read, make_engine, make_session_factory, migrate


def _lock(engine) -> object:  # type: ignore[no-untyped-def]
    return db._WRITERS[id(engine.pool)]


def test_a_write_transaction_holds_the_lock_until_it_ends(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    migrate(engine)
    sessions = make_session_factory(engine)
    with sessions() as first:
        first.execute(text("SELECT 1"))  # BEGIN IMMEDIATE
        lock = _lock(engine)
        assert lock.locked()  # type: ignore[attr-defined]
        first.commit()
        assert not lock.locked()  # type: ignore[attr-defined]
        first.execute(text("SELECT 1"))
        assert lock.locked()  # type: ignore[attr-defined]
        first.rollback()
        assert not lock.locked()  # type: ignore[attr-defined]
        first.execute(text("SELECT 1"))
    assert not lock.locked()  # type: ignore[attr-defined]  # closed mid-transaction
    with sessions() as reader:
        begin_read(reader)  # DEFERRED: reads never queue behind writers
        reader.execute(text("SELECT 1"))
        assert not lock.locked()  # type: ignore[attr-defined]
    engine.dispose()
