"""Small Block Kit pieces shared by every view, with Slack's limits applied."""

from __future__ import annotations

from typing import Any

from services.templating import escape_mrkdwn

SECTION_TEXT_MAX = 3000
HEADER_TEXT_MAX = 150
PLAIN_TEXT_MAX = 75


def escape(text: str) -> str:
    """Escape user text for mrkdwn: `&`, `<` and `>` only, as Slack asks."""
    return escape_mrkdwn(text)


def clip(text: str, limit: int) -> str:
    """Cut `text` to `limit` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain(text: str, limit: int = PLAIN_TEXT_MAX) -> dict[str, Any]:
    """A plain_text object, clipped to `limit`."""
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def header(text: str) -> dict[str, Any]:
    """A header block."""
    return {"type": "header", "text": plain(text, HEADER_TEXT_MAX)}


def section(mrkdwn: str, **extra: Any) -> dict[str, Any]:
    """A mrkdwn section block, clipped to Slack's 3000 characters."""
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": clip(mrkdwn, SECTION_TEXT_MAX)},
        **extra,
    }


def context(mrkdwn: str) -> dict[str, Any]:
    """A context block with one mrkdwn element."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(mrkdwn, 3000)}]}


def button(action_id: str, text: str, value: str, *, primary: bool = False) -> dict[str, Any]:
    """A button carrying `value`; `primary` makes it the one to press."""
    found: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": plain(text),
        "value": value,
    }
    if primary:
        found["style"] = "primary"
    return found


def actions(block_id: str, *elements: dict[str, Any]) -> dict[str, Any]:
    """An actions block of `elements` (buttons)."""
    return {"type": "actions", "block_id": block_id, "elements": list(elements)}


def divider() -> dict[str, Any]:
    """A divider block."""
    return {"type": "divider"}
