"""`python bot.py [serve|check|migrate|backup PATH|verify|purge]`: the one entry point."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from dotenv import find_dotenv, load_dotenv
from sqlalchemy import select
from sqlalchemy.engine import make_url

import logs
from backup import BackupError, backup
from config import ConfigError, Settings
from db import alembic_config, make_engine, make_session_factory, migrate
from startup import ERROR, OK, WARNING, Check, check_client, slack_checks


def parser() -> argparse.ArgumentParser:
    """The command line: a sub-command, `serve` when none is given."""
    root = argparse.ArgumentParser(
        prog="python bot.py",
        description="PIP Bot: performance improvement plans, run inside Slack. "
        "Configuration comes from the environment and a .env file (see the README).",
    )
    commands = root.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser(
        "serve", help="check Slack, migrate the database and serve Slack (the default)"
    )
    commands.add_parser(
        "check",
        help="check the configuration, the database and Slack; print one line per check, "
        "exit 1 on any error",
    )
    commands.add_parser("migrate", help="bring the database to the newest schema, then exit")
    backup_command = commands.add_parser(
        "backup",
        help="copy the database to a new file while the bot runs "
        "(SQLite: online backup; PostgreSQL: pg_dump custom format)",
    )
    backup_command.add_argument("path", type=Path, help="the new backup file")
    verify = commands.add_parser(
        "verify",
        help="recompute every plan's tamper-evident history and compare it with the sealed "
        "copies in Slack; exit 1 if one does not match",
    )
    verify.add_argument("--plan", metavar="ID", help="only this plan (e.g. PIP-7K3Q9)")
    verify.add_argument(
        "--offline",
        action="store_true",
        help="only recompute the stored histories, without reading Slack (a restored backup)",
    )
    purge = commands.add_parser(
        "purge",
        help="delete the closed plans past RETENTION_DAYS that are not on legal hold, "
        "leaving tombstones",
    )
    purge.add_argument(
        "--dry-run", action="store_true", help="list what would be deleted; change nothing"
    )
    return root


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, read the configuration and run the command."""
    args = parser().parse_args(argv)
    command = args.command or "serve"
    load_dotenv(find_dotenv(usecwd=True))
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        if command == "check":
            _print_checks([Check("configuration", ERROR, str(error))])
            return 1
        print(f"pipbot: configuration error: {error}", file=sys.stderr)
        return 2
    if command == "serve":
        from bot import serve

        return serve(settings)
    logs.configure(settings.log_format, "warning")
    if command == "check":
        return check(settings)
    if command == "migrate":
        return migrate_command(settings)
    if command == "backup":
        return backup_command_run(settings, args.path)
    if command == "purge":
        from record_cli import purge_command

        return purge_command(settings, dry_run=args.dry_run)
    if not args.offline:
        from record_cli import verify_with_slack

        return verify_with_slack(settings, args.plan)
    return verify_command(settings, args.plan)


def _print_checks(checks: list[Check]) -> None:
    width = max(len(c.name) for c in checks) + 2
    for c in checks:
        print(f"{c.status:<9}{c.name:<{width}}{c.detail}")


def check(settings: Settings) -> int:
    """Print the configuration, database and Slack checks; 1 if any is an error."""
    mode = "Socket Mode" if settings.socket_mode else f"HTTP mode on port {settings.port}"
    checks = [Check("configuration", OK, mode)]
    checks += database_checks(settings.database_url)
    checks += slack_checks(settings, check_client(settings))
    _print_checks(checks)
    return 1 if any(c.status == ERROR for c in checks) else 0


def database_checks(database_url: str) -> list[Check]:
    """The database answers and its schema is at the newest migration."""
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite" and url.database and url.database != ":memory:":
        if not Path(url.database).exists():
            return [
                Check(
                    "database",
                    WARNING,
                    f"{url.database} does not exist yet; `python bot.py migrate` or the first "
                    "start creates it",
                )
            ]
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except Exception as error:  # noqa: BLE001 - any failure is reported, not raised
        problem = str(getattr(error, "orig", error)).strip().splitlines()
        detail = problem[0][:200] if problem else type(error).__name__
        return [Check("database", ERROR, f"{backend} did not answer: {detail}")]
    finally:
        engine.dispose()
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    checks = [Check("database", OK, f"{backend} answers")]
    if current == head:
        checks.append(Check("migrations", OK, f"at the newest revision ({head})"))
    else:
        checks.append(
            Check(
                "migrations",
                WARNING,
                f"at {current or 'no revision'}, newest is {head}: run `python bot.py migrate` "
                "(serve also migrates when it starts)",
            )
        )
    return checks


def _count(n: int, noun: str, plural: str | None = None) -> str:
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def migrate_command(settings: Settings) -> int:
    """Bring the schema to the newest revision and say which one that is."""
    logging.getLogger("alembic").setLevel(logging.INFO)
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
    print(f"the database is at the newest revision ({current})")
    return 0


def backup_command_run(settings: Settings, path: Path) -> int:
    """Back the database up into `path`; one line either way."""
    try:
        print(backup(settings.database_url, path))
    except (BackupError, OSError) as error:
        print(f"pipbot: backup failed: {error}", file=sys.stderr)
        return 1
    return 0


def verify_command(settings: Settings, public_id: str | None) -> int:
    """Recompute the hash chain of every plan (or one); 1 if any is broken or missing."""
    from models import Plan
    from services.audit import verify_chain

    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as db:
            query = select(Plan).order_by(Plan.id)
            if public_id is not None:
                query = query.where(Plan.public_id == public_id.strip().upper())
            plans = list(db.scalars(query))
            if public_id is not None and not plans:
                print(f"pipbot: there is no plan {public_id}", file=sys.stderr)
                return 1
            events = broken = 0
            for plan in plans:
                result = verify_chain(db, plan)
                events += result.events
                if not result.intact:
                    broken += 1
                    print(
                        f"{plan.public_id}: the history does not match from event "
                        f"{result.first_broken} of {result.events}"
                    )
    except Exception as error:  # noqa: BLE001 - one line, not a traceback
        problem = str(getattr(error, "orig", error)).strip().splitlines()
        print(f"pipbot: verify failed: {problem[0] if problem else error!r}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    counted = f"{_count(len(plans), 'plan')}, {_count(events, 'event')}"
    if broken:
        print(f"{counted}: {_count(broken, 'history', 'histories')} broken")
        return 1
    print(f"{counted}: every history is intact")
    return 0
