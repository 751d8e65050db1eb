"""Input blocks the forms are made of: text, date and select inputs, and their options."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.drafts import LONG_TEXT_MAX
from views.common import plain


def option(text: str, value: str) -> dict[str, Any]:
    """One option of a select or radio group."""
    return {"text": plain(text), "value": value}


def text_input(
    block_id: str,
    action_id: str,
    label: str,
    value: str,
    *,
    multiline: bool = False,
    optional: bool = False,
    max_length: int = LONG_TEXT_MAX,
    placeholder: str | None = None,
    hint: str | None = None,
) -> dict[str, Any]:
    """A plain-text input block, prefilled with `value`."""
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": action_id,
        "multiline": multiline,
        "max_length": max_length,
    }
    if value:
        element["initial_value"] = value
    if placeholder:
        element["placeholder"] = plain(placeholder, 150)
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def date_input(
    block_id: str, action_id: str, label: str, value: date | None, *, optional: bool = False
) -> dict[str, Any]:
    """A datepicker input block, prefilled with `value`."""
    element: dict[str, Any] = {"type": "datepicker", "action_id": action_id}
    if value:
        element["initial_date"] = value.isoformat()
    return {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": element,
        "optional": optional,
    }


def select_input(
    block_id: str,
    action_id: str,
    label: str,
    options: list[dict[str, Any]],
    selected: str | None,
) -> dict[str, Any]:
    """A static select input block with `selected` chosen when it is one of the options."""
    element: dict[str, Any] = {"type": "static_select", "action_id": action_id, "options": options}
    chosen = [o for o in options if o["value"] == selected]
    if chosen:
        element["initial_option"] = chosen[0]
    return {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": element,
    }
