"""The bot caps glibc's malloc arenas before its threads start (bot.limit_malloc_arenas)."""

from __future__ import annotations

import platform
import sys

import pytest

import bot
from config import Settings

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"


def test_arenas_are_capped_on_glibc_unless_malloc_arena_max_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert bot.limit_malloc_arenas() is GLIBC  # mallopt said yes where there is one
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")  # the operator's choice stands
    assert bot.limit_malloc_arenas() is False


def test_serve_caps_them_before_anything_else(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    class Capped(Exception):
        pass

    def capped(arenas: int = bot.MALLOC_ARENAS) -> bool:
        raise Capped

    def too_late(*args: object, **kwargs: object) -> None:
        raise AssertionError("logging was configured before the arenas were capped")

    monkeypatch.setattr(bot, "limit_malloc_arenas", capped)
    monkeypatch.setattr(bot.logs, "configure", too_late)
    with pytest.raises(Capped):
        bot.serve(settings)
