"""Prose lives in templates/messages: the code that sends messages holds no sentences for people.

Every string literal (and every f-string's fixed text) of scheduler/, views/ and handlers/ is
read; one of four words or more is taken for a sentence meant for people, unless it is a
docstring, a log line, an exception's message, the reason a delivery is skipped or postponed
(kept for operators on the delivery row), a command's usage line, or listed in ALLOWED with why.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ["scheduler", "views", "handlers"]
MIN_WORDS = 4
# Calls whose string arguments are for developers and operators, not for people.
NOT_FOR_PEOPLE = {"Skip", "Postpone", "LookupError", "ValueError", "RuntimeError"}
LOGGERS = {"debug", "info", "warning", "error", "exception", "critical"}
# `/pip show <plan id>`: the syntax of a command (views/help.py), not a sentence.
USAGE_LINE = re.compile(r"/pip [a-z]+( <[a-z ]+>)*")
# Literals of four words or more that are not prose for people, by file, and why.
ALLOWED: dict[str, set[str]] = {
    # Skip reasons kept on the delivery row (and looked for there), named once.
    "scheduler/backlog.py": {
        "folded into a newer prompt",
        "folded into a summary of missed check-ins",
    },
    "scheduler/checkin_messages.py": {"superseded by a newer check-in"},
    # Reasons for a log line, for operators.
    "handlers/errors.py": {"a newer view update won", "Slack can't reach them"},
    # A line of `python bot.py verify`, for operators.
    "views/record.py": {"{}: intact, {}, {} match ({} in Slack)"},
    # Date formats.
    "views/plan_messages.py": {
        "%-d %b %Y at %H:%M",
        "<!date^{}^{date_short_pretty} at {time}|{}>",
        # Labels: a button, a modal's title, a section's title.
        "Ask HR to review",
        "Respond to your plan",
        "If the standard is not met",
    },
    # Labels: form fields, headers, buttons.
    "views/amend.py": {"Reason for the extension"},
    "views/approval.py": {"Comment for the manager"},
    "views/checkins.py": {"Ask HR to review"},
    "views/close.py": {"Final result of each goal"},
    "views/home.py": {"Waiting for HR approval"},
    "views/plan_form.py": {
        "How it is measured",
        "If the standard is not met",
        "Issues, with dated examples",
        "Reason for the change",
        "What the goal is",
    },
    "views/voice.py": {"Ask HR to review"},
}


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the docstring nodes of `tree`."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _exempt_calls(tree: ast.AST) -> set[int]:
    """The ids of the string nodes passed to loggers, exceptions, Skip and Postpone."""
    found: set[int] = set()
    for node in ast.walk(tree):
        exempt = False
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            exempt = name in NOT_FOR_PEOPLE or (isinstance(func, ast.Attribute) and name in LOGGERS)
        elif isinstance(node, ast.Raise) and node.exc is not None:
            exempt = True
            node = node.exc
        if exempt:
            for inner in ast.walk(node):
                if isinstance(inner, ast.Constant | ast.JoinedStr):
                    found.add(id(inner))
    return found


def _text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value if isinstance(part, ast.Constant) else "{}" for part in node.values
        )
    return None


def sentences(path: Path) -> list[str]:
    """The literals of `path` that read as prose for people."""
    tree = ast.parse(path.read_text(), filename=str(path))
    skipped = _docstrings(tree) | _exempt_calls(tree)
    inside_fstrings = {
        id(part)
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        for part in node.values
    }
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped or id(node) in inside_fstrings:
            continue
        text = _text(node)
        if text is None:
            continue
        if USAGE_LINE.fullmatch(text):
            continue
        words = [w for w in text.replace("{}", " ").split() if any(c.isalpha() for c in w)]
        if len(words) >= MIN_WORDS:
            found.append(text)
    return found


def _modules() -> list[Path]:
    return sorted(p for folder in SCANNED for p in (ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_sentences_for_people_in_code(path: Path) -> None:
    relative = str(path.relative_to(ROOT))
    assert set(sentences(path)) - ALLOWED.get(relative, set()) == set()


def test_every_allowed_literal_is_still_in_its_file() -> None:
    stale = {
        (file, text)
        for file, texts in ALLOWED.items()
        for text in texts
        if text not in sentences(ROOT / file)
    }
    assert stale == set()


def test_the_scan_finds_a_sentence(tmp_path: Path) -> None:
    module = tmp_path / "sample.py"
    module.write_text(
        '"""A docstring is not prose for people."""\n'
        "import logging\n"
        "logger = logging.getLogger(__name__)\n"
        "def f(plan_id: str) -> str:\n"
        '    """Nor is this one."""\n'
        '    logger.info("sent the reminder for %s again", plan_id)\n'
        "    if not plan_id:\n"
        '        raise LookupError("no plan id was given here")\n'
        '    label = "Record outcome"\n'
        '    usage = "/pip show <plan id>"\n'
        '    return f"Your plan {plan_id} is still waiting for you." + label + usage\n'
    )
    assert sentences(module) == ["Your plan {} is still waiting for you."]
