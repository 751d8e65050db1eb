"""A fake Slack Web API for tests: a real HTTP server on 127.0.0.1 that records and validates.

Point a real ``slack_sdk.WebClient(token=..., base_url=slack.url)`` (or a Bolt app built with
that client) at a started :class:`FakeSlack`. Every call is recorded in ``slack.calls`` as a
:class:`Call` (method, decoded args, the answer), including the calls the fake rejected.

The fake keeps just enough state to answer like Slack: users (``add_user``), channels (DMs of
added people plus ``add_channel``), posted messages with their metadata and threads, modal and
Home tab views, single-use trigger ids, files uploaded the ``files_upload_v2`` way, and
``response_url`` posts (Bolt's ``respond()``), kept in ``slack.responses`` and recorded as
"response_url" calls. It rejects what Slack would reject and what our house rules forbid:

- blocks and views go through slack_sdk's own models (``Block.parse(b).to_dict()``,
  ``View(**v).to_dict()``) plus the limits slack_sdk does not check (block counts, duplicate
  ``block_id`` / ``action_id``, modal type and text lengths);
- ``chat.postMessage``, ``chat.postEphemeral`` and ``chat.update`` need non-empty fallback
  ``text`` even with blocks (house rule; Slack itself only warns);
- a trigger id works once and for 3 seconds after ``new_trigger_id()``, measured with
  ``time.time()`` so ``time_machine`` can move the clock instead of a test sleeping.

``fail_next`` injects failures (any HTTP status, ``Retry-After``, an empty 5xx body, a hang or a
dropped connection), optionally after the call took effect ("Slack accepted it, the client saw a
failure"), which is what idempotent senders must survive.

Opt-in, for pacing and shutdown tests and benchmarks (off unless asked for):
``limit(method, per_second)`` and ``limit_per_channel(method, per_second)`` answer 429 with a
``Retry-After`` like Slack's rate limits; ``slow(method, seconds)`` answers every call late (after
it took effect); ``hang(method)`` never answers (until ``stop()``). Every call records when it
arrived (``Call.at``, monotonic seconds; ``Call.wall``, ``time.time()``) and the ``Retry-After``
it was given, so tests can check that a sender honoured it (``inside_retry_after``).

Usage::

    with FakeSlack().start() as slack:
        slack.add_user("U1")
        client = WebClient(token="xoxb-test-token", base_url=slack.url)
        client.chat_postMessage(channel=slack.dm_channel("U1"), text="hi")
        assert slack.messages(slack.dm_channel("U1"))[0]["text"] == "hi"

Start-up checks: ``auth.test`` answers with the ``x-oauth-scopes`` header Slack sends (every
bot scope of manifest.yml unless ``scopes=`` says otherwise); ``conversations.info`` knows the
channels of ``add_channel`` (``member=False`` for one the bot was never invited to: posting
there fails with ``not_in_channel``, and a private one is ``channel_not_found``);
``apps.connections.open`` takes the ``app_token=`` the fake was made with.

Only the standard library, slack_sdk and PyYAML (to read manifest.yml) are used.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import itertools
import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import yaml
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

__all__ = ["Call", "FakeSlack"]

MANIFEST = Path(__file__).resolve().parent.parent / "manifest.yml"
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_TEXT = 40_000
MAX_VIEW_TEXT = 24
MAX_PRIVATE_METADATA = 3000
MAX_CALLBACK_ID = 255
TRIGGER_TTL_SECONDS = 3.0
RESPONSE_URL_TTL_SECONDS = 30 * 60
RESPONSE_URL_MAX_USES = 5
VIEW_STACK_LIMIT = 3
HISTORY_DEFAULT_LIMIT = 100

# Arguments Slack accepts as JSON strings in form bodies; recorded decoded.
_JSON_FIELDS = ("attachments", "blocks", "files", "metadata", "view")
# Methods Slack has retired: answering like Slack catches code that still uses them.
_RETIRED_METHODS = {"files.upload": "method_deprecated"}
_TZ_LABELS = {
    "EST": "Eastern Standard Time",
    "EDT": "Eastern Daylight Time",
    "CST": "Central Standard Time",
    "CDT": "Central Daylight Time",
    "MST": "Mountain Standard Time",
    "MDT": "Mountain Daylight Time",
    "PST": "Pacific Standard Time",
    "PDT": "Pacific Daylight Time",
    "GMT": "Greenwich Mean Time",
    "BST": "British Summer Time",
    "CET": "Central European Time",
    "CEST": "Central European Summer Time",
    "UTC": "Coordinated Universal Time",
}


@dataclass
class Call:
    """One Web API call the fake received and what it answered."""

    method: str
    args: dict
    response: dict
    status: int = 200  # HTTP status answered; 0 when the fake hung up or never answered
    at: float = 0.0  # time.monotonic() when the call arrived
    wall: float = 0.0  # time.time() when the call arrived (follows time_machine)
    retry_after: float | None = None  # the Retry-After answered with a 429


@dataclass
class _Failure:
    error: str | None
    status: int
    headers: dict[str, str]
    after_accept: bool
    hang: bool
    disconnect: bool


@dataclass
class _Trigger:
    issued_at: float
    view_id: str | None
    used: bool = False


@dataclass
class _Hook:
    issued_at: float
    uses: int = 0


@dataclass
class _Reply:
    status: int
    body: dict | None  # None: empty body
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False
    disconnect: bool = False
    delay: float = 0.0


@dataclass
class _Bucket:
    """Slack-like pacing: `rate` calls a second, bursts up to `burst`; real (monotonic) time."""

    rate: float
    burst: float
    tokens: float = -1.0
    updated: float = 0.0

    def take(self, now: float) -> float:
        """Take one token; 0.0 when there was one, else the seconds until there is."""
        if self.tokens < 0:
            self.tokens, self.updated = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


class _ApiError(Exception):
    """A Slack error answer: {"ok": false, "error": ...}."""

    def __init__(self, error: str, messages: list[str] | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages or []

    def body(self) -> dict:
        body: dict[str, Any] = {"ok": False, "error": self.error}
        if self.messages:
            body["response_metadata"] = {"messages": self.messages}
        return body


class FakeSlack:
    """A fake Slack Web API on localhost that records calls and rejects what Slack would."""

    bot_id = "B0001"
    app_id = "A0001"
    hang_seconds = 30.0  # upper bound for fail_next(hang=True); stop() releases earlier

    def __init__(
        self,
        bot_token: str = "xoxb-test-token",
        team_id: str = "T0001",
        bot_user_id: str = "UBOT",
        *,
        app_token: str | None = None,
        scopes: list[str] | None = None,
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.scopes = manifest_scopes() if scopes is None else list(scopes)
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.url = ""  # set by start()
        self.base = ""  # server root, e.g. "http://127.0.0.1:54321"
        self.calls: list[Call] = []
        self.uploads: list[dict] = []
        self.responses: list[dict] = []
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._last_ts = 0
        self._users: dict[str, dict[str, Any]] = {}
        self._channels: set[str] = set()
        self._channel_info: dict[str, dict[str, Any]] = {}
        self._dm_owner: dict[str, str] = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._release = threading.Event()
        self._limits: dict[str, _Bucket] = {}
        self._channel_limits: dict[str, float] = {}
        self._channel_buckets: dict[tuple[str, str], _Bucket] = {}
        self._slow: dict[str, float] = {}
        self._hanging: dict[str, bool] = {}
        self._methods: dict[str, Callable[[dict], dict]] = {
            "auth.test": self._auth_test,
            "apps.connections.open": self._apps_connections_open,
            "conversations.info": self._conversations_info,
            "users.info": self._users_info,
            "conversations.open": self._conversations_open,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "usergroups.list": self._usergroups_list,
            "usergroups.users.list": self._usergroups_users_list,
        }
        self._usergroups: dict[str, dict[str, Any]] = {}
        self._forget()

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> FakeSlack:
        """Serve on 127.0.0.1 (a free port) from a daemon thread; return self."""
        if self._server is not None:
            return self
        self._release.clear()
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server = server
        port = server.server_address[1]
        self.base = f"http://127.0.0.1:{port}"
        self.url = f"{self.base}/api/"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release any hung requests."""
        self._release.set()
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget calls, failures, messages, views, triggers, uploads (users, channels stay)."""
        with self._lock:
            self._forget()

    def _forget(self) -> None:
        self.calls.clear()
        self.uploads.clear()
        self.responses.clear()
        self._failures: dict[str, list[_Failure]] = {}
        self._messages: dict[str, list[dict]] = {}
        self._views: dict[str, dict] = {}
        self._external_ids: dict[str, str] = {}
        self._stacks: dict[str, list[str]] = {}
        self._last_root: str | None = None
        self._homes: dict[str, dict] = {}
        self._triggers: dict[str, _Trigger] = {}
        self._pending_files: dict[str, dict] = {}
        self._hooks: dict[str, _Hook] = {}

    # ----------------------------------------------------------------- test set-up

    def add_user(
        self,
        user_id: str,
        *,
        name: str | None = None,
        real_name: str | None = None,
        tz: str = "America/New_York",
        is_bot: bool = False,
        deleted: bool = False,
    ) -> None:
        """Add (or replace) a workspace member; people get a DM channel, bots do not."""
        ZoneInfo(tz)  # fail here, not inside a request, on a bad zone name
        name = name or user_id.lower()
        with self._lock:
            self._users[user_id] = {
                "id": user_id,
                "name": name,
                "real_name": real_name or name,
                "tz": tz,
                "is_bot": is_bot,
                "deleted": deleted,
            }
            if is_bot:
                self._dm_owner.pop(self.dm_channel(user_id), None)
            else:
                self._dm_owner[self.dm_channel(user_id)] = user_id

    def add_usergroup(self, group_id: str, handle: str, members: list[str] = ()) -> None:  # type: ignore[assignment]
        """Add (or replace) a user group (`S...`, a handle such as `people-managers`)."""
        with self._lock:
            self._usergroups[group_id] = {"id": group_id, "handle": handle, "users": list(members)}

    def set_usergroup_members(self, group_id: str, members: list[str]) -> None:
        """Change who is in a user group, as an admin would in Slack."""
        with self._lock:
            self._usergroups[group_id]["users"] = list(members)

    def set_status(
        self, user_id: str, emoji: str = "", text: str = "", expiration: int = 0
    ) -> None:
        """Set (or clear, with no arguments) a member's Slack status, as `users.info` shows it."""
        with self._lock:
            user = self._users[user_id]
            user["status_emoji"], user["status_text"] = emoji, text
            user["status_expiration"] = expiration

    def add_channel(
        self,
        channel_id: str,
        *,
        name: str | None = None,
        member: bool = True,
        private: bool = True,
    ) -> None:
        """Make a channel known (e.g. the HR channel); the bot is in it unless `member=False`."""
        with self._lock:
            self._channels.add(channel_id)
            self._channel_info[channel_id] = {
                "id": channel_id,
                "name": name or channel_id.lower(),
                "is_channel": not private,
                "is_group": private,
                "is_private": private,
                "is_archived": False,
                "is_member": member,
            }

    def add_message(self, channel: str, user: str, text: str, metadata: dict | None = None) -> str:
        """A message someone else posted (a person, or another app as `user`); returns its ts."""
        with self._lock:
            message = {"type": "message", "ts": self._next_ts(), "text": text, "user": user}
            if metadata is not None:
                message["metadata"] = copy.deepcopy(metadata)
            self._messages.setdefault(channel, []).append(message)
            return message["ts"]

    def new_trigger_id(self, *, view_id: str | None = None) -> str:
        """Issue a trigger id valid once, for 3 s from now; view_id names the modal it came from."""
        with self._lock:
            trigger_id = f"{next(self._ids)}.{int(time.time())}.{secrets.token_hex(8)}"
            self._triggers[trigger_id] = _Trigger(issued_at=time.time(), view_id=view_id)
            return trigger_id

    def response_url(self) -> str:
        """A fresh response_url on this fake, valid 30 minutes and 5 times, like Slack's."""
        if not self.base:
            raise RuntimeError("start() the fake before asking for a response_url")
        with self._lock:
            hook_id = self._next_id("R")
            self._hooks[hook_id] = _Hook(issued_at=time.time())
        return f"{self.base}/respond/{hook_id}"

    def fail_next(
        self,
        method: str,
        *,
        error: str | None = None,
        status: int = 200,
        headers: dict[str, str] | None = None,
        times: int = 1,
        after_accept: bool = False,
        hang: bool = False,
        disconnect: bool = False,
    ) -> None:
        """Make the next `times` calls of `method` fail as described (see the module docstring).

        The answer is HTTP `status` with {"ok": false, "error": error}; without `error` a 5xx has
        an empty body, a 429 says "ratelimited" (and gets "Retry-After: 1" unless `headers` set
        one) and anything else says "internal_error". `hang` holds the request unanswered until
        the client gives up (or stop()); `disconnect` closes the connection without an answer.
        `after_accept` performs the call first, so its effect (a posted message) is kept.
        `method` may also be "response_url" for posts to a response_url, or "upload" for the
        POST of a file's bytes to its upload_url (answered `status`, the bytes not kept).
        """
        hdrs = dict(headers or {})
        if status == 429 and not any(k.lower() == "retry-after" for k in hdrs):
            hdrs["Retry-After"] = "1"
        failure = _Failure(error, status, hdrs, after_accept, hang, disconnect)
        with self._lock:
            self._failures.setdefault(method, []).extend([failure] * times)

    def limit(self, method: str, per_second: float, *, burst: float | None = None) -> None:
        """Answer `method` with 429 and a Retry-After beyond `per_second` calls a second."""
        with self._lock:
            self._limits[method] = _Bucket(per_second, burst or max(1.0, per_second))

    def limit_per_channel(self, method: str, per_second: float = 1.0) -> None:
        """Answer `method` with 429 beyond `per_second` calls a second to any one channel."""
        with self._lock:
            self._channel_limits[method] = per_second

    def slow(self, method: str, seconds: float) -> None:
        """Answer every call of `method` `seconds` late, after it took effect (0 turns it off)."""
        with self._lock:
            self._slow[method] = seconds

    def hang(self, method: str, *, after_accept: bool = True, enabled: bool = True) -> None:
        """Never answer calls of `method` (until stop()); `after_accept`: they take effect.

        `enabled=False` answers new calls again (calls already hanging stay so)."""
        with self._lock:
            if enabled:
                self._hanging[method] = after_accept
            else:
                self._hanging.pop(method, None)

    def inside_retry_after(self, method: str) -> list[Call]:
        """Calls of `method` that arrived while a Retry-After answered for it still ran."""
        with self._lock:
            calls = [c for c in self.calls if c.method == method]
        inside = []
        until = 0.0
        for call in calls:
            if call.at < until:
                inside.append(call)
            if call.retry_after is not None:
                until = max(until, call.at + call.retry_after)
        return inside

    # ----------------------------------------------------------------- inspection

    def calls_to(self, method: str) -> list[Call]:
        """The recorded calls of one method, in order."""
        with self._lock:
            return [c for c in self.calls if c.method == method]

    @staticmethod
    def dm_channel(user_id: str) -> str:
        """The DM channel id conversations.open returns for a user (deterministic)."""
        return "D" + hashlib.sha1(user_id.encode()).hexdigest()[:10].upper()

    def messages(self, channel: str) -> list[dict]:
        """Messages now in a channel, oldest first, thread replies included (no ephemerals)."""
        with self._lock:
            return copy.deepcopy(self._messages.get(channel, []))

    def channel_of(self, message: dict) -> str:
        """The channel a recorded message is in, found by its ts (KeyError if none holds it)."""
        with self._lock:
            for channel, messages in self._messages.items():
                if any(m["ts"] == message.get("ts") for m in messages):
                    return channel
        raise KeyError(f"no recorded message with ts {message.get('ts')!r}")

    def view(self, view_id: str) -> dict:
        """The current stored view (modal or Home tab) with this id (KeyError if none)."""
        with self._lock:
            if view_id in self._views:
                return copy.deepcopy(self._views[view_id])
            for home in self._homes.values():
                if home["id"] == view_id:
                    return copy.deepcopy(home)
        raise KeyError(f"no view {view_id!r}")

    def home_view(self, user_id: str) -> dict:
        """The Home tab view last published for a user (KeyError if none)."""
        with self._lock:
            if user_id not in self._homes:
                raise KeyError(f"no Home tab published for {user_id!r}")
            return copy.deepcopy(self._homes[user_id])

    def view_stack(self, root_view_id: str) -> list[str]:
        """The ids of the modals stacked on a root view, bottom first."""
        with self._lock:
            return list(self._stacks.get(root_view_id, []))

    # ----------------------------------------------------------------- request plumbing

    def _handle_api(self, method: str, args: dict, authorization: str | None) -> _Reply:
        """Answer one Web API call and record it."""
        token = args.pop("token", None)
        arrived, wall = time.monotonic(), time.time()
        with self._lock:
            expected = self.app_token if method == "apps.connections.open" else self.bot_token
            reply = self._check_auth(authorization, token, expected)
            if reply is None:
                reply = self._rate_limited(method, args, arrived)
            if reply is None and self._hanging.get(method) is False:
                reply = _Reply(200, None, hang=True)  # never reaches Slack's insides
            if reply is None:
                reply = self._with_failures(method, lambda: self._run(method, args))
                reply.hang = reply.hang or method in self._hanging
                reply.delay = self._slow.get(method, 0.0)
            self._record(method, args, reply, arrived, wall)
        return reply

    def _rate_limited(self, method: str, args: dict, now: float) -> _Reply | None:
        """A 429 when `method` (or its channel) is over an opted-in limit, else None."""
        waits = []
        bucket = self._limits.get(method)
        if bucket is not None:
            waits.append(bucket.take(now))
        per_channel = self._channel_limits.get(method)
        if per_channel is not None and args.get("channel"):
            key = (method, str(args["channel"]))
            channel_bucket = self._channel_buckets.setdefault(key, _Bucket(per_channel, 1.0))
            waits.append(channel_bucket.take(now))
        wait = max(waits, default=0.0)
        if wait <= 0.0:
            return None
        retry_after = max(1, int(wait + 0.999))  # Slack answers whole seconds
        body = {"ok": False, "error": "ratelimited"}
        return _Reply(429, body, {"Retry-After": str(retry_after)})

    def _handle_response_url(self, hook_id: str, payload: dict) -> _Reply:
        """Answer a POST to a response_url and record it as a "response_url" call."""
        with self._lock:
            reply = self._with_failures(
                "response_url", lambda: self._run_response_url(hook_id, payload)
            )
            self._record("response_url", payload, reply)
        return reply

    def _with_failures(self, method: str, run: Callable[[], _Reply]) -> _Reply:
        """Run the call unless a failure is queued for it; after_accept runs it anyway."""
        queue = self._failures.get(method)
        failure = queue.pop(0) if queue else None
        if failure is None:
            return run()
        if failure.after_accept:
            run()
        return self._failure_reply(failure)

    def _record(
        self,
        method: str,
        args: dict,
        reply: _Reply,
        at: float | None = None,
        wall: float | None = None,
    ) -> None:
        status = 0 if reply.hang or reply.disconnect else reply.status
        retry_after = None
        if reply.status == 429:
            header = {k.lower(): v for k, v in reply.headers.items()}.get("retry-after", "1")
            retry_after = float(header)
        self.calls.append(
            Call(
                method,
                args,
                copy.deepcopy(reply.body or {}),
                status,
                time.monotonic() if at is None else at,
                time.time() if wall is None else wall,
                retry_after,
            )
        )

    def _check_auth(
        self, authorization: str | None, token: str | None, expected: str | None
    ) -> _Reply | None:
        if authorization and authorization.startswith("Bearer "):
            token = authorization.removeprefix("Bearer ").strip()
        if not token:
            return _Reply(200, {"ok": False, "error": "not_authed"})
        if token != expected:
            return _Reply(200, {"ok": False, "error": "invalid_auth"})
        return None

    def _run(self, method: str, args: dict) -> _Reply:
        if method in _RETIRED_METHODS:
            return _Reply(200, {"ok": False, "error": _RETIRED_METHODS[method]})
        handler = self._methods.get(method)
        if handler is None:
            return _Reply(404, {"ok": False, "error": "unknown_method"})
        try:
            # Slack names the token's scopes on every answer.
            scopes = {"x-oauth-scopes": ",".join(self.scopes)}
            return _Reply(200, {"ok": True, **handler(args)}, scopes)
        except _ApiError as exc:
            return _Reply(200, exc.body())
        except Exception as exc:  # a bug in the fake: say so instead of dropping the connection
            return _Reply(500, _ApiError("fakeslack_crashed", [repr(exc)]).body())

    @staticmethod
    def _failure_reply(failure: _Failure) -> _Reply:
        if failure.error is None and failure.status >= 500:
            body = None
        else:
            default = "ratelimited" if failure.status == 429 else "internal_error"
            body = {"ok": False, "error": failure.error or default}
        return _Reply(failure.status, body, dict(failure.headers), failure.hang, failure.disconnect)

    def _receive_upload(self, file_id: str, content_type: str, body: bytes) -> int:
        """Store the bytes POSTed to an upload_url; answer the HTTP status."""
        if content_type.startswith("multipart/form-data"):
            parts = _parse_multipart(body, content_type)
            files = [p for p in parts if p[2] is not None] or parts
            body = files[0][1] if files else b""
        with self._lock:
            queue = self._failures.get("upload")
            failure = queue.pop(0) if queue else None
            if failure is not None:
                return failure.status
            pending = self._pending_files.get(file_id)
            if pending is None:
                return 404
            pending["content"] = body
            return 200

    # ----------------------------------------------------------------- helpers

    def _next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):010d}"

    def _next_ts(self) -> str:
        """A unique, increasing message ts based on time.time()."""
        value = max(int(time.time()) * 1_000_000, self._last_ts) + 100
        self._last_ts = value
        return f"{value // 1_000_000}.{value % 1_000_000:06d}"

    def _resolve_channel(self, args: dict) -> str:
        """The known channel the call names (a user id means that user's DM)."""
        channel = str(args.get("channel") or "")
        if not channel:
            raise _ApiError("channel_not_found")
        if channel in self._channels or channel in self._dm_owner:
            info = self._channel_info.get(channel)
            if info is not None and not info["is_member"]:
                raise _ApiError("channel_not_found" if info["is_private"] else "not_in_channel")
            return channel
        user = self._users.get(channel)
        if user is not None and not user["is_bot"]:
            return self.dm_channel(channel)
        raise _ApiError("channel_not_found")

    def _find_message(self, channel: str, ts: Any) -> dict | None:
        for message in self._messages.get(channel, []):
            if message["ts"] == ts:
                return message
        return None

    def _message_args(self, args: dict) -> None:
        """Apply the text, blocks and metadata rules of chat.postMessage and friends."""
        text = args.get("text")
        if text is not None and not isinstance(text, str):
            text = str(text)
        if not text or not text.strip():
            raise _ApiError("no_text", ["fallback text is required, also with blocks"])
        if len(text) > MAX_MESSAGE_TEXT:
            raise _ApiError("msg_too_long")
        if "blocks" in args:
            blocks = args["blocks"]
            if not isinstance(blocks, list):
                raise _ApiError("invalid_blocks", ["blocks must be a JSON array"])
            if len(blocks) > MAX_MESSAGE_BLOCKS:
                raise _ApiError(
                    "invalid_blocks", [f"at most {MAX_MESSAGE_BLOCKS} blocks, got {len(blocks)}"]
                )
            problems = block_problems(blocks)
            if problems:
                raise _ApiError("invalid_blocks", problems)
        if "metadata" in args:
            metadata = args["metadata"]
            if not (
                isinstance(metadata, dict)
                and isinstance(metadata.get("event_type"), str)
                and metadata["event_type"]
                and isinstance(metadata.get("event_payload"), dict)
            ):
                raise _ApiError(
                    "invalid_metadata", ['expected {"event_type": str, "event_payload": object}']
                )

    def _user_object(self, user: dict[str, Any]) -> dict:
        now = datetime.fromtimestamp(time.time(), ZoneInfo(user["tz"]))
        offset = now.utcoffset()
        abbreviation = now.tzname() or ""
        return {
            "id": user["id"],
            "team_id": self.team_id,
            "name": user["name"],
            "real_name": user["real_name"],
            "deleted": user["deleted"],
            "is_bot": user["is_bot"],
            "is_app_user": False,
            "tz": user["tz"],
            "tz_label": _TZ_LABELS.get(abbreviation, abbreviation),
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "profile": {
                "real_name": user["real_name"],
                "real_name_normalized": user["real_name"],
                "display_name": user["name"],
                "display_name_normalized": user["name"],
                "team": self.team_id,
                "status_emoji": user.get("status_emoji", ""),
                "status_text": user.get("status_text", ""),
                "status_expiration": user.get("status_expiration", 0),
            },
        }

    def _run_response_url(self, hook_id: str, payload: dict) -> _Reply:
        hook = self._hooks.get(hook_id)
        if hook is None:
            return _Reply(404, {"ok": False, "error": "no_active_hooks"})
        if time.time() - hook.issued_at > RESPONSE_URL_TTL_SECONDS:
            return _Reply(404, {"ok": False, "error": "expired_url"})
        if hook.uses >= RESPONSE_URL_MAX_USES:
            return _Reply(404, {"ok": False, "error": "used_url"})
        if not _truthy(payload.get("delete_original")):
            try:
                self._message_args(payload)
            except _ApiError as exc:
                return _Reply(400, exc.body())
        hook.uses += 1
        self.responses.append({"url": f"{self.base}/respond/{hook_id}", **copy.deepcopy(payload)})
        return _Reply(200, {"ok": True})

    # ----------------------------------------------------------------- methods: auth, users

    def _auth_test(self, args: dict) -> dict:
        return {
            "url": "https://fake-workspace.slack.com/",
            "team": "Fake Workspace",
            "user": "bot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _apps_connections_open(self, args: dict) -> dict:
        # Nothing listens there: tests use this only to tell a good app token from a bad one.
        return {"url": f"wss://127.0.0.1:9/link/?ticket={secrets.token_hex(8)}"}

    def _conversations_info(self, args: dict) -> dict:
        channel = str(args.get("channel") or "")
        if channel in self._dm_owner:
            return {"channel": {"id": channel, "is_im": True, "user": self._dm_owner[channel]}}
        info = self._channel_info.get(channel)
        if info is None or (info["is_private"] and not info["is_member"]):
            raise _ApiError("channel_not_found")
        return {"channel": dict(info)}

    def _users_info(self, args: dict) -> dict:
        user = self._users.get(args.get("user", ""))
        if user is None:
            raise _ApiError("user_not_found")
        return {"user": self._user_object(user)}

    def _usergroups_list(self, args: dict) -> dict:
        groups = [
            {
                "id": g["id"],
                "handle": g["handle"],
                "name": g["handle"],
                "user_count": len(g["users"]),
            }
            for g in self._usergroups.values()
        ]
        return {"usergroups": copy.deepcopy(groups)}

    def _usergroups_users_list(self, args: dict) -> dict:
        group = self._usergroups.get(str(args.get("usergroup") or ""))
        if group is None:
            raise _ApiError("no_such_subteam")
        return {"users": list(group["users"])}

    def _conversations_open(self, args: dict) -> dict:
        if args.get("channel"):
            if args["channel"] not in self._dm_owner:
                raise _ApiError("channel_not_found")
            return {"no_op": True, "already_open": True, "channel": {"id": args["channel"]}}
        users = [u.strip() for u in str(args.get("users", "")).split(",") if u.strip()]
        if not users:
            raise _ApiError("users_list_not_supplied")
        if len(users) > 1:
            raise _ApiError("invalid_arguments", ["this fake supports 1:1 DMs only"])
        user = self._users.get(users[0])
        if user is None:
            raise _ApiError("user_not_found")
        if user["is_bot"]:
            raise _ApiError("cannot_dm_bot")
        if user["deleted"]:
            raise _ApiError("user_disabled")
        return {"channel": {"id": self.dm_channel(user["id"])}}

    # ----------------------------------------------------------------- methods: messages

    def _chat_post_message(self, args: dict) -> dict:
        channel = self._resolve_channel(args)
        self._message_args(args)
        message: dict[str, Any] = {
            "type": "message",
            "ts": self._next_ts(),
            "text": args["text"],
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
        }
        for key in ("blocks", "metadata", "attachments"):
            if key in args:
                message[key] = copy.deepcopy(args[key])
        thread_ts = args.get("thread_ts")
        if thread_ts:
            message["thread_ts"] = thread_ts
            parent = self._find_message(channel, thread_ts)
            if parent is not None:
                parent["thread_ts"] = thread_ts
                parent["reply_count"] = parent.get("reply_count", 0) + 1
                parent["latest_reply"] = message["ts"]
                parent["reply_users"] = [self.bot_user_id]
        self._messages.setdefault(channel, []).append(message)
        return {"channel": channel, "ts": message["ts"], "message": copy.deepcopy(message)}

    def _chat_post_ephemeral(self, args: dict) -> dict:
        channel = args.get("channel") or ""
        try:
            channel = self._resolve_channel(args)
        except _ApiError:
            if not channel.startswith(("C", "D")):
                raise
        if not args.get("user"):
            raise _ApiError("user_not_in_channel", ["user is required"])
        self._message_args(args)
        return {"message_ts": self._next_ts()}

    def _chat_update(self, args: dict) -> dict:
        channel = self._resolve_channel(args)
        message = self._find_message(channel, args.get("ts"))
        if message is None:
            raise _ApiError("message_not_found")
        self._message_args(args)
        message["text"] = args["text"]
        if "blocks" in args:
            message["blocks"] = copy.deepcopy(args["blocks"])
        else:
            message.pop("blocks", None)
        if "metadata" in args:
            message["metadata"] = copy.deepcopy(args["metadata"])
        message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {
            "channel": channel,
            "ts": message["ts"],
            "text": message["text"],
            "message": copy.deepcopy(message),
        }

    def _chat_delete(self, args: dict) -> dict:
        channel = self._resolve_channel(args)
        message = self._find_message(channel, args.get("ts"))
        if message is None:
            raise _ApiError("message_not_found")
        self._messages[channel].remove(message)
        return {"channel": channel, "ts": message["ts"]}

    def _chat_get_permalink(self, args: dict) -> dict:
        channel = self._resolve_channel(args)
        ts = str(args.get("message_ts") or "")
        if self._find_message(channel, ts) is None:
            raise _ApiError("message_not_found")
        link = f"https://fake-workspace.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return {"channel": channel, "permalink": link}

    def _conversations_history(self, args: dict) -> dict:
        channel = self._resolve_channel(args)
        inclusive = _truthy(args.get("inclusive"))
        oldest = _ts_key(args.get("oldest"), "invalid_ts_oldest")
        latest = _ts_key(args.get("latest"), "invalid_ts_latest")

        def wanted(message: dict) -> bool:
            if message.get("thread_ts", message["ts"]) != message["ts"]:
                return False  # a thread reply: history shows only the parent
            key = _ts_key(message["ts"], "invalid_ts")
            assert key is not None
            if oldest is not None and (key < oldest or (key == oldest and not inclusive)):
                return False
            return latest is None or key < latest or (key == latest and inclusive)

        found = [m for m in reversed(self._messages.get(channel, [])) if wanted(m)]
        return _without_metadata(_page(found, args, "messages"), args)

    def _conversations_replies(self, args: dict) -> dict:
        channel = self._resolve_channel(args)
        message = self._find_message(channel, args.get("ts"))
        if message is None:
            raise _ApiError("thread_not_found")
        root = message.get("thread_ts", message["ts"])
        thread = [
            m
            for m in self._messages.get(channel, [])
            if m["ts"] == root or m.get("thread_ts") == root
        ]
        return _without_metadata(_page(thread, args, "messages"), args)

    # ----------------------------------------------------------------- methods: views

    def _take_trigger(self, args: dict) -> _Trigger:
        """The valid trigger the call names; it is spent only when the call succeeds."""
        trigger_id = args.get("trigger_id")
        if not trigger_id:
            raise _ApiError("invalid_arguments", ["trigger_id is required"])
        trigger = self._triggers.get(trigger_id)
        if trigger is None:
            raise _ApiError("invalid_trigger_id")
        if trigger.used or time.time() - trigger.issued_at > TRIGGER_TTL_SECONDS:
            raise _ApiError("expired_trigger_id")
        return trigger

    def _store_view(
        self, view: dict, *, view_id: str, root: str, previous: str | None, old: dict | None
    ) -> dict:
        stored: dict[str, Any] = {
            "id": view_id,
            "team_id": self.team_id,
            "type": view["type"],
            "blocks": copy.deepcopy(view.get("blocks", [])),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "root_view_id": root,
            "previous_view_id": previous,
            "app_id": self.app_id,
            "bot_id": self.bot_id,
        }
        for key in ("title", "submit", "close"):
            if key in view:
                stored[key] = copy.deepcopy(view[key])
        if old is not None and old.get("external_id") and not stored["external_id"]:
            stored["external_id"] = old["external_id"]
        if stored["external_id"]:
            self._external_ids[stored["external_id"]] = view_id
        return stored

    def _check_view(self, args: dict, kind: str) -> dict:
        view = args.get("view")
        problems = view_problems(view, kind=kind)
        if problems:
            raise _ApiError("invalid_arguments", problems)
        assert isinstance(view, dict)
        return view

    def _check_external_id(self, view: dict, own_id: str | None) -> None:
        external_id = view.get("external_id")
        if external_id and self._external_ids.get(external_id, own_id) != own_id:
            raise _ApiError("duplicate_external_id")

    def _views_open(self, args: dict) -> dict:
        trigger = self._take_trigger(args)
        view = self._check_view(args, "modal")
        self._check_external_id(view, None)
        trigger.used = True
        view_id = self._next_id("V")
        stored = self._store_view(view, view_id=view_id, root=view_id, previous=None, old=None)
        self._views[view_id] = stored
        self._stacks[view_id] = [view_id]
        self._last_root = view_id
        return {"view": copy.deepcopy(stored)}

    def _views_push(self, args: dict) -> dict:
        trigger = self._take_trigger(args)
        view = self._check_view(args, "modal")
        self._check_external_id(view, None)
        origin = self._views.get(trigger.view_id or "")
        root = origin["root_view_id"] if origin else self._last_root
        if root is None or root not in self._stacks:
            raise _ApiError("invalid_arguments", ["no modal is open to push onto"])
        stack = self._stacks[root]
        if len(stack) >= VIEW_STACK_LIMIT:
            raise _ApiError("push_limit_reached")
        trigger.used = True
        view_id = self._next_id("V")
        stored = self._store_view(view, view_id=view_id, root=root, previous=stack[-1], old=None)
        self._views[view_id] = stored
        stack.append(view_id)
        return {"view": copy.deepcopy(stored)}

    def close_view(self, view_id: str) -> None:
        """The person closes the modal `view_id`: updating it answers `not_found` from now on."""
        with self._lock:
            self._views.pop(view_id, None)

    def _views_update(self, args: dict) -> dict:
        view_id = args.get("view_id") or self._external_ids.get(args.get("external_id") or "")
        if not args.get("view_id") and not args.get("external_id"):
            raise _ApiError("invalid_arguments", ["view_id or external_id is required"])
        old = self._views.get(view_id or "")
        if old is None:
            raise _ApiError("not_found")
        view = self._check_view(args, "modal")
        if args.get("hash") and args["hash"] != old["hash"]:
            raise _ApiError("hash_conflict")
        self._check_external_id(view, old["id"])
        stored = self._store_view(
            view,
            view_id=old["id"],
            root=old["root_view_id"],
            previous=old["previous_view_id"],
            old=old,
        )
        self._views[old["id"]] = stored
        return {"view": copy.deepcopy(stored)}

    def _views_publish(self, args: dict) -> dict:
        user_id = args.get("user_id")
        if not user_id:
            raise _ApiError("invalid_arguments", ["user_id is required"])
        if user_id not in self._users:
            raise _ApiError("user_not_found")
        view = self._check_view(args, "home")
        old = self._homes.get(user_id)
        if old is not None and args.get("hash") and args["hash"] != old["hash"]:
            raise _ApiError("hash_conflict")
        view_id = old["id"] if old else self._next_id("V")
        stored = self._store_view(view, view_id=view_id, root=view_id, previous=None, old=None)
        self._homes[user_id] = stored
        return {"view": copy.deepcopy(stored)}

    # ----------------------------------------------------------------- methods: files

    def _files_get_upload_url(self, args: dict) -> dict:
        filename = args.get("filename")
        try:
            length = int(args.get("length", ""))
        except (TypeError, ValueError):
            length = -1
        if not filename or length < 0:
            raise _ApiError("invalid_arguments", ["filename and length are required"])
        file_id = self._next_id("F")
        self._pending_files[file_id] = {
            "filename": filename,
            "length": length,
            "content": None,
            "alt_txt": args.get("alt_txt"),
        }
        return {"upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, args: dict) -> dict:
        files = args.get("files")
        if not isinstance(files, list) or not files:
            raise _ApiError("invalid_arguments", ["files must be a non-empty JSON array"])
        channel_id = args.get("channel_id")
        if not channel_id and args.get("channels"):
            channel_id = str(args["channels"]).split(",")[0]
        if channel_id:
            channel_id = self._resolve_channel({"channel": channel_id})
        ids = [f.get("id") if isinstance(f, dict) else None for f in files]
        for file_id in ids:
            pending = self._pending_files.get(file_id or "")
            if pending is None or pending["content"] is None:
                raise _ApiError("file_not_found", [f"no uploaded file {file_id!r}"])
        answered = []
        for spec, file_id in zip(files, ids, strict=True):
            pending = self._pending_files.pop(str(file_id))
            title = spec.get("title") or pending["filename"]
            self.uploads.append(
                {
                    "id": file_id,
                    "filename": pending["filename"],
                    "title": title,
                    "content": pending["content"],
                    "channel_id": channel_id,
                    "initial_comment": args.get("initial_comment"),
                    "thread_ts": args.get("thread_ts"),
                }
            )
            answered.append(
                {
                    "id": file_id,
                    "title": title,
                    "name": pending["filename"],
                    "size": len(pending["content"]),
                }
            )
        return {"files": answered}


# --------------------------------------------------------------------- validation


def _text_of(obj: Any) -> str | None:
    if isinstance(obj, dict):
        text = obj.get("text")
        return text if isinstance(text, str) else None
    return obj if isinstance(obj, str) else None


def _elements(block: dict) -> list[dict]:
    found = [e for e in block.get("elements") or [] if isinstance(e, dict)]
    found += [block[k] for k in ("element", "accessory") if isinstance(block.get(k), dict)]
    return found


def block_problems(blocks: list) -> list[str]:
    """What Slack would refuse in a list of blocks (slack_sdk's checks plus duplicate ids)."""
    problems: list[str] = []
    block_ids: set[str] = set()
    for index, block in enumerate(blocks):
        if not isinstance(block, dict):
            problems.append(f"blocks[{index}] must be an object")
            continue
        try:
            parsed = Block.parse(block)
            if parsed is None:
                raise ValueError(f"unknown block type {block.get('type')!r}")
            parsed.to_dict()
        except Exception as exc:
            problems.append(f"blocks[{index}]: {exc}")
        block_id = block.get("block_id")
        if block_id is not None:
            if block_id in block_ids:
                problems.append(f"blocks[{index}]: duplicate block_id {block_id!r}")
            block_ids.add(block_id)
        action_ids = [e["action_id"] for e in _elements(block) if e.get("action_id")]
        for action_id in sorted({a for a in action_ids if action_ids.count(a) > 1}):
            problems.append(f"blocks[{index}]: duplicate action_id {action_id!r}")
    return problems


def view_problems(view: Any, *, kind: str) -> list[str]:
    """What Slack would refuse in a view of type `kind` ("modal" or "home")."""
    if not isinstance(view, dict):
        return ["view must be a JSON object"]
    problems: list[str] = []
    try:
        View(**view).to_dict()
    except Exception as exc:
        problems.append(f"{type(exc).__name__}: {exc}")
    if view.get("type") != kind:
        problems.append(f"view type must be {kind!r}, got {view.get('type')!r}")
    blocks = view.get("blocks")
    if not isinstance(blocks, list) or not blocks:
        problems.append("blocks must be a non-empty array")
        blocks = []
    if len(blocks) > MAX_VIEW_BLOCKS:
        problems.append(f"at most {MAX_VIEW_BLOCKS} blocks, got {len(blocks)}")
    problems.extend(block_problems(blocks))
    if kind == "modal":
        if _text_of(view.get("title")) is None:
            problems.append("a modal needs a title")
        for key in ("title", "submit", "close"):
            text = _text_of(view.get(key))
            if text is not None and len(text) > MAX_VIEW_TEXT:
                problems.append(
                    f"{key} must be at most {MAX_VIEW_TEXT} characters, got {len(text)}"
                )
        has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
        if has_input and _text_of(view.get("submit")) is None:
            problems.append("a modal with input blocks needs a submit button")
    private_metadata = view.get("private_metadata")
    if private_metadata is not None and (
        not isinstance(private_metadata, str) or len(private_metadata) > MAX_PRIVATE_METADATA
    ):
        problems.append(f"private_metadata must be a string of at most {MAX_PRIVATE_METADATA}")
    callback_id = view.get("callback_id")
    if callback_id is not None and (
        not isinstance(callback_id, str) or len(callback_id) > MAX_CALLBACK_ID
    ):
        problems.append(f"callback_id must be a string of at most {MAX_CALLBACK_ID}")
    return problems


# --------------------------------------------------------------------- small utilities


def _truthy(value: Any) -> bool:
    """Slack's reading of a boolean argument: true, "true" or "1"."""
    return str(value).lower() in {"1", "true"}


def _ts_key(ts: Any, error: str) -> int | None:
    """A message ts as integer microseconds, for ordering; None when not given."""
    if ts is None or ts == "":
        return None
    try:
        return int(Decimal(str(ts)) * 1_000_000)
    except (InvalidOperation, ValueError) as exc:
        raise _ApiError(error) from exc


def _page(items: list[dict], args: dict, key: str) -> dict:
    """Cut one page of `items` by the limit and cursor args, Slack style."""
    try:
        limit = int(args.get("limit") or HISTORY_DEFAULT_LIMIT)
    except ValueError as exc:
        raise _ApiError("invalid_limit") from exc
    limit = max(1, min(limit, 999))
    start = 0
    cursor = args.get("cursor")
    if cursor:
        try:
            start = int(base64.b64decode(cursor).decode().removeprefix("next:"))
        except ValueError as exc:
            raise _ApiError("invalid_cursor") from exc
    page = items[start : start + limit]
    more = start + limit < len(items)
    next_cursor = base64.b64encode(f"next:{start + limit}".encode()).decode() if more else ""
    return {
        key: copy.deepcopy(page),
        "has_more": more,
        "response_metadata": {"next_cursor": next_cursor},
    }


def _without_metadata(page: dict, args: dict) -> dict:
    """Slack returns message metadata only to a reader that asks with include_all_metadata."""
    if not _truthy(args.get("include_all_metadata")):
        for message in page["messages"]:
            message.pop("metadata", None)
    return page


def _decode_json_fields(args: dict) -> dict:
    for key in _JSON_FIELDS:
        value = args.get(key)
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            try:
                args[key] = json.loads(value)
            except ValueError:
                pass  # left as a string: the validators reject it
    return args


def _parse_multipart(body: bytes, content_type: str) -> list[tuple[str, bytes, str | None]]:
    """Split a multipart/form-data body into (name, raw bytes, filename) parts."""
    header = Message()
    header["content-type"] = content_type
    boundary = header.get_param("boundary")
    if not isinstance(boundary, str):
        return []
    parts: list[tuple[str, bytes, str | None]] = []
    for chunk in body.split(b"--" + boundary.encode())[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, content = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        disposition = ""
        for line in head.decode("utf-8", "replace").split("\r\n"):
            if line.lower().startswith("content-disposition:"):
                disposition = line
        params = dict(re.findall(r'(\w+)="([^"]*)"', disposition))
        parts.append(
            (params.get("name", ""), content.removesuffix(b"\r\n"), params.get("filename"))
        )
    return parts


def _parse_body(content_type: str, body: bytes) -> dict:
    if not body:
        return {}
    if content_type.startswith("application/json"):
        data = json.loads(body)
        if not isinstance(data, dict):
            raise ValueError("JSON body must be an object")
        return data
    if content_type.startswith("multipart/form-data"):
        return {
            name: content if filename is not None else content.decode("utf-8")
            for name, content, filename in _parse_multipart(body, content_type)
        }
    return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 makes bursts of clients wait for SYN retries
    fake: FakeSlack


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def do_GET(self) -> None:
        """Serve a GET Web API call (query string args)."""
        self._handle(b"")

    def do_POST(self) -> None:
        """Serve a POST Web API call or a file upload."""
        length = int(self.headers.get("Content-Length") or 0)
        self._handle(self.rfile.read(length) if length else b"")

    def _handle(self, body: bytes) -> None:
        fake = self.server.fake
        url = urlsplit(self.path)
        content_type = self.headers.get("Content-Type") or ""
        if url.path.startswith("/upload/") and self.command == "POST":
            status = fake._receive_upload(url.path.removeprefix("/upload/"), content_type, body)
            text = f"OK - {len(body)}" if status == 200 else "Not Found"
            self._send(status, text.encode(), {"Content-Type": "text/plain; charset=utf-8"})
            return
        if url.path.startswith("/respond/") and self.command == "POST":
            try:
                payload = _decode_json_fields(_parse_body(content_type, body))
            except (ValueError, UnicodeDecodeError):
                self._send_json(_Reply(400, {"ok": False, "error": "invalid_payload"}))
                return
            hook_id = url.path.removeprefix("/respond/")
            self._finish(fake, fake._handle_response_url(hook_id, payload))
            return
        if not url.path.startswith("/api/"):
            self._send_json(_Reply(404, {"ok": False, "error": "unknown_method"}))
            return
        args: dict[str, Any] = dict(parse_qsl(url.query, keep_blank_values=True))
        try:
            args.update(_parse_body(content_type, body))
        except (ValueError, UnicodeDecodeError):
            self._send_json(_Reply(200, {"ok": False, "error": "invalid_json"}))
            return
        method = url.path.removeprefix("/api/")
        reply = fake._handle_api(method, _decode_json_fields(args), self.headers["Authorization"])
        self._finish(fake, reply)

    def _finish(self, fake: FakeSlack, reply: _Reply) -> None:
        if reply.delay > 0 and not reply.hang:
            fake._release.wait(reply.delay)
        if reply.hang:
            fake._release.wait(fake.hang_seconds)
        if reply.hang or reply.disconnect:
            self.close_connection = True
            return
        self._send_json(reply)

    def _send_json(self, reply: _Reply) -> None:
        payload = b"" if reply.body is None else json.dumps(reply.body).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", **reply.headers}
        self._send(reply.status, payload, headers)

    def _send(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def manifest_scopes() -> list[str]:
    """The bot scopes manifest.yml asks for."""
    manifest = yaml.safe_load(MANIFEST.read_text())
    return list(manifest["oauth_config"]["scopes"]["bot"])
