"""What each surface must carry, parsed at the edge into typed shapes.

Bolt hands listeners the raw payload as a dict. Everything a listener (or Bolt's own context
building) reads is checked here first, so that no listener ever meets a `user` that is a
list, an `event` that is null or a state value that is a string. A payload that does not fit
raises `Malformed` with a short reason (for the log; never the payload itself).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from edge.formdata import parse_form

_ID = re.compile(r"^[A-Z0-9][A-Za-z0-9_.-]{0,63}$")
_MAX_ACTIONS = 25
# state.values: what each kind of element puts in its value, by key.
_STR_VALUES = (
    "type",
    "value",
    "selected_date",
    "selected_time",
    "selected_user",
    "selected_conversation",
    "selected_channel",
)


class Malformed(ValueError):
    """The request is not what Slack sends for its surface; `reason` says why (no content)."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(f"{kind}: {reason}")
        self.kind = kind
        self.reason = reason


@dataclass(frozen=True)
class SlashCommand:
    """A slash command as Slack posts it (form fields)."""

    command: str
    text: str
    user_id: str
    team_id: str
    channel_id: str
    trigger_id: str
    response_url: str


@dataclass(frozen=True)
class BlockAction:
    """One element of a `block_actions` payload's `actions`."""

    action_id: str
    block_id: str | None
    value: str | None


@dataclass(frozen=True)
class SubmittedView:
    """The parts of a modal or Home tab that come back with an interaction."""

    id: str
    callback_id: str
    private_metadata: str
    hash: str | None
    values: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Interaction:
    """A `block_actions`, `view_submission` or `view_closed` payload (and others Slack sends)."""

    type: str
    user_id: str
    team_id: str | None
    trigger_id: str | None
    response_url: str | None
    actions: tuple[BlockAction, ...]
    view: SubmittedView | None


@dataclass(frozen=True)
class Event:
    """An Events API callback's inner event."""

    event_id: str
    type: str
    user: str | None
    channel: str | None
    text: str | None


@dataclass(frozen=True)
class UrlVerification:
    """Slack's first call to a new events URL."""

    challenge: str


Shape = SlashCommand | Interaction | Event | UrlVerification


def read_body(raw: str, content_type: str) -> tuple[str, dict[str, Any]]:
    """The surface kind and the payload of `raw`, read the way Bolt will read it."""
    media = content_type.split(";")[0].strip().lower()
    if media == "application/json" or raw.startswith("{"):
        return "event", _json_object("event", raw)
    if media not in ("application/x-www-form-urlencoded", ""):
        raise Malformed("unknown", "unexpected content type")
    try:
        form = dict(parse_form(raw))  # what parse_qsl(raw, True, bool(raw)) reads, faster
    except ValueError:
        raise Malformed("form", "not form data") from None
    if "payload" in form:
        return "interaction", _json_object("interaction", form["payload"])
    if any("\x00" in key or "\x00" in value for key, value in form.items()):
        raise Malformed("command", _NUL)
    return "command", form


def kind_of(body: dict[str, Any]) -> str:
    """The surface of an already-read payload (Socket Mode hands Bolt dicts, not bytes)."""
    if "command" in body:
        return "command"
    if body.get("type") in ("event_callback", "url_verification"):
        return "event"
    return "interaction"


def parse(kind: str, body: dict[str, Any], *, nul_checked: bool = False) -> Shape:
    """The typed shape of a payload of `kind`; Malformed if it does not fit.

    `nul_checked` says `read_body` already refused NUL characters (Socket Mode's dicts are
    walked here instead).
    """
    if not nul_checked and _has_nul(body):
        # Slack never sends NUL characters, and PostgreSQL text cannot hold them.
        raise Malformed(kind, _NUL)
    _check_common(kind, body)
    if kind == "command":
        return _command(body)
    if kind == "interaction":
        return _interaction(body)
    if body.get("type") == "url_verification":
        challenge = body.get("challenge")
        if not isinstance(challenge, str) or not challenge or len(challenge) > 200:
            raise Malformed("url_verification", "no challenge")
        return UrlVerification(challenge)
    if body.get("type") != "event_callback":
        raise Malformed("event", "unknown payload type")
    return _event(body)


_NUL = "NUL character"


def _has_nul(value: Any, depth: int = 0) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if depth > 64:
        return True  # deeper than anything Slack sends
    if isinstance(value, dict):
        return any(_has_nul(k, depth + 1) or _has_nul(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v, depth + 1) for v in value)
    return False


def _json_object(kind: str, text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise Malformed(kind, "not JSON") from None
    if not isinstance(value, dict):
        raise Malformed(kind, "not a JSON object")
    # JSON spells a NUL only as an escape (a raw control character is not JSON), so a text
    # without one holds none, and the walk is needed only when the escape's letters appear.
    if "\\u0000" in text and _has_nul(value):
        raise Malformed(kind, _NUL)
    return value


def _opt_str(kind: str, where: dict[str, Any], key: str, *, limit: int = 40_000) -> str | None:
    value = where.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise Malformed(kind, f"{key} is not text")
    return value


def _str(kind: str, where: dict[str, Any], key: str, *, limit: int = 40_000) -> str:
    value = _opt_str(kind, where, key, limit=limit)
    if value is None:
        raise Malformed(kind, f"no {key}")
    return value


def _opt_id(kind: str, where: dict[str, Any], key: str) -> str | None:
    value = where.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not _ID.match(value):
        raise Malformed(kind, f"{key} is not an id")
    return value


def _id(kind: str, where: dict[str, Any], key: str) -> str:
    value = _opt_id(kind, where, key)
    if value is None:
        raise Malformed(kind, f"no {key}")
    return value


def _opt_dict(kind: str, where: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = where.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise Malformed(kind, f"{key} is not an object")
    return value


def _opt_list(kind: str, where: dict[str, Any], key: str) -> list[Any] | None:
    value = where.get(key)
    if value is None and key not in where:
        return None
    if not isinstance(value, list):
        raise Malformed(kind, f"{key} is not a list")
    return value


def _check_common(kind: str, body: dict[str, Any]) -> None:
    """The fields Bolt itself reads from every payload to build its context."""
    for key in ("user_id", "team_id", "enterprise_id", "channel_id", "api_app_id"):
        _opt_id(kind, body, key)
    for key in ("team", "enterprise", "channel", "container", "message", "previous_message"):
        part = _opt_dict(kind, body, key)
        if part is not None:
            _opt_id(kind, part, "id")
    user = body.get("user")
    if isinstance(user, dict):
        _opt_id(kind, user, "id")
        _opt_id(kind, user, "team_id")
    elif user is not None:
        _id(kind, body, "user")
    authorizations = _opt_list(kind, body, "authorizations")
    for authorization in authorizations or []:
        if not isinstance(authorization, dict):
            raise Malformed(kind, "authorizations are not objects")
        for key in ("team_id", "enterprise_id", "user_id"):
            _opt_id(kind, authorization, key)
    for key in ("bot_access_token", "function_execution_id", "trigger_id"):
        _opt_str(kind, body, key, limit=2000)
    response_url = _opt_str(kind, body, "response_url", limit=2000)
    if response_url is not None:
        _check_url(kind, response_url)
    if "function_data" in body or "bot_access_token" in body:
        raise Malformed(kind, "custom functions are not supported")


def _check_url(kind: str, url: str) -> None:
    """A response_url is an http(s) URL with a host; anything else is not Slack's."""
    try:
        parts = urlsplit(url)
        valid = parts.scheme in ("https", "http") and bool(parts.hostname) and url.isascii()
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        valid = False
    if not valid or any(c in url for c in " \r\n\t"):
        raise Malformed(kind, "response_url is not a URL")


def _command(body: dict[str, Any]) -> SlashCommand:
    kind = "command"
    command = _str(kind, body, "command", limit=100)
    if not command.startswith("/"):
        raise Malformed(kind, "command does not start with /")
    return SlashCommand(
        command=command,
        text=_opt_str(kind, body, "text", limit=4000) or "",
        user_id=_id(kind, body, "user_id"),
        team_id=_id(kind, body, "team_id"),
        channel_id=_id(kind, body, "channel_id"),
        trigger_id=_trigger(kind, body),
        response_url=_str(kind, body, "response_url", limit=2000),
    )


def _trigger(kind: str, body: dict[str, Any]) -> str:
    trigger_id = _str(kind, body, "trigger_id", limit=200)
    if not trigger_id.strip():
        raise Malformed(kind, "empty trigger_id")
    return trigger_id


def _interaction(body: dict[str, Any]) -> Interaction:
    kind = _opt_str("interaction", body, "type", limit=100) or "interaction"
    user = _opt_dict(kind, body, "user")
    if user is None:
        raise Malformed(kind, "no user")
    team = _opt_dict(kind, body, "team") or {}
    actions = tuple(_action(kind, a) for a in _opt_list(kind, body, "actions") or [])
    if kind == "block_actions" and not actions:
        raise Malformed(kind, "no actions")
    if kind == "block_actions":
        _trigger(kind, body)
    if len(actions) > _MAX_ACTIONS:
        raise Malformed(kind, "too many actions")
    view = _opt_dict(kind, body, "view")
    if kind in ("view_submission", "view_closed") and view is None:
        raise Malformed(kind, "no view")
    message = _opt_dict(kind, body, "message")
    if message is not None:
        _opt_str(kind, message, "text")
        _opt_str(kind, message, "ts", limit=40)
        _blocks(kind, message)
    container = _opt_dict(kind, body, "container") or {}
    for key in ("channel_id", "message_ts", "view_id", "type"):
        _opt_str(kind, container, key, limit=100)
    return Interaction(
        type=kind,
        user_id=_id(kind, user, "id"),
        team_id=_opt_id(kind, team, "id"),
        trigger_id=_opt_str(kind, body, "trigger_id", limit=200),
        response_url=_opt_str(kind, body, "response_url", limit=2000),
        actions=actions,
        view=_view(kind, view) if view is not None else None,
    )


def _action(kind: str, action: Any) -> BlockAction:
    if not isinstance(action, dict):
        raise Malformed(kind, "an action is not an object")
    for key in ("type", "action_ts", "selected_date", "selected_user"):
        _opt_str(kind, action, key, limit=200)
    option = _opt_dict(kind, action, "selected_option")
    if option is not None:
        _opt_str(kind, option, "value", limit=200)
    return BlockAction(
        action_id=_str(kind, action, "action_id", limit=255),
        block_id=_opt_str(kind, action, "block_id", limit=255),
        value=_opt_str(kind, action, "value", limit=2000),
    )


def _blocks(kind: str, where: dict[str, Any]) -> None:
    for block in _opt_list(kind, where, "blocks") or []:
        if not isinstance(block, dict):
            raise Malformed(kind, "a block is not an object")
        _opt_str(kind, block, "type", limit=100)
        _opt_str(kind, block, "block_id", limit=255)


def _view(kind: str, view: dict[str, Any]) -> SubmittedView:
    _blocks(kind, view)
    for key in ("type", "root_view_id", "previous_view_id", "external_id", "team_id"):
        _opt_str(kind, view, key, limit=255)
    for key in ("title", "submit", "close"):
        _opt_dict(kind, view, key)
    state = _opt_dict(kind, view, "state") or {}
    raw_values = _opt_dict(kind, state, "values") or {}
    values: dict[str, dict[str, dict[str, Any]]] = {}
    for block_id, elements in raw_values.items():
        if not isinstance(elements, dict):
            raise Malformed(kind, "a state block is not an object")
        values[block_id] = {}
        for action_id, value in elements.items():
            if not isinstance(value, dict):
                raise Malformed(kind, "a state value is not an object")
            _state_value(kind, value)
            values[block_id][action_id] = value
    return SubmittedView(
        id=_str(kind, view, "id", limit=64),
        callback_id=_opt_str(kind, view, "callback_id", limit=255) or "",
        private_metadata=_opt_str(kind, view, "private_metadata", limit=3000) or "",
        hash=_opt_str(kind, view, "hash", limit=200),
        values=values,
    )


def _state_value(kind: str, value: dict[str, Any]) -> None:
    for key in _STR_VALUES:
        # Slack caps inputs at 3,000 characters; more is left to the form's own friendly check.
        _opt_str(kind, value, key, limit=20_000)
    option = _opt_dict(kind, value, "selected_option")
    if option is not None:
        _opt_str(kind, option, "value", limit=200)
    for key in ("selected_options", "selected_users", "selected_conversations"):
        for item in _opt_list(kind, value, key) or []:
            if isinstance(item, dict):
                _opt_str(kind, item, "value", limit=200)
            elif not isinstance(item, str):
                raise Malformed(kind, f"{key} holds something else")
    _opt_dict(kind, value, "rich_text_value")


def _event(body: dict[str, Any]) -> Event:
    event = _opt_dict("event", body, "event")
    if event is None:
        raise Malformed("event", "no event")
    kind = _opt_str("event", event, "type", limit=100) or "event"
    user = event.get("user")
    if user is not None and not isinstance(user, str):
        raise Malformed(kind, "user is not an id")
    for key in ("user", "channel", "team", "bot_id"):
        _opt_id(kind, event, key)
    for key in ("tab", "ts", "thread_ts", "event_ts", "subtype", "channel_type"):
        _opt_str(kind, event, key, limit=100)
    for key in ("message", "previous_message", "view"):
        _opt_dict(kind, event, key)
    _blocks(kind, event)
    if kind == "app_home_opened" and event.get("user") is None:
        raise Malformed(kind, "no user")  # whose Home tab would it be?
    return Event(
        event_id=_str(kind, body, "event_id", limit=64),
        type=kind,
        user=_opt_id(kind, event, "user"),
        channel=_opt_id(kind, event, "channel"),
        text=_opt_str(kind, event, "text"),
    )
