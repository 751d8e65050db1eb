"""What every form is made of: the modal, its input blocks and their options, with Slack's limits.

Each form (plan, close, check-in, review, pause, extend, respond, Ask HR, draft review) builds
its inputs here, and reads them back with `views.state`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from services.drafts import LONG_TEXT_MAX
from views.common import plain

LABEL_MAX = 2000
HINT_MAX = 2000
PLACEHOLDER_MAX = 150
MODAL_TEXT_MAX = 24  # a modal's title, submit and close


def option(text: str, value: str, description: str | None = None) -> dict[str, Any]:
    """One option of a select, a radio group or a checkbox group."""
    found: dict[str, Any] = {"text": plain(text), "value": value}
    if description:
        found["description"] = plain(description)
    return found


def modal(
    callback_id: str,
    title: str,
    submit: str,
    blocks: list[dict[str, Any]],
    private_metadata: str,
) -> dict[str, Any]:
    """A modal with a Cancel button; `private_metadata` says what it is about."""
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": private_metadata,
        "title": plain(title, MODAL_TEXT_MAX),
        "submit": plain(submit, MODAL_TEXT_MAX),
        "close": plain("Cancel", MODAL_TEXT_MAX),
        "blocks": blocks,
    }


def input_block(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
    hint: str | None = None,
) -> dict[str, Any]:
    """An input block around `element`."""
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, LABEL_MAX),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, HINT_MAX)
    return block


def text_input(
    block_id: str,
    action_id: str,
    label: str,
    value: str | None = None,
    *,
    multiline: bool = False,
    optional: bool = False,
    max_length: int = LONG_TEXT_MAX,
    placeholder: str | None = None,
    hint: str | None = None,
) -> dict[str, Any]:
    """A plain-text input block, prefilled with `value` when there is one."""
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": action_id,
        "multiline": multiline,
        "max_length": max_length,
    }
    if value:
        element["initial_value"] = value
    if placeholder:
        element["placeholder"] = plain(placeholder, PLACEHOLDER_MAX)
    return input_block(block_id, label, element, optional=optional, hint=hint)


def date_input(
    block_id: str,
    action_id: str,
    label: str,
    value: date | None = None,
    *,
    optional: bool = False,
    hint: str | None = None,
) -> dict[str, Any]:
    """A datepicker input block, prefilled with `value` when there is one."""
    element: dict[str, Any] = {"type": "datepicker", "action_id": action_id}
    if value:
        element["initial_date"] = value.isoformat()
    return input_block(block_id, label, element, optional=optional, hint=hint)


def _choice(
    kind: str, action_id: str, options: list[dict[str, Any]], selected: str | None
) -> dict[str, Any]:
    element: dict[str, Any] = {"type": kind, "action_id": action_id, "options": options}
    chosen = [o for o in options if o["value"] == selected]
    if chosen:
        element["initial_option"] = chosen[0]
    return element


def select_input(
    block_id: str,
    action_id: str,
    label: str,
    options: list[dict[str, Any]],
    selected: str | None = None,
    *,
    optional: bool = False,
    placeholder: str | None = None,
) -> dict[str, Any]:
    """A static select input block with `selected` chosen when it is one of the options."""
    element = _choice("static_select", action_id, options, selected)
    if placeholder:
        element["placeholder"] = plain(placeholder)
    return input_block(block_id, label, element, optional=optional)


def radio_input(
    block_id: str,
    action_id: str,
    label: str,
    options: list[dict[str, Any]],
    selected: str | None = None,
    *,
    hint: str | None = None,
) -> dict[str, Any]:
    """A radio button group input block with `selected` chosen when it is one of the options."""
    return input_block(
        block_id, label, _choice("radio_buttons", action_id, options, selected), hint=hint
    )


def checkboxes_input(
    block_id: str, action_id: str, label: str, options: list[dict[str, Any]], *, optional: bool
) -> dict[str, Any]:
    """A checkbox group input block, nothing ticked."""
    element = {"type": "checkboxes", "action_id": action_id, "options": options}
    return input_block(block_id, label, element, optional=optional)


def user_input(block_id: str, action_id: str, label: str, user_id: str | None) -> dict[str, Any]:
    """A single person picker input block, with `user_id` chosen when known."""
    element: dict[str, Any] = {"type": "users_select", "action_id": action_id}
    if user_id:
        element["initial_user"] = user_id
    return input_block(block_id, label, element)
