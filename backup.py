"""Backups while the bot runs: SQLite's online backup API, PostgreSQL's pg_dump."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL, make_url


class BackupError(Exception):
    """The backup could not be made; the message says why and what to do."""


def backup(database_url: str, target: Path) -> str:
    """Copy the database at `database_url` into the new file `target`; return what was done."""
    if target.exists():
        raise BackupError(f"{target} already exists; name a new file")
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return _backup_sqlite(url, target)
    return _backup_postgres(url, target)


def _backup_sqlite(url: URL, target: Path) -> str:
    if not url.database or url.database == ":memory:":
        raise BackupError("DATABASE_URL names an in-memory SQLite database; nothing to back up")
    source_path = Path(url.database)
    if not source_path.exists():
        raise BackupError(f"{source_path} does not exist; is DATABASE_URL the bot's?")
    source = sqlite3.connect(source_path, timeout=30)
    destination = sqlite3.connect(target)
    try:
        # The online backup API copies a consistent snapshot in one step while the bot keeps
        # writing (in steps, every write by the bot would restart the copy).
        source.backup(destination)
    finally:
        destination.close()
        source.close()
    return f"backed up {source_path} to {target} (SQLite online backup)"


def libpq_url(url: URL) -> tuple[str, str | None]:
    """The URL as libpq tools take it (no driver, no password) and the password apart."""
    plain = URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    return plain.render_as_string(hide_password=False), url.password


def _backup_postgres(url: URL, target: Path) -> str:
    conninfo, password = libpq_url(url)
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupError(
            "pg_dump is not on the PATH: install PostgreSQL's client tools, or run "
            f"`pg_dump --format=custom --file {target} {conninfo}` where they are"
        )
    env = dict(os.environ)
    if password is not None:
        env["PGPASSWORD"] = password  # not on the command line, where `ps` would show it
    result = subprocess.run(
        [pg_dump, "--format=custom", "--no-owner", "--file", str(target), conninfo],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        target.unlink(missing_ok=True)
        problem = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupError(f"pg_dump failed: {problem}")
    return f"backed up {url.database} to {target} (pg_dump custom format; pg_restore reads it)"
