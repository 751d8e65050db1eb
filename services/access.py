"""Who may do what to a plan: the design's access policy as plain functions."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from models import Plan, PlanStatus
from services.errors import PlanNotFound


class Role(StrEnum):
    """A person's relation to one plan."""

    MANAGER = "manager"
    EMPLOYEE = "employee"
    HR = "hr"


class Permission(StrEnum):
    """Everything a person can try to do to a plan."""

    VIEW = "view"
    VIEW_PRIVATE_NOTES = "view_private_notes"
    EXPORT = "export"
    AMEND = "amend"
    EXTEND = "extend"
    CLOSE = "close"
    LOG_REVIEW = "log_review"
    ACKNOWLEDGE = "acknowledge"
    RESPOND = "respond"
    CHECK_IN = "check_in"
    APPROVE = "approve"
    EDIT_DRAFT = "edit_draft"
    SEND = "send"
    WITHDRAW = "withdraw"
    ASK_HR = "ask_hr"
    READ_VOICE = "read_voice"
    VERIFY = "verify"
    HOLD = "hold"
    PAUSE = "pause"
    RESUME = "resume"


# The design's table "Who may do what", action by action.
_ALLOWED: dict[Permission, frozenset[Role]] = {
    Permission.VIEW: frozenset({Role.MANAGER, Role.EMPLOYEE, Role.HR}),
    Permission.VIEW_PRIVATE_NOTES: frozenset({Role.MANAGER, Role.HR}),
    Permission.EXPORT: frozenset({Role.MANAGER, Role.EMPLOYEE, Role.HR}),
    Permission.AMEND: frozenset({Role.MANAGER}),
    Permission.EXTEND: frozenset({Role.MANAGER}),
    Permission.CLOSE: frozenset({Role.MANAGER, Role.HR}),
    Permission.LOG_REVIEW: frozenset({Role.MANAGER}),
    Permission.ACKNOWLEDGE: frozenset({Role.EMPLOYEE}),
    Permission.RESPOND: frozenset({Role.EMPLOYEE}),
    Permission.CHECK_IN: frozenset({Role.EMPLOYEE}),
    Permission.APPROVE: frozenset({Role.HR}),
    Permission.EDIT_DRAFT: frozenset({Role.MANAGER}),
    Permission.SEND: frozenset({Role.MANAGER}),
    Permission.WITHDRAW: frozenset({Role.MANAGER}),
    Permission.ASK_HR: frozenset({Role.EMPLOYEE}),
    Permission.READ_VOICE: frozenset({Role.HR}),
    Permission.VERIFY: frozenset({Role.MANAGER, Role.HR}),
    Permission.HOLD: frozenset({Role.HR}),
    Permission.PAUSE: frozenset({Role.MANAGER, Role.HR}),
    Permission.RESUME: frozenset({Role.MANAGER, Role.HR}),
}
# A plan that never reached its employee: a draft, or a draft withdrawn before sending.
UNSENT_STATUSES = (PlanStatus.DRAFT, PlanStatus.WITHDRAWN)


@dataclass(frozen=True)
class Actor:
    """The person asking, and whether they hold HR rights."""

    user_id: str
    is_hr: bool = False
    may_open_plans: bool = True  # False when MANAGER_GROUP is set and they are not in it

    @classmethod
    def of(
        cls, user_id: str, hr_user_ids: Collection[str], *, may_open_plans: bool = True
    ) -> Actor:
        """The actor for `user_id`, with HR rights when listed in `hr_user_ids`."""
        return cls(user_id=user_id, is_hr=user_id in hr_user_ids, may_open_plans=may_open_plans)


def roles(actor: Actor, plan: Plan) -> frozenset[Role]:
    """Every role `actor` holds on `plan` (none for an unrelated person).

    The plan's employee is only ever the employee on it, even with HR rights: nobody gains
    the manager's private notes, or the power to close, on their own plan. A plan that was
    never sent (a draft) gives its employee no role at all: they do not know of it.
    """
    if plan.employee_id == actor.user_id:
        if plan.status in UNSENT_STATUSES:
            return frozenset()
        return frozenset({Role.EMPLOYEE})
    held: set[Role] = set()
    if plan.manager_id == actor.user_id:
        held.add(Role.MANAGER)
    if actor.is_hr:
        held.add(Role.HR)
    return frozenset(held)


def may(actor: Actor, action: Permission, plan: Plan) -> bool:
    """True when `actor` may do `action` to `plan`."""
    return bool(roles(actor, plan) & _ALLOWED[action])


def require(actor: Actor, action: Permission, plan: Plan) -> None:
    """Raise PlanNotFound unless `actor` may do `action` to `plan`.

    Forbidden looks exactly like not found: the answer to someone who may not act on a plan
    is the answer about a plan that does not exist, so nobody learns anything from it.
    """
    if not may(actor, action, plan):
        raise PlanNotFound(plan.public_id)


def may_run_org_report(actor: Actor) -> bool:
    """True when `actor` may see the organisation-wide report and every plan list."""
    return actor.is_hr
