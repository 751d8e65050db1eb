"""The seal's context line fits any message: appended, or folded into a full message."""

from __future__ import annotations

from views.common import context, section
from views.plan_messages import MESSAGE_MAX_BLOCKS
from views.record import with_context_line

LINE = "Record sealed: 14 events · 3f9a…c21b"


def test_the_line_is_appended_when_there_is_room() -> None:
    blocks = [section("Your plan")]
    assert with_context_line(blocks, LINE) == [section("Your plan"), context(LINE)]


def test_a_full_message_keeps_its_blocks_and_gains_the_line_in_its_last_context() -> None:
    blocks = [section(f"part {n}") for n in range(MESSAGE_MAX_BLOCKS - 2)]
    blocks += [context("Acknowledging confirms receipt, not agreement."), section("last")]
    sealed = with_context_line(blocks, LINE)
    assert len(sealed) == MESSAGE_MAX_BLOCKS and sealed[-1] == section("last")
    assert sealed[-2]["elements"][-1] == {"type": "mrkdwn", "text": LINE}


def test_a_full_message_without_context_ends_with_the_line() -> None:
    blocks = [section(f"part {n}") for n in range(MESSAGE_MAX_BLOCKS)]
    sealed = with_context_line(blocks, LINE)
    assert len(sealed) == MESSAGE_MAX_BLOCKS and sealed[-1] == context(LINE)
