"""Checking a plan's history: its own hash chain, then every sealed copy found in Slack."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from models import Plan, PlanEvent
from services import audit
from services.seals import Seal


@dataclass(frozen=True)
class Witness:
    """A sealed copy found in Slack: the seal, the channel and message it is in."""

    seal: Seal
    channel: str
    ts: str
    kind: str  # "dm" (the employee's direct messages) or "hr" (the HR channel)

    @property
    def sent_at(self) -> datetime:
        """When Slack says the message was posted."""
        return datetime.fromtimestamp(float(self.ts), UTC)


@dataclass(frozen=True)
class BrokenEvent:
    """The first stored event whose hash does not match its content or its predecessor."""

    sequence: int
    kind: str
    at: datetime


@dataclass(frozen=True)
class Disagreement:
    """A sealed copy that the stored history contradicts."""

    witness: Witness
    stored_hash: str | None  # None: the history has fewer events than the copy counted


@dataclass(frozen=True)
class Verdict:
    """The answer about one plan's history."""

    public_id: str
    events: int
    seals_matched: int  # distinct seals (moments) that agree with the stored history
    copies_matched: int  # the messages in Slack that carry them
    broken: BrokenEvent | None
    disagreement: Disagreement | None

    @property
    def intact(self) -> bool:
        """True when the chain verifies and every sealed copy agrees with it."""
        return self.broken is None and self.disagreement is None


def verify_plan(db: Session, plan: Plan, witnesses: list[Witness]) -> Verdict:
    """Recompute `plan`'s chain and compare each witnessed seal with the stored history."""
    chain = audit.verify_chain(db, plan)
    events: list[PlanEvent] = audit.history(db, plan)
    broken = None
    if chain.first_broken is not None:
        event = next(e for e in events if e.sequence == chain.first_broken)
        broken = BrokenEvent(event.sequence, event.kind, event.created_at)
    matched: set[tuple[int, str]] = set()
    copies = 0
    disagreement = None
    for witness in sorted(witnesses, key=lambda w: float(w.ts)):
        count = witness.seal.events
        stored = events[count - 1].hash if 0 < count <= len(events) else None
        if stored == witness.seal.hash:
            matched.add((count, stored))
            copies += 1
        elif disagreement is None:
            disagreement = Disagreement(witness, stored)
    return Verdict(plan.public_id, len(events), len(matched), copies, broken, disagreement)
