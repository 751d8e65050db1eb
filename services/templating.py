"""The project's one Jinja2 environment: message prose (Slack mrkdwn, user text escaped) and
the exported record (HTML autoescaped, Markdown as is), each template replaceable by a file
of the same path in the overrides folder, which `check_overrides` vets at start-up.

Messages come in two kinds under `templates/messages/`: a whole message (`<name>.md.j2`) and
a surface's strings (`<surface>.md.j2` made of macros, one per sentence or label).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateSyntaxError,
    meta,
    nodes,
    pass_context,
    select_autoescape,
)
from jinja2.runtime import Context

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# An organisation replaces a template by putting a file of the same name here
# (TEMPLATE_OVERRIDES names another folder).
OVERRIDES = TEMPLATES / "overrides"
_overrides: list[Path] = [OVERRIDES]


class Mrkdwn(str):
    """Text that is already mrkdwn (a mention, a link) and must not be escaped again."""


def escape_mrkdwn(text: str) -> str:
    """Escape user text for mrkdwn: `&`, `<` and `>` only, as Slack asks."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@pass_context
def _finalize(context: Context, value: Any) -> Any:
    """Escape text for mrkdwn in a message; a document (HTML is autoescaped) is left alone."""
    if not (context.name or "").startswith("messages/"):
        return value
    if isinstance(value, Mrkdwn) or not isinstance(value, str):
        return value
    return escape_mrkdwn(value)


def use_overrides(folder: Path) -> None:
    """Read overrides from `folder` from now on (TEMPLATE_OVERRIDES; tests use a tmp folder)."""
    _overrides[0] = Path(folder)
    environment.cache_clear()


def overrides_folder() -> Path:
    """The folder whose templates replace the originals."""
    return _overrides[0]


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The one Jinja2 environment: strict, overrides first, `*.html.j2` autoescaped."""
    from services.record.render import FILTERS  # the record's filters; render imports us

    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(overrides_folder()), FileSystemLoader(TEMPLATES)]),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # Templates are read once: use_overrides() builds a new environment when they change.
        # With the default, every get_template stat()s the file: a fifth of the samples of a
        # busy plan form (bench/README.md).
        auto_reload=False,
    )
    env.filters.update(FILTERS)
    return env


@dataclass(frozen=True)
class OverrideProblem:
    """Why an override file cannot be used."""

    path: Path
    detail: str

    def __str__(self) -> str:
        return f"{self.path}: {self.detail}"


def _shape(source: str, name: str) -> tuple[set[str], dict[str, list[str]]]:
    """A template's free variables, and its macros with their arguments."""
    tree = environment().parse(source, name=name)
    macros = {macro.name: [arg.name for arg in macro.args] for macro in tree.find_all(nodes.Macro)}
    return meta.find_undeclared_variables(tree), macros


def check_overrides() -> list[OverrideProblem]:
    """Every override that would fail when used: a syntax error, no original of that name,
    a variable the original does not have, a macro missing or with other arguments."""
    problems: list[OverrideProblem] = []
    folder = overrides_folder()
    if not folder.is_dir():
        return problems
    for path in sorted(folder.rglob("*.j2")):
        name = path.relative_to(folder).as_posix()
        original = TEMPLATES / name
        if not original.is_file() or name.startswith("overrides/"):
            problems.append(OverrideProblem(path, f"there is no template {name} to replace"))
            continue
        try:
            free, macros = _shape(path.read_text(encoding="utf-8"), name)
        except TemplateSyntaxError as error:
            problems.append(OverrideProblem(path, f"line {error.lineno}: {error.message}"))
            continue
        known_free, known_macros = _shape(original.read_text(encoding="utf-8"), name)
        unknown = sorted(free - known_free - set(environment().globals))
        if unknown:
            problems.append(OverrideProblem(path, f"unknown variable {', '.join(unknown)}"))
        for macro, args in macros.items():
            if macro not in known_macros:
                problems.append(OverrideProblem(path, f"unknown macro {macro}"))
            elif sorted(args) != sorted(known_macros[macro]):
                wanted = ", ".join(known_macros[macro])
                problems.append(
                    OverrideProblem(path, f"macro {macro} must take ({wanted}), as the original")
                )
        missing = sorted(set(known_macros) - set(macros))
        if missing:
            problems.append(OverrideProblem(path, f"macro {', '.join(missing)} is missing"))
    return problems
