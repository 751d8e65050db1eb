"""No sentence a person reads is written in views/ or handlers/: it comes from a template."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("views", "handlers")
MIN_WORDS = 5
# Strings that look like prose but are not sentences for the people the bot talks to:
# headings (labels), and what developers and operators read.
ALLOWED: set[str] = {
    "Final result of each goal",  # views/close.py: a header
    "If the standard is not met",  # views/plan_messages.py: a section title
    "/pip X has no usage line in views.help",  # handlers/commands.py: a developer's error
    "a newer view update won",  # handlers/errors.py: a log line's reason
    "plan and employee are ids",  # views/form_meta.py: a developer's error
    "there is no template X to replace",  # views/prose.py: the start-up check, for operators
}


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def _literal_text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else " X "
            for v in node.values
        )
    return None


def sentences(path: Path) -> list[str]:
    """The sentence-length string literals of one module (docstrings and log lines aside)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):  # judged whole, not part by part
            skip.update(id(v) for v in node.values)
        # A log line is for operators, not for the people the bot talks to.
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if isinstance(node.func.value, ast.Name) and node.func.value.id in {"logger", "log"}:
                skip.update(id(a) for a in ast.walk(node))
    found = []
    for node in ast.walk(tree):
        if id(node) in skip or isinstance(node, ast.FormattedValue):
            continue
        text = _literal_text(node)
        if text is None or " ".join(text.replace(" X ", " X ").split()) in ALLOWED:
            continue
        words = [w for w in text.replace(" X ", " ").split() if w[0].isalpha()]
        if len(words) >= MIN_WORDS:
            found.append(f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}: {text!r}")
    return found


MODULES = sorted(p for folder in SCANNED for p in (ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_sentence_is_written_in_code(path: Path) -> None:
    assert sentences(path) == []
