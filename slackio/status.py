"""Slack statuses through `users.info`, read before check-in messages go out."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from services import away

logger = logging.getLogger(__name__)


def status_of(user: dict[str, Any]) -> away.Status:
    """The status in a `users.info` user object."""
    profile = user.get("profile") or {}
    expiration = int(profile.get("status_expiration") or 0)
    return away.Status(
        emoji=str(profile.get("status_emoji") or ""),
        text=str(profile.get("status_text") or ""),
        expires_at=datetime.fromtimestamp(expiration, UTC) if expiration > 0 else None,
    )


def refresh_statuses(
    sessions: sessionmaker[Session], client: WebClient, now: datetime, limit: int = 20
) -> int:
    """Re-read the status of people owed a check-in message now whose status is over an hour
    old; returns how many were read. No transaction is open while Slack is asked."""
    with sessions() as db:
        people = away.needing_status(db, now, limit)
        db.commit()
    read = 0
    for user_id in people:
        try:
            answer = client.users_info(user=user_id)
        except (SlackApiError, OSError) as error:
            # The message goes as if present; the status is tried again next time.
            logger.warning("could not read the status of %s: %s", user_id, type(error).__name__)
            continue
        with sessions() as db:
            away.remember(db, user_id, status_of(answer["user"]), now)
            db.commit()
        read += 1
    return read
