"""The `/pip` router: one slash command, many subcommands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from handlers.context import open_modal, transactional
from services.errors import UsageError
from views.help import USAGES, help_blocks, help_text
from views.ids import Command
from views.prose import ANSWERS, say

# Subcommand name -> handler(ack, args, **bolt_kwargs). Filled by the surface modules.
Subcommand = Callable[..., None]
SUBCOMMANDS: dict[str, Subcommand] = {}


def subcommand(name: str) -> Callable[[Subcommand], Subcommand]:
    """Register a function as the handler of `/pip <name>`."""
    if name not in {u.name for u in USAGES}:
        raise ValueError(f"/pip {name} has no usage line in views.help")

    def decorate(func: Subcommand) -> Subcommand:
        SUBCOMMANDS[name] = func
        return func

    return decorate


# Builds the form `/pip <name> <plan id>` opens: (db, client, context, plan id) -> view.
FormBuilder = Callable[[Session, WebClient, BoltContext, str], dict[str, Any]]


def form_command(name: str) -> Callable[[FormBuilder], FormBuilder]:
    """Register `build` as `/pip <name> <plan id>`: the form it builds, opened at once."""

    def decorate(build: FormBuilder) -> FormBuilder:
        def handle(
            ack: Ack,
            command: dict[str, Any],
            args: str,
            client: WebClient,
            context: BoltContext,
            db: Session,
            **_: Any,
        ) -> None:
            view = build(db, client, context, plan_argument(args, name))
            open_modal(ack, client, db, command["trigger_id"], view)

        handle.__doc__ = build.__doc__
        subcommand(name)(handle)
        return build

    return decorate


def register(app: App) -> None:
    """Listen for `/pip`."""
    app.command(Command.PIP)(handle_pip_command)


@transactional
def handle_pip_command(
    ack: Ack,
    command: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    respond: Respond,
    db: Session,
) -> None:
    """Route `/pip <subcommand> <args>` to its handler; answer help for nothing or unknown."""
    text = (command.get("text") or "").strip()
    name, _, args = text.partition(" ")
    name = name.lower()
    if name in ("", "help"):
        ack(response_type="ephemeral", text=help_text(), blocks=help_blocks())
        return
    handler = SUBCOMMANDS.get(name)
    if handler is None:
        if name in {u.name for u in USAGES}:
            problem = say(ANSWERS, "not_available", name=name)
        else:
            problem = say(ANSWERS, "not_a_command", name=name)
        ack(response_type="ephemeral", text=help_text(problem), blocks=help_blocks(problem))
        return
    handler(
        ack=ack,
        command=command,
        args=args.strip(),
        client=client,
        context=context,
        respond=respond,
        db=db,
    )


def plan_argument(args: str, verb: str) -> str:
    """The plan id a subcommand was given, or a UsageError saying how to give one."""
    if not args:
        raise UsageError(say(ANSWERS, "which_plan", verb=verb))
    return args.split()[0]
