"""Turning domain field names into the input block ids of the modal that shows them."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from views.ids import Block, goal_block

# A goal's fields are named "goal.<index>.<part>" by the services.
_GOAL_FIELD = re.compile(r"^goal\.(\d+)\.(description|measure|target|due_date)$")
_GOAL_BLOCKS = {
    "description": Block.GOAL_DESCRIPTION,
    "measure": Block.GOAL_MEASURE,
    "target": Block.GOAL_TARGET,
    "due_date": Block.GOAL_DUE,
}
_PLAN_BLOCKS = {b.value: b.value for b in Block}


def block_id_for_field(field: str, slots: Sequence[int] = ()) -> str:
    """The input block id that shows errors for a domain field name.

    Goal fields name the goal's position; `slots` turns a position into the form's slot.
    """
    match = _GOAL_FIELD.match(field)
    if match:
        index = int(match[1])
        slot = slots[index] if index < len(slots) else index
        return goal_block(_GOAL_BLOCKS[match[2]], slot)
    return _PLAN_BLOCKS.get(field, field)


def field_errors(errors: Mapping[str, str], slots: Sequence[int] = ()) -> dict[str, str]:
    """`response_action: errors` content for domain field errors (first message per block)."""
    result: dict[str, str] = {}
    for field, message in errors.items():
        result.setdefault(block_id_for_field(field, slots), message)
    return result
