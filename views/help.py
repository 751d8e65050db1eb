"""The `/pip help` message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from views.common import context, header, section


@dataclass(frozen=True)
class Usage:
    """One subcommand: how to type it and what it does."""

    name: str
    syntax: str
    summary: str


USAGES: tuple[Usage, ...] = (
    Usage("new", "/pip new [@employee]", "Open a new plan in a form (the employee preselected)."),
    Usage(
        "list",
        "/pip list [all|active|closed|drafts]",
        "Your plans and drafts; HR can list every plan, and the drafts waiting for approval.",
    ),
    Usage("show", "/pip show <plan id>", "The whole plan: goals, check-ins, history."),
    Usage(
        "edit", "/pip edit <plan id>", "Amend a plan, with a reason; the employee re-acknowledges."
    ),
    Usage("extend", "/pip extend <plan id>", "Move a plan's end date, with a reason."),
    Usage(
        "pause",
        "/pip pause <plan id>",
        "Manager or HR: put a plan on hold (leave, an investigation); no dates run meanwhile.",
    ),
    Usage("resume", "/pip resume <plan id>", "Manager or HR: restart a paused plan now."),
    Usage("checkin", "/pip checkin <plan id>", "Log an unscheduled check-in review now."),
    Usage("close", "/pip close <plan id>", "Record the outcome and close a plan."),
    Usage(
        "withdraw",
        "/pip withdraw <plan id>",
        "Withdraw a draft before it is sent; the employee never hears of it.",
    ),
    Usage("export", "/pip export <plan id>", "Get the full record as a document in a DM."),
    Usage("report", "/pip report", "HR only: the organisation's plans in figures, with a CSV."),
    Usage(
        "verify",
        "/pip verify <plan id>",
        "Check a plan's history against the sealed copies in Slack.",
    ),
    Usage("hold", "/pip hold <plan id> <reason>", "HR only: keep a plan past its retention."),
    Usage("release", "/pip release <plan id>", "HR only: end a plan's legal hold."),
    Usage("help", "/pip help", "This list."),
)


def help_blocks(problem: str | None = None) -> list[dict[str, Any]]:
    """Every subcommand with its usage, after an optional line saying what went wrong."""
    blocks: list[dict[str, Any]] = []
    if problem:
        blocks.append(section(f":warning: {problem}"))
    blocks.append(header("PIP Bot commands"))
    lines = [f"`{u.syntax}`\n{u.summary}" for u in USAGES]
    blocks.append(section("\n\n".join(lines)))
    blocks.append(
        section(
            "*Managers:* a new plan is a draft until it is sent, and the employee sees nothing "
            "of a draft. Where HR approves plans, it goes to HR first; you are told when HR "
            "decides, and *Edit draft* opens it again with everything kept. Choose *I will send "
            "it after we meet* to get a *Send* button instead.\n"
            "*Employees:* *Acknowledge receipt* means you received the plan, not that you "
            "agree. *Respond* adds your side to the plan (your manager and HR see it); *Ask HR "
            "to review* sends HR a note about your plan.\n"
            "*HR:* drafts waiting for you are in your Home tab and `/pip list drafts`; press "
            "*Review* to approve or ask for changes."
        )
    )
    blocks.append(
        context(
            "Everything PIP Bot answers is visible only to you or sent in a direct message. "
            "Plan ids look like `PIP-7K3Q9A`."
        )
    )
    return blocks


def help_text(problem: str | None = None) -> str:
    """The same help as plain text, for notifications and clients without blocks."""
    head = f"{problem}\n" if problem else ""
    return head + "PIP Bot commands:\n" + "\n".join(f"{u.syntax}: {u.summary}" for u in USAGES)
