"""Message prose from the project's templates (services/templating.py), user text escaped."""

from __future__ import annotations

from typing import Any

from services.templating import (
    TEMPLATES,
    Mrkdwn,
    OverrideProblem,
    check_overrides,
    environment,
    overrides_folder,
    use_overrides,
)

__all__ = [
    "ANSWERS",
    "TEMPLATES",
    "Mrkdwn",
    "OverrideProblem",
    "check_overrides",
    "environment",
    "mention",
    "overrides_folder",
    "render",
    "say",
    "use_overrides",
]

# The strings of what handlers answer (templates/messages/handlers/answers.md.j2).
ANSWERS = "handlers/answers"


def mention(user_id: str) -> Mrkdwn:
    """A user mention, `<@U123>`."""
    return Mrkdwn(f"<@{user_id}>")


def render(name: str, **context: Any) -> str:
    """Render `templates/messages/<name>.md.j2` with `context`."""
    return environment().get_template(f"messages/{name}.md.j2").render(**context).strip()


def say(surface: str, macro: str, /, **context: Any) -> str:
    """One sentence or label of a surface: the macro `macro` of `messages/<surface>.md.j2`."""
    module = environment().get_template(f"messages/{surface}.md.j2").module
    return str(getattr(module, macro)(**context)).strip()
