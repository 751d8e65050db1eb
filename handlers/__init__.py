"""Bolt listeners, one module per surface, each exposing `register(app)`."""

from __future__ import annotations

from slack_bolt import App

from handlers import (
    amend,
    approval,
    browse,
    checkins,
    close,
    commands,
    errors,
    events,
    export,
    pauses,
    plans,
    record,
    report,
    voice,
)

MODULES = (
    errors,
    commands,
    events,
    plans,
    approval,
    checkins,
    browse,
    amend,
    close,
    export,
    report,
    pauses,
    record,
    voice,
)


def register_listeners(app: App) -> None:
    """Register every surface's listeners on `app`."""
    for module in MODULES:
        module.register(app)
