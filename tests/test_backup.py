"""`bot.py backup` (SQLite online backup, pg_dump) and `bot.py verify` on real databases."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.engine import make_url

from backup import BackupError, backup, libpq_url
from db import make_engine, make_session_factory, migrate
from models import Plan, PlanEvent
from tests.conftest import PostgresDatabases
from tests.plan_helpers import open_through_services
from tests.process import bot_env, run_bot

NOW = datetime(2027, 1, 4, 15, tzinfo=UTC)


def _open(engine: Engine, n: int) -> str:
    """Open one plan for employee number `n` the way the form does; return its public id."""
    with make_session_factory(engine)() as db:
        plan = open_through_services(db, "UMGR", f"UEMP{n}", now=NOW)
        db.commit()
        return plan.public_id


def _public_ids(engine: Engine) -> list[str]:
    with make_session_factory(engine)() as db:
        return list(db.scalars(select(Plan.public_id).order_by(Plan.id)))


def _cli(database_url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = bot_env(
        SLACK_BOT_TOKEN="xoxb-backup", SLACK_SIGNING_SECRET="s", DATABASE_URL=database_url
    )
    return run_bot(env, cwd=cwd, args=args, timeout=120)


def test_sqlite_backup_while_the_bot_writes_holds_every_plan(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'pip.db'}"
    engine = make_engine(url)
    migrate(engine)
    for n in range(5):
        _open(engine, n)
    stop, started = threading.Event(), threading.Event()
    written: list[str] = []

    def keep_writing() -> None:
        n = 100
        while not stop.is_set():
            written.append(_open(engine, n))
            n += 1
            if len(written) == 3:
                started.set()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        assert started.wait(timeout=30)
        before = _public_ids(engine)
        result = _cli(url, tmp_path, "backup", str(tmp_path / "out.db"))
    finally:
        stop.set()
        writer.join(timeout=30)
    assert result.returncode == 0, result.stderr
    assert "SQLite online backup" in result.stdout
    assert len(written) > 3  # the bot kept writing while the backup ran

    copy = sqlite3.connect(tmp_path / "out.db")
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        saved = [row[0] for row in copy.execute("SELECT public_id FROM plans ORDER BY id")]
    finally:
        copy.close()
    assert saved[: len(before)] == before  # every plan committed before the backup began
    assert saved == _public_ids(engine)[: len(saved)]  # a consistent snapshot, no gaps
    verified = _cli(f"sqlite:///{tmp_path / 'out.db'}", tmp_path, "verify", "--offline")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"{len(saved)} plans" in verified.stdout and "every history is intact" in verified.stdout
    engine.dispose()


def test_backup_refuses_to_overwrite_and_says_so_in_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'pip.db'}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    (tmp_path / "out.db").write_text("keep me")
    result = _cli(url, tmp_path, "backup", str(tmp_path / "out.db"))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"pipbot: backup failed: {tmp_path / 'out.db'} already exists; name a new file"
    ]
    assert (tmp_path / "out.db").read_text() == "keep me"


def test_without_pg_dump_one_line_says_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(BackupError) as raised:
        backup("postgresql+psycopg://pip:hunter2@db:5432/pipbot", tmp_path / "out.dump")
    message = str(raised.value)
    assert "pg_dump is not on the PATH" in message
    assert (
        f"pg_dump --format=custom --file {tmp_path / 'out.dump'} postgresql://pip@db:5432/pipbot"
        in message
    )
    assert "hunter2" not in message


@pytest.mark.postgres
def test_pg_dump_backup_restores_into_a_fresh_database(
    pg_databases: PostgresDatabases, tmp_path: Path
) -> None:
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("PostgreSQL's client tools (pg_dump, pg_restore) are not on the PATH")
    url = pg_databases.create()
    engine = make_engine(url)
    migrate(engine)
    for n in range(3):
        _open(engine, n)
    result = _cli(url, tmp_path, "backup", str(tmp_path / "pip.dump"))
    assert result.returncode == 0, result.stderr
    assert "pg_dump" in result.stdout

    fresh_url = pg_databases.create()
    restored = subprocess.run(
        ["pg_restore", "--no-owner", "--dbname", libpq_url(make_url(fresh_url))[0]]
        + [str(tmp_path / "pip.dump")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert restored.returncode == 0, restored.stderr
    fresh = make_engine(fresh_url)
    assert _public_ids(fresh) == _public_ids(engine) and len(_public_ids(fresh)) == 3
    with make_session_factory(fresh)() as db, make_session_factory(engine)() as old:
        hashes = select(PlanEvent.hash).order_by(PlanEvent.id)
        assert list(db.scalars(hashes)) == list(old.scalars(hashes))
    verified = _cli(fresh_url, tmp_path, "verify", "--offline")
    assert verified.returncode == 0 and "3 plans" in verified.stdout, verified.stdout
    fresh.dispose()
    engine.dispose()


def test_verify_finds_a_changed_history(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'pip.db'}"
    engine = make_engine(url)
    migrate(engine)
    first, second = _open(engine, 1), _open(engine, 2)
    assert _cli(url, tmp_path, "verify", "--offline").returncode == 0
    with engine.begin() as conn:
        conn.execute(
            update(PlanEvent)
            .where(
                PlanEvent.plan_id
                == select(Plan.id).where(Plan.public_id == second).scalar_subquery()
            )
            .values(actor_id="USOMEONEELSE")
        )
    everything = _cli(url, tmp_path, "verify", "--offline")
    assert everything.returncode == 1
    assert everything.stdout.splitlines() == [
        f"{second}: the history does not match from event 1 of 1",
        "2 plans, 2 events: 1 history broken",
    ]
    one = _cli(url, tmp_path, "verify", "--offline", "--plan", first.lower())
    assert one.returncode == 0 and one.stdout.strip() == "1 plan, 1 event: every history is intact"
    missing = _cli(url, tmp_path, "verify", "--offline", "--plan", "PIP-NOPE00")
    assert missing.returncode == 1 and "there is no plan PIP-NOPE00" in missing.stderr
    engine.dispose()
