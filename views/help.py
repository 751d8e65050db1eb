"""The `/pip help` message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from views.common import context, header, section
from views.prose import say

SURFACE = "views/help"


@dataclass(frozen=True)
class Usage:
    """One subcommand: how to type it; what it does is `cmd_<name>` in the help template."""

    name: str
    syntax: str

    @property
    def summary(self) -> str:
        """What the subcommand does, in a sentence."""
        return say(SURFACE, f"cmd_{self.name}")


USAGES: tuple[Usage, ...] = (
    Usage("new", "/pip new [@employee]"),
    Usage("list", "/pip list [all|active|closed|drafts]"),
    Usage("show", "/pip show <plan id>"),
    Usage("edit", "/pip edit <plan id>"),
    Usage("extend", "/pip extend <plan id>"),
    Usage("pause", "/pip pause <plan id>"),
    Usage("resume", "/pip resume <plan id>"),
    Usage("checkin", "/pip checkin <plan id>"),
    Usage("close", "/pip close <plan id>"),
    Usage("withdraw", "/pip withdraw <plan id>"),
    Usage("export", "/pip export <plan id>"),
    Usage("report", "/pip report"),
    Usage("verify", "/pip verify <plan id>"),
    Usage("hold", "/pip hold <plan id> <reason>"),
    Usage("release", "/pip release <plan id>"),
    Usage("help", "/pip help"),
)
# What an employee on a plan can do (their Home tab shows only these).
EMPLOYEE_USAGES: tuple[Usage, ...] = (
    Usage("employee_list", "/pip list"),
    Usage("employee_show", "/pip show <plan id>"),
    Usage("employee_export", "/pip export <plan id>"),
)


def help_blocks(problem: str | None = None, *, employee: bool = False) -> list[dict[str, Any]]:
    """Every subcommand with its usage, after an optional line saying what went wrong; for an
    employee (`employee`), only what an employee can do."""
    blocks: list[dict[str, Any]] = []
    if problem:
        blocks.append(section(f":warning: {problem}"))
    blocks.append(header("PIP Bot commands"))
    usages = EMPLOYEE_USAGES if employee else USAGES
    lines = [f"`{u.syntax}`\n{u.summary}" for u in usages]
    blocks.append(section("\n\n".join(lines)))
    blocks.append(section(say(SURFACE, "employee_roles" if employee else "roles")))
    blocks.append(context(say(SURFACE, "private")))
    return blocks


def help_text(problem: str | None = None) -> str:
    """The same help as plain text, for notifications and clients without blocks."""
    head = f"{problem}\n" if problem else ""
    return head + "PIP Bot commands:\n" + "\n".join(f"{u.syntax}: {u.summary}" for u in USAGES)
