"""The sealed copies of plan histories that live in Slack, read back with their metadata."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from services.seals import Seal
from services.verify import Witness
from views.ids import EventType

PAGE = 200


class WitnessReader:
    """Reads `pip_record_seal` messages from DMs and the HR channel, each channel once."""

    def __init__(self, client: WebClient, hr_channel_id: str | None, since: datetime) -> None:
        """`since`: when the oldest plan asked about was opened (history before it is skipped)."""
        self.client = client
        self.hr_channel_id = hr_channel_id
        self.oldest = f"{(since - timedelta(days=1)).timestamp():.6f}"
        self._channels: dict[str, list[Witness]] = {}
        self._dms: dict[str, str] = {}
        self._me: str | None = None
        self.unreadable: dict[str, str] = {}  # where -> Slack's error

    def for_plan(
        self, public_id: str, employee_id: str, known_dm: str | None = None
    ) -> list[Witness]:
        """Every seal of `public_id` found in the employee's DM and the HR channel.

        `known_dm` is the DM the bot last posted in, read when Slack no longer opens one (a
        deactivated employee).
        """
        places: list[tuple[str, str]] = []
        dm = self._dm(employee_id, known_dm)
        if dm is not None:
            places.append((dm, "dm"))
        if self.hr_channel_id:
            places.append((self.hr_channel_id, "hr"))
        found: list[Witness] = []
        for channel, kind in places:
            for witness in self._read(channel, kind):
                if witness.seal.plan == public_id:
                    found.append(witness)
        return sorted(found, key=lambda w: float(w.ts))

    def _dm(self, user_id: str, known_dm: str | None) -> str | None:
        if user_id not in self._dms:
            try:
                self._dms[user_id] = str(
                    self.client.conversations_open(users=user_id)["channel"]["id"]
                )
            except SlackApiError as error:
                if known_dm is None:
                    self.unreadable[f"the direct messages of {user_id}"] = _code(error)
                    return None
                self._dms[user_id] = known_dm
        return self._dms[user_id]

    def _read(self, channel: str, kind: str) -> list[Witness]:
        if channel not in self._channels:
            try:
                self._channels[channel] = list(self._history(channel, kind))
            except SlackApiError as error:
                where = "the HR channel" if kind == "hr" else f"the direct messages {channel}"
                self.unreadable[where] = _code(error)
                self._channels[channel] = []
        return self._channels[channel]

    def _bot_user(self) -> str:
        """Our own bot user: only the messages it posted are witnesses."""
        if self._me is None:
            self._me = str(self.client.auth_test()["user_id"])
        return self._me

    def _history(self, channel: str, kind: str) -> Iterator[Witness]:
        me = self._bot_user()
        cursor: str | None = None
        while True:
            answer = self.client.conversations_history(
                channel=channel,
                oldest=self.oldest,
                include_all_metadata=True,
                limit=PAGE,
                cursor=cursor,
            )
            for message in answer.get("messages", []):
                metadata = message.get("metadata") or {}
                if metadata.get("event_type") != EventType.SEAL:
                    continue
                seal = Seal.from_payload(metadata.get("event_payload"))
                if seal is not None and message.get("user") == me:
                    yield Witness(seal, channel, str(message["ts"]), kind)
            cursor = (answer.get("response_metadata") or {}).get("next_cursor") or None
            if not answer.get("has_more") or not cursor:
                return


def _code(error: SlackApiError) -> str:
    return str(error.response.get("error") or error)
