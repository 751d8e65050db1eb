"""What `/pip verify`, `python bot.py verify`, `/pip hold` and retention say, in plain words."""

from __future__ import annotations

from typing import Any

from services.export import EVENT_TITLES, format_time
from services.seals import SEAL, Seal
from services.verify import Verdict, Witness
from views.common import context
from views.plan_messages import MESSAGE_MAX_BLOCKS


def _where(witness: Witness, employee_name: str) -> str:
    if witness.kind == "hr":
        return f"the HR channel ({witness.channel})"
    return f"the direct messages of {employee_name} ({witness.channel})"


def _count(n: int, noun: str, plural: str | None = None) -> str:
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def verdict_text(verdict: Verdict, employee_name: str, tz: str) -> str:
    """The answer about one plan's history: intact, the first bad event, or the bad seal."""
    plan = verdict.public_id
    if verdict.broken is not None:
        broken = verdict.broken
        title = EVENT_TITLES.get(broken.kind, broken.kind.replace("_", " ").capitalize())
        return (
            f"The history of {plan} does not match from event {broken.sequence} of "
            f"{verdict.events} ({title}, {format_time(broken.at, tz)}): that event was changed "
            "in the database after it was recorded. Keep any earlier export of the record and "
            "the sealed messages in Slack, and ask whoever runs PIP Bot's database what changed."
        )
    if verdict.disagreement is not None:
        witness = verdict.disagreement.witness
        seal = witness.seal
        stored = verdict.disagreement.stored_hash
        now_says = (
            f"the stored history has {stored[:4]}…{stored[-4:]} there"
            if stored
            else f"the stored history has only {verdict.events} events"
        )
        return (
            f"The history of {plan} disagrees with a sealed copy in Slack: the copy sent "
            f"{format_time(witness.sent_at, tz)} to {_where(witness, employee_name)} says "
            f"event {seal.events} had the hash {seal.short}, and {now_says}. The history was "
            "rewritten after that copy was sent. Keep the sealed messages in Slack, and ask "
            "whoever runs PIP Bot's database what changed."
        )
    if verdict.seals_matched == 0:
        return (
            f"The history of {plan} is intact: {_count(verdict.events, 'event')}. "
            "No sealed copy of it was found in Slack yet to compare with."
        )
    return (
        f"The history of {plan} is intact: {_count(verdict.events, 'event')}, and "
        f"{_count(verdict.seals_matched, 'seal')} sent into Slack "
        f"({_count(verdict.copies_matched, 'copy', 'copies')}) match it."
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
