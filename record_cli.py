"""`python bot.py verify` against Slack's sealed copies, and `python bot.py purge [--dry-run]`."""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from sqlalchemy import select

from config import Settings
from db import make_engine, make_session_factory
from metrics import MeteredWebClient
from models import Plan, utcnow
from services import retention, seals
from services.export import format_day
from services.users import last_known
from services.verify import verify_plan
from slackio.witnesses import WitnessReader
from views.record import verdict_line

SLACK_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class _Listed:
    id: int
    public_id: str
    employee_id: str
    created_at: datetime
    known_dm: str | None = None


def _count(n: int, noun: str, plural: str | None = None) -> str:
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def _first_line(error: Exception) -> str:
    problem = str(getattr(error, "orig", error)).strip().splitlines()
    return problem[0] if problem else repr(error)


def reading_client(settings: Settings) -> WebClient:
    """A client that waits out Slack's rate limits while it reads channel histories."""
    return MeteredWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=SLACK_TIMEOUT_SECONDS,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=5)],
    )


def verify_with_slack(
    settings: Settings, public_id: str | None, client: WebClient | None = None
) -> int:
    """Every plan's (or one plan's) chain and its sealed copies in Slack; 1 on any failure."""
    client = client or reading_client(settings)
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    try:
        with sessions() as db:
            query = select(Plan.id, Plan.public_id, Plan.employee_id, Plan.created_at)
            if public_id is not None:
                query = query.where(Plan.public_id == public_id.strip().upper())
            listed = [_Listed(*row) for row in db.execute(query.order_by(Plan.id))]
            listed = [
                replace(item, known_dm=seals.employee_channel(db, item.id, item.employee_id))
                for item in listed
            ]
        if public_id is not None and not listed:
            print(f"pipbot: there is no plan {public_id}", file=sys.stderr)
            return 1
        since = min((p.created_at for p in listed), default=utcnow())
        reader = WitnessReader(client, settings.hr_channel_id, since)
        events = matched = broken = 0
        for item in listed:
            # No transaction is open while Slack is read.
            witnesses = reader.for_plan(item.public_id, item.employee_id, item.known_dm)
            with sessions() as db:
                plan = db.get(Plan, item.id)
                if plan is None:  # deleted meanwhile (retention)
                    continue
                verdict = verify_plan(db, plan, witnesses)
                employee = last_known(db, item.employee_id)
            events += verdict.events
            matched += verdict.seals_matched
            broken += 0 if verdict.intact else 1
            print(verdict_line(verdict, employee.display_name if employee else item.employee_id))
    except Exception as error:  # noqa: BLE001 - one line, not a traceback
        print(f"pipbot: verify failed: {_first_line(error)}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    for where, error in reader.unreadable.items():
        print(f"pipbot: could not read {where} ({error}); its sealed copies were not compared")
    counted = f"{_count(len(listed), 'plan')}, {_count(events, 'event')}, {_count(matched, 'seal')}"
    if broken:
        print(f"{counted}: {_count(broken, 'history', 'histories')} broken")
        return 1
    if reader.unreadable:
        print(f"{counted}: not every sealed copy could be read")
        return 1
    print(f"{counted}: every history is intact")
    return 0


def purge_command(settings: Settings, *, dry_run: bool) -> int:
    """Delete (or, dry, list) the closed plans past RETENTION_DAYS that are not held."""
    days = settings.retention_days
    if days is None:
        print("RETENTION_DAYS is not set: closed plans are kept forever, nothing to delete.")
        return 0
    engine = make_engine(settings.database_url)
    now = utcnow()
    try:
        with make_session_factory(engine)() as db:
            if dry_run:
                plans = retention.due(db, now, days)
                for plan in plans:
                    closed = format_day(plan.closed_at.date()) if plan.closed_at else ""
                    print(f"{plan.public_id}: closed {closed}, would be deleted")
                run = retention.purge(db, now, days, hr_channel_id=None, dry_run=True)
                db.rollback()
            else:
                run = retention.purge(db, now, days, hr_channel_id=settings.hr_channel_id)
                db.commit()
                for public_id in run.deleted:
                    print(f"{public_id}: deleted")
    except Exception as error:  # noqa: BLE001 - one line, not a traceback
        print(f"pipbot: purge failed: {_first_line(error)}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    verb = "would be deleted" if dry_run else "deleted"
    held = f"; {_count(run.held, 'plan')} kept on legal hold" if run.held else ""
    print(
        f"{_count(len(run.deleted), 'plan')} closed before {format_day(run.before)} {verb} "
        f"under the {retention.policy_name(days)} retention policy{held}"
    )
    return 0
