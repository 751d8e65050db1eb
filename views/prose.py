"""Message prose from Jinja2 templates, with user text escaped for mrkdwn."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined

from views.common import escape

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# An organisation replaces a template by putting a file of the same name here.
OVERRIDES = TEMPLATES / "overrides"


class Mrkdwn(str):
    """Text that is already mrkdwn (a mention, a link) and must not be escaped again."""


def _finalize(value: Any) -> Any:
    if isinstance(value, Mrkdwn) or not isinstance(value, str):
        return value
    return escape(value)


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja2 environment for message prose (mrkdwn, not HTML)."""
    return Environment(
        loader=ChoiceLoader([FileSystemLoader(OVERRIDES), FileSystemLoader(TEMPLATES)]),
        undefined=StrictUndefined,
        autoescape=False,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def mention(user_id: str) -> Mrkdwn:
    """A user mention, `<@U123>`."""
    return Mrkdwn(f"<@{user_id}>")


def render(name: str, **context: Any) -> str:
    """Render `templates/messages/<name>.md.j2` with `context`."""
    return environment().get_template(f"messages/{name}.md.j2").render(**context).strip()
