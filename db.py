"""Engines, sessions and start-up migrations for SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Any fixed 64-bit number; replicas that start together queue on it in PostgreSQL.
MIGRATION_LOCK_KEY = 727_001_2026
SQLITE_BUSY_TIMEOUT_MS = 10_000
# One lock per SQLite engine (by its pool) that this process's IMMEDIATE transactions take
# in turn; see _sqlite_on_begin.
_WRITERS: dict[int, threading.Lock] = {}
_HOLDS_WRITER_LOCK = "pip_writer_lock"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE transactions."""
    # Errors would otherwise quote statement parameters (what people typed) into log lines.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        event.listen(engine, "commit", _sqlite_on_end)
        event.listen(engine, "rollback", _sqlite_on_end)
        # A connection returned or dropped without its transaction ended lets go too.
        event.listen(engine, "reset", _sqlite_on_reset)
        event.listen(engine, "invalidate", _sqlite_on_invalidate)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_on_connect(dbapi_connection: Any, connection_record: Any) -> None:
    # Take transaction control from pysqlite so that "begin" below decides how to start one.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # The busy timeout first: switching to WAL needs a moment of exclusive access, and a
    # second process opening the same new file must wait for it rather than fail.
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_on_begin(connection: Any) -> None:
    # Sessions begin IMMEDIATE (see make_session_factory): a deferred transaction that reads
    # and then writes fails at once with SQLITE_BUSY when another writer committed in
    # between, instead of waiting out the busy timeout. Writers queue; plain engine use
    # (health checks, migrations) stays deferred, and readers are never blocked in WAL mode.
    mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
    if mode == "IMMEDIATE":
        # Writers of this process queue on a lock first: the one waiting longest is woken
        # the moment the last writer ends. SQLite's own busy handler polls, sleeping up to
        # 100 ms between tries, so under load the write lock sat free while the writers
        # queued for it slept (the busy timeout still covers other processes).
        lock = _WRITERS.setdefault(id(connection.engine.pool), threading.Lock())
        if lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            connection.info[_HOLDS_WRITER_LOCK] = lock
    try:
        connection.exec_driver_sql(f"BEGIN {mode}")
    except BaseException:
        _sqlite_on_end(connection)
        raise


def _sqlite_on_end(connection: Any) -> None:
    _let_go(connection.info)


def _sqlite_on_reset(dbapi_connection: Any, connection_record: Any, reset_state: Any) -> None:
    _let_go(connection_record.info)


def _sqlite_on_invalidate(dbapi_connection: Any, connection_record: Any, exception: Any) -> None:
    _let_go(connection_record.info)


def _let_go(info: dict[str, Any]) -> None:
    lock = info.pop(_HOLDS_WRITER_LOCK, None)
    if lock is not None:
        lock.release()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit; on SQLite they begin IMMEDIATE.

    Rule for callers: never open a second session in a thread while one with an open
    transaction is held, and end transactions before slow network calls.
    """
    return sessionmaker(engine.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False)


def alembic_config() -> Config:
    """The Alembic configuration of this project, independent of the working directory."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    return config


@contextlib.contextmanager
def _sqlite_migration_lock(engine: Engine) -> Iterator[None]:
    """Hold an exclusive file lock beside a SQLite database while migrating it.

    Processes started together on one file take turns: the second finds the schema at head.
    In-memory databases belong to one process and need no lock.
    """
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    try:
        import fcntl
    except ImportError:  # not on POSIX: no other process shares the file this way
        yield
        return
    lock_path = Path(database).resolve().with_name(Path(database).name + ".migrate-lock")
    with open(lock_path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; replicas take turns (an advisory lock on
    PostgreSQL, a file lock beside the database on SQLite)."""
    with _sqlite_migration_lock(engine):
        _upgrade(engine)


def _upgrade(engine: Engine) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Held until this transaction commits: a second replica waits here, then finds
            # the schema at head and does nothing.
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def database_ok(engine: Engine) -> bool:
    """True when the database answers a trivial query."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means "not healthy"
        return False


def begin_read(session: Session) -> None:
    """Begin `session`'s next transaction DEFERRED on SQLite: for work that only reads.

    Sessions begin IMMEDIATE (writers queue instead of failing), which also makes a long read
    hold the write lock; a read-only request calls this first so it never does. No effect
    on PostgreSQL, or when the session is already in a transaction.
    """
    if not session.in_transaction():
        session.connection(execution_options={"sqlite_begin": "DEFERRED"})
