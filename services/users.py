"""What we know of Slack users: names, time zones, bots and deactivated accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Plan, PlanStatus, SlackUser, utcnow
from services.outbox import dialect_insert

FRESH_FOR = timedelta(hours=12)
# The dispatcher's background refresh re-reads a participant at most this often.
REFRESH_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class Profile:
    """A Slack user as `users.info` describes them."""

    user_id: str
    name: str = ""
    real_name: str = ""
    tz: str = "UTC"
    is_bot: bool = False
    deleted: bool = False
    team_id: str | None = None

    @property
    def display_name(self) -> str:
        """The name people know them by."""
        return self.real_name or self.name or self.user_id

    @classmethod
    def from_slack(cls, user: dict[str, Any]) -> Profile:
        """Read the `user` object of a `users.info` answer."""
        profile = user.get("profile") or {}
        return cls(
            user_id=str(user["id"]),
            name=str(user.get("name") or ""),
            real_name=str(user.get("real_name") or profile.get("real_name") or ""),
            tz=str(user.get("tz") or "UTC"),
            is_bot=bool(user.get("is_bot")) or user.get("id") == "USLACKBOT",
            deleted=bool(user.get("deleted")),
            team_id=user.get("team_id"),
        )

    @classmethod
    def from_row(cls, row: SlackUser) -> Profile:
        """A profile from the cache table."""
        return cls(
            user_id=row.user_id,
            name=row.name,
            real_name=row.real_name,
            tz=row.tz,
            is_bot=row.is_bot,
            deleted=row.deleted,
            team_id=row.team_id,
        )


def remember(db: Session, profile: Profile, now: datetime | None = None) -> None:
    """Store or refresh `profile` in the cache (the caller commits).

    An upsert: two dispatchers meeting the same new person at once both succeed.
    """
    values = {
        "team_id": profile.team_id,
        "name": profile.name,
        "real_name": profile.real_name,
        "tz": profile.tz,
        "is_bot": profile.is_bot,
        "deleted": profile.deleted,
        "fetched_at": now or utcnow(),
    }
    statement = dialect_insert(db)(SlackUser).values(user_id=profile.user_id, **values)
    db.execute(statement.on_conflict_do_update(index_elements=["user_id"], set_=values))
    cached_row = db.get(SlackUser, profile.user_id)
    if cached_row is not None:
        db.refresh(cached_row)


def cached(db: Session, user_id: str, now: datetime | None = None) -> Profile | None:
    """The cached profile when it is fresh enough, else None."""
    row = db.get(SlackUser, user_id)
    if row is None or (now or utcnow()) - row.fetched_at > FRESH_FOR:
        return None
    return Profile.from_row(row)


def last_known(db: Session, user_id: str) -> Profile | None:
    """The cached profile however old it is (None if never seen)."""
    row = db.get(SlackUser, user_id)
    return None if row is None else Profile.from_row(row)


def dm_channel(db: Session, user_id: str) -> str | None:
    """The bot's DM channel with `user_id`, when it was opened before."""
    row = db.get(SlackUser, user_id)
    return None if row is None else row.dm_channel_id


def remember_dm_channel(db: Session, user_id: str, channel_id: str | None) -> None:
    """Remember (or, with None, forget) the DM channel of a cached person; the caller commits."""
    row = db.get(SlackUser, user_id)
    if row is not None:
        row.dm_channel_id = channel_id


def stale_participants(
    db: Session, now: datetime, limit: int, older_than: timedelta = FRESH_FOR
) -> list[str]:
    """Managers and employees of open plans whose cached profile is missing or old."""
    open_plan = Plan.status != PlanStatus.CLOSED
    people = (
        select(Plan.employee_id.label("user_id"))
        .where(open_plan)
        .union(select(Plan.manager_id.label("user_id")).where(open_plan))
        .subquery()
    )
    rows = db.execute(
        select(people.c.user_id)
        .outerjoin(SlackUser, SlackUser.user_id == people.c.user_id)
        .where((SlackUser.user_id.is_(None)) | (SlackUser.fetched_at < now - older_than))
        .limit(limit)
    )
    return [str(r[0]) for r in rows]
