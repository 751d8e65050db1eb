"""What `/pip verify`, `python bot.py verify`, `/pip hold` and retention say, in plain words."""

from __future__ import annotations

from typing import Any

from services.export import EVENT_TITLES, format_time
from services.seals import SEAL, Seal
from services.status_text import count_words
from services.verify import Verdict, Witness
from views.common import context
from views.plan_messages import MESSAGE_MAX_BLOCKS
from views.prose import Mrkdwn, say

SURFACE = "views/record"


def _where(witness: Witness, employee_name: str) -> str:
    if witness.kind == "hr":
        return say(SURFACE, "where_hr", channel=witness.channel)
    return say(SURFACE, "where_dm", name=employee_name, channel=witness.channel)


_count = count_words


def verdict_text(verdict: Verdict, employee_name: str, tz: str) -> str:
    """The answer about one plan's history: intact, the first bad event, or the bad seal."""
    plan = verdict.public_id
    if verdict.broken is not None:
        broken = verdict.broken
        title = EVENT_TITLES.get(broken.kind, broken.kind.replace("_", " ").capitalize())
        return say(
            SURFACE,
            "broken",
            plan_id=plan,
            sequence=broken.sequence,
            events=verdict.events,
            title=title,
            at=format_time(broken.at, tz),
        )
    if verdict.disagreement is not None:
        witness = verdict.disagreement.witness
        seal = witness.seal
        stored = verdict.disagreement.stored_hash
        now_says = (
            say(SURFACE, "stored_hash", first=stored[:4], last=stored[-4:])
            if stored
            else say(SURFACE, "stored_only", events=verdict.events)
        )
        return say(
            SURFACE,
            "disagrees",
            plan_id=plan,
            sent=format_time(witness.sent_at, tz),
            where=Mrkdwn(_where(witness, employee_name)),
            sequence=seal.events,
            short=seal.short,
            now_says=Mrkdwn(now_says),
        )
    if verdict.seals_matched == 0:
        return say(SURFACE, "intact_unsealed", plan_id=plan, events=_count(verdict.events, "event"))
    return say(
        SURFACE,
        "intact",
        plan_id=plan,
        events=_count(verdict.events, "event"),
        seals=_count(verdict.seals_matched, "seal"),
        copies=_count(verdict.copies_matched, "copy", "copies"),
    )


def verdict_line(verdict: Verdict, employee_name: str) -> str:
    """One line per plan for `python bot.py verify` (times in UTC)."""
    if verdict.intact:
        return (
            f"{verdict.public_id}: intact, {_count(verdict.events, 'event')}, "
            f"{_count(verdict.seals_matched, 'seal')} match "
            f"({_count(verdict.copies_matched, 'copy', 'copies')} in Slack)"
        )
    return f"{verdict.public_id}: {verdict_text(verdict, employee_name, 'UTC')}"


def with_context_line(blocks: list[dict[str, Any]], line: str) -> list[dict[str, Any]]:
    """`blocks` and a context line after them, within a message's 50 blocks: a full message
    gets the line as one more element of its last context block (at most 10 elements)."""
    if len(blocks) < MESSAGE_MAX_BLOCKS:
        return [*blocks, context(line)]
    element = {"type": "mrkdwn", "text": line}
    for index in range(len(blocks) - 1, -1, -1):
        block = blocks[index]
        if block.get("type") == "context" and len(block.get("elements", [])) < 10:
            widened = {**block, "elements": [*block["elements"], element]}
            return [*blocks[:index], widened, *blocks[index + 1 :]]
    return [*blocks[: MESSAGE_MAX_BLOCKS - 1], context(line)]


def sealed_blocks(blocks: list[dict[str, Any]], payload: dict[str, Any]) -> list[dict[str, Any]]:
    """`blocks` with the seal line of a delivery `payload` that carries one (re-drawn copies
    keep the line they were sent with)."""
    seal = Seal.from_payload(payload.get(SEAL))
    return with_context_line(blocks, seal.line) if seal else blocks
