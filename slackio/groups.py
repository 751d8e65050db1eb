"""Slack user groups (MANAGER_GROUP, HR_GROUP): who is in them, re-read every few minutes."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

logger = logging.getLogger(__name__)

CACHE_SECONDS = 600.0  # joining or leaving a group takes effect within 10 minutes


@dataclass(frozen=True)
class _Cached:
    members: frozenset[str]
    read_at: float


class Groups:
    """Membership of user groups named by id (S...) or handle, cached for CACHE_SECONDS.

    A group Slack cannot tell us about has no members: rights that depend on it are not
    granted (fail closed), and the failure is logged once per read, without user data.
    """

    def __init__(self, client: WebClient, cache_seconds: float = CACHE_SECONDS) -> None:
        self.client = client
        self.cache_seconds = cache_seconds
        self._members: dict[str, _Cached] = {}
        self._ids: dict[str, _Cached] = {}
        self._lock = threading.Lock()

    def members(self, group: str | None) -> frozenset[str]:
        """The user ids in `group` (an id or a handle); empty when unset or unreadable."""
        if not group:
            return frozenset()
        now = time.time()
        with self._lock:
            cached = self._members.get(group)
        if cached is not None and 0 <= now - cached.read_at < self.cache_seconds:
            return cached.members
        members = self._read(group)
        with self._lock:
            self._members[group] = _Cached(members, now)
        return members

    def is_member(self, group: str | None, user_id: str) -> bool:
        """True when `user_id` is in `group`."""
        return user_id in self.members(group)

    def _read(self, group: str) -> frozenset[str]:
        try:
            group_id = group if group.startswith("S") and group.isupper() else self._id_of(group)
            if group_id is None:
                logger.warning("user group %s was not found in this workspace", group)
                return frozenset()
            answer = self.client.usergroups_users_list(usergroup=group_id)
        except (SlackApiError, OSError) as error:
            code = error.response.get("error") if isinstance(error, SlackApiError) else error
            logger.warning("could not read user group %s: %s", group, code)
            return frozenset()
        return frozenset(str(u) for u in answer.get("users") or [])

    def _id_of(self, handle: str) -> str | None:
        answer = self.client.usergroups_list(include_disabled=False)
        for item in answer.get("usergroups") or []:
            if str(item.get("handle", "")).lower() == handle:
                return str(item["id"])
        return None
