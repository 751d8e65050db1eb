"""Reading what people typed into a view (`view.state.values`), as Slack sends it."""

from __future__ import annotations

from datetime import date
from typing import Any


def value(view: dict[str, Any], block_id: str, action_id: str) -> dict[str, Any]:
    """The state of one element (an empty dict when absent or null)."""
    return view.get("state", {}).get("values", {}).get(block_id, {}).get(action_id) or {}


def text(view: dict[str, Any], block_id: str, action_id: str) -> str:
    """A text input's value ("" when empty)."""
    return str(value(view, block_id, action_id).get("value") or "")


def selected(view: dict[str, Any], block_id: str, action_id: str) -> str | None:
    """A select's chosen option value."""
    option = value(view, block_id, action_id).get("selected_option") or {}
    chosen = option.get("value")
    return str(chosen) if chosen is not None else None


def picked_date(view: dict[str, Any], block_id: str, action_id: str) -> date | None:
    """A datepicker's date (None when empty or unreadable)."""
    raw = value(view, block_id, action_id).get("selected_date")
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None
