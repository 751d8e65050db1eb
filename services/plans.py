"""Plans: ids, lookups and the summaries people see of them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Plan, PlanStatus
from services.access import Action, Actor, require
from services.errors import PlanNotFound

# Crockford's base32 without I, L, O, U: nothing to misread when a manager types an id.
ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ID_LENGTH = 6  # 32**6, about a billion ids: not guessable, not enumerable
ID_PREFIX = "PIP-"
OPEN_STATUSES = (PlanStatus.ACTIVE, PlanStatus.ACKNOWLEDGED, PlanStatus.EXTENDED)


def new_public_id(db: Session) -> str:
    """A random plan id such as `PIP-7K3Q9A`, unused so far."""
    while True:
        candidate = ID_PREFIX + "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))
        if db.scalar(select(Plan.id).where(Plan.public_id == candidate)) is None:
            return candidate


def normalize_public_id(text: str) -> str:
    """Accept `pip-7k3q9a`, `7K3Q9A` or `PIP-7K3Q9A` and return the canonical form."""
    cleaned = text.strip().upper().lstrip("#")
    if not cleaned.startswith(ID_PREFIX):
        cleaned = ID_PREFIX + cleaned
    return cleaned


def get_plan(db: Session, actor: Actor, public_id: str, action: Action = Action.VIEW) -> Plan:
    """The plan with `public_id` if `actor` may do `action` to it; else PlanNotFound/NotAllowed."""
    canonical = normalize_public_id(public_id)
    plan = db.scalar(select(Plan).where(Plan.public_id == canonical))
    if plan is None:
        raise PlanNotFound(canonical)
    require(actor, action, plan)
    return plan


@dataclass
class HomeSummary:
    """What a person's Home tab shows: the open plans they run, their own, and HR counts."""

    managing: list[Plan] = field(default_factory=list)
    own: list[Plan] = field(default_factory=list)
    is_hr: bool = False
    open_by_status: dict[str, int] = field(default_factory=dict)
    today: date = field(default_factory=date.today)


def home_summary(db: Session, actor: Actor, limit: int = 20) -> HomeSummary:
    """The open plans `actor` manages or is on, and for HR the organisation's counts."""
    open_plans = Plan.status.in_(OPEN_STATUSES)
    summary = HomeSummary(is_hr=actor.is_hr)
    summary.managing = list(
        db.scalars(
            select(Plan)
            .where(Plan.manager_id == actor.user_id, open_plans)
            .order_by(Plan.end_date)
            .limit(limit)
        )
    )
    summary.own = list(
        db.scalars(select(Plan).where(Plan.employee_id == actor.user_id, open_plans).limit(limit))
    )
    if actor.is_hr:
        rows = db.execute(select(Plan.status, func.count()).group_by(Plan.status))
        summary.open_by_status = {str(status): int(count) for status, count in rows}
    return summary
