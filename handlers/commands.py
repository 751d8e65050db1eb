"""The `/pip` router: one slash command, many subcommands."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from handlers.context import Listeners, open_modal
from services.access import Actor
from services.errors import UsageError
from views.help import USAGES, help_blocks, help_text
from views.ids import Command
from views.prose import ANSWERS, say

# Subcommand name -> handler. Handlers declare the arguments they use, by name, as listeners
# do: any of ARGUMENTS (`args` is the text after the name).
Subcommand = Callable[..., None]
SUBCOMMANDS: dict[str, Subcommand] = {}
ARGUMENTS = frozenset({"ack", "command", "args", "client", "context", "respond", "actor", "db"})


def subcommand(name: str) -> Callable[[Subcommand], Subcommand]:
    """Register a function as the handler of `/pip <name>`."""
    if name not in {u.name for u in USAGES}:
        raise ValueError(f"/pip {name} has no usage line in views.help")

    def decorate(func: Subcommand) -> Subcommand:
        parameters = inspect.signature(func).parameters.values()
        unknown = {p.name for p in parameters if p.kind is not p.VAR_KEYWORD} - ARGUMENTS
        if unknown:
            raise TypeError(f"/pip {name} asks for {', '.join(sorted(unknown))}: not given")
        SUBCOMMANDS[name] = func
        return func

    return decorate


# Builds the form `/pip <name> <plan id>` opens: (db, client, context, actor, plan id) -> view.
FormBuilder = Callable[[Session, WebClient, BoltContext, Actor, str], dict[str, Any]]


def form_command(name: str) -> Callable[[FormBuilder], FormBuilder]:
    """Register `build` as `/pip <name> <plan id>`: the form it builds, opened at once."""

    def decorate(build: FormBuilder) -> FormBuilder:
        def handle(
            ack: Ack,
            command: dict[str, Any],
            args: str,
            client: WebClient,
            context: BoltContext,
            actor: Actor,
            db: Session,
        ) -> None:
            view = build(db, client, context, actor, plan_argument(args, name))
            open_modal(ack, client, command["trigger_id"], view)

        handle.__doc__ = build.__doc__
        subcommand(name)(handle)
        return build

    return decorate


def register(app: Listeners) -> None:
    """Listen for `/pip` (every usage line in views.help has its handler by now)."""
    missing = {u.name for u in USAGES} - set(SUBCOMMANDS) - {"help"}
    if missing:
        raise RuntimeError(f"/pip {', '.join(sorted(missing))} has no handler")
    app.command(Command.PIP)(handle_pip_command)


def handle_pip_command(
    ack: Ack,
    command: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    respond: Respond,
    actor: Actor,
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
        problem = say(ANSWERS, "not_a_command", name=name)
        ack(response_type="ephemeral", text=help_text(problem), blocks=help_blocks(problem))
        return
    given = {
        "ack": ack,
        "command": command,
        "args": args.strip(),
        "client": client,
        "context": context,
        "respond": respond,
        "actor": actor,
        "db": db,
    }
    parameters = inspect.signature(handler).parameters
    if any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        handler(**given)
    else:
        handler(**{key: given[key] for key in parameters})


def plan_argument(args: str, verb: str) -> str:
    """The plan id a subcommand was given, or a UsageError saying how to give one."""
    if not args:
        raise UsageError(say(ANSWERS, "which_plan", verb=verb))
    return args.split()[0]
