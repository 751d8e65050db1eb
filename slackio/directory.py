"""Slack users through `users.info`, cached in the database, and the bot's DMs with them."""

from __future__ import annotations

from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from scheduler.pacing import Pacer, paced
from services import users
from services.users import Profile

ZoneChange = Callable[[Session, str, str], None]


class Directory:
    """Looks people up in Slack and remembers what it learnt.

    `on_zone_change(db, user_id, tz)` runs when a person's time zone differs from the one
    remembered, so that their prompts can follow them.
    """

    def __init__(
        self,
        client: WebClient,
        on_zone_change: ZoneChange | None = None,
        *,
        pacer: Pacer | None = None,
    ) -> None:
        self.client = client
        self.on_zone_change = on_zone_change
        self.pacer = pacer

    def profile(
        self, db: Session, user_id: str, *, fresh: bool = False, store: bool = True
    ) -> Profile | None:
        """`user_id`'s profile (None when Slack does not know them); `fresh` skips the cache.

        Call it with no write transaction open on `db` (a listener's client commits first;
        the scheduler commits before): no lock is held over the network. With `store=False`
        nothing is written (the caller remembers it later, say after an acknowledgement
        that must not wait for the write lock).
        """
        if not fresh:
            known = users.cached(db, user_id)
            if known is not None:
                return known
        try:
            answer = paced(self.pacer, "users.info", lambda: self.client.users_info(user=user_id))
        except SlackApiError as error:
            if error.response.get("error") in {"user_not_found", "users_not_found"}:
                return None
            raise
        profile = Profile.from_slack(answer["user"])
        if not store:
            return profile
        before = users.last_known(db, user_id)
        users.remember(db, profile)
        if before is not None and before.tz != profile.tz and self.on_zone_change is not None:
            self.on_zone_change(db, user_id, profile.tz)
        return profile

    def tz(self, db: Session, user_id: str) -> str:
        """`user_id`'s IANA time zone, as last known (the ticker keeps it fresh); UTC if unknown."""
        known = users.last_known(db, user_id)
        if known is not None:
            return known.tz
        profile = self.profile(db, user_id)
        return profile.tz if profile else "UTC"

    def dm_channel(self, user_id: str) -> str:
        """The id of the bot's DM with `user_id` (asks Slack every time)."""
        answer = paced(
            self.pacer, "conversations.open", lambda: self.client.conversations_open(users=user_id)
        )
        return str(answer["channel"]["id"])
