"""Bolt listeners, one module per surface, each exposing `register(app)`."""

from __future__ import annotations

from slack_bolt import App

from handlers import (
    amend,
    browse,
    checkins,
    close,
    commands,
    errors,
    events,
    pauses,
    plans,
    record,
)

MODULES = (errors, commands, events, plans, checkins, browse, amend, close, pauses, record)


def register_listeners(app: App) -> None:
    """Register every surface's listeners on `app`."""
    for module in MODULES:
        module.register(app)
