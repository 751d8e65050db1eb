"""The plan form's private_metadata: its goal slots and the plan being edited, signed."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FormMeta:
    """What the plan form keeps in private_metadata: goal slots, and the plan being edited."""

    slots: list[int] = field(default_factory=lambda: [0])
    next_slot: int = 1
    plan_id: str | None = None
    employee_id: str | None = None
    goal_ids: dict[int, int] = field(default_factory=dict)  # slot -> goal id, when editing
    draft: bool = False  # editing a draft (plan_id) rather than amending a sent plan
    approval: bool = False  # HR approves the plan before it is sent
    form_id: str | None = None  # a new plan's form: random, kept on the plan it opens

    def dump(self, key: bytes) -> str:
        """As private_metadata, signed with `key` so that only this server's forms are read."""
        fields = {
            "slots": self.slots,
            "next": self.next_slot,
            "plan": self.plan_id,
            "employee": self.employee_id,
            "goals": {str(k): v for k, v in self.goal_ids.items()},
            "draft": self.draft,
            "approval": self.approval,
            "form": self.form_id,
        }
        return json.dumps({**fields, "sig": _signature(key, fields)})


def _signature(key: bytes, fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()[:32]


def _parse_meta(raw: Any) -> FormMeta:
    meta = FormMeta(
        slots=[int(s) for s in raw["slots"]],
        next_slot=int(raw["next"]),
        plan_id=raw.get("plan"),
        employee_id=raw.get("employee"),
        goal_ids={int(k): int(v) for k, v in (raw.get("goals") or {}).items()},
        draft=raw.get("draft") is True,
        approval=raw.get("approval") is True,
        form_id=raw.get("form"),
    )
    if not all(isinstance(v, str | None) for v in (meta.plan_id, meta.employee_id, meta.form_id)):
        raise TypeError("plan and employee are ids")
    return meta


def form_meta(view: dict[str, Any], key: bytes) -> FormMeta | None:
    """The form's metadata if this server signed it with `key`; None when forged or unreadable."""
    try:
        raw = json.loads(view.get("private_metadata") or "{}")
        fields = {k: v for k, v in raw.items() if k != "sig"}
        signature = raw.get("sig")
        if not isinstance(signature, str) or not hmac.compare_digest(
            signature, _signature(key, fields)
        ):
            return None
        return _parse_meta(raw)
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None


def unverified_meta(view: dict[str, Any]) -> FormMeta:
    """The form's slots as the view says, for placing field errors only (never for acting)."""
    try:
        return _parse_meta(json.loads(view.get("private_metadata") or "{}"))
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return FormMeta()
