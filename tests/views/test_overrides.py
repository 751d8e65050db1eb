"""An override under the overrides folder replaces any template, where it is used, and a
broken one stops start-up with its file named."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from sqlalchemy.orm import Session

from scheduler.messages import Outgoing
from scheduler.renderers import render_delivery
from tests.process import bot_env, run_bot
from tests.scheduler.test_renderers import NOW, arrange
from tests.views.override_scenarios import SCENARIOS, SCHEDULED, TEMPLATES, templates_on_disk
from views import prose

MARKER = "OVERRIDDEN-7Q"
MACRO = re.compile(r"(\{%-?\s*macro\s[^%]*?-?%\})")


@pytest.fixture
def overrides(tmp_path: Path) -> Iterator[Path]:
    """An empty overrides folder in use for the test, the default one restored after."""
    folder = tmp_path / "overrides"
    folder.mkdir()
    before = prose.overrides_folder()
    prose.use_overrides(folder)
    yield folder
    prose.use_overrides(before)


def marked(source: str) -> str:
    """The template with the marker at the start of its text (of every macro, for a strings
    file), so the marker shows wherever any of it is used."""
    if MACRO.search(source):
        return MACRO.sub(lambda m: m.group(1) + MARKER + " ", source)
    return MARKER + " " + source


def write_override(folder: Path, name: str, source: str) -> Path:
    """Put `source` in `folder` as the override of template `name`."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")
    return path


def test_every_template_has_a_scenario() -> None:
    assert set(SCENARIOS).isdisjoint(SCHEDULED)
    assert set(SCENARIOS) | set(SCHEDULED) == set(templates_on_disk())


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_an_override_replaces_the_template_where_it_is_used(overrides: Path, name: str) -> None:
    scenario = SCENARIOS[name]
    assert MARKER not in scenario()
    original = (TEMPLATES / name).read_text(encoding="utf-8")
    write_override(overrides, name, marked(original))
    prose.use_overrides(overrides)  # as at start-up: templates are read afresh
    assert prose.check_overrides() == []
    assert MARKER in scenario()


def shown(outcome: object) -> str:
    """What a person reads of a rendered delivery: its text and its blocks."""
    assert isinstance(outcome, Outgoing), outcome
    return outcome.text + json.dumps(outcome.blocks, ensure_ascii=False)


@pytest.mark.parametrize("name", sorted(SCHEDULED))
def test_an_override_replaces_a_scheduled_message_where_it_is_used(
    overrides: Path, db: Session, name: str
) -> None:
    with time_machine.travel(NOW, tick=False):
        ctx = arrange(db, SCHEDULED[name])  # as the dispatcher prepares it
        assert MARKER not in shown(render_delivery(ctx))
        original = (TEMPLATES / name).read_text(encoding="utf-8")
        write_override(overrides, name, marked(original))
        prose.use_overrides(overrides)
        assert prose.check_overrides() == []
        assert MARKER in shown(render_delivery(ctx))


def test_a_syntax_error_is_refused_with_the_file_named(overrides: Path) -> None:
    path = write_override(overrides, "messages/ack_request.md.j2", "{% if plan_id %}Hello")
    [problem] = prose.check_overrides()
    assert problem.path == path and "line" in problem.detail


def test_an_unknown_variable_is_refused(overrides: Path) -> None:
    write_override(overrides, "messages/ack_request.md.j2", "Hello {{ employee_salary }}")
    [problem] = prose.check_overrides()
    assert "employee_salary" in str(problem) and "ack_request.md.j2" in str(problem)


def test_an_unknown_macro_argument_is_refused(overrides: Path) -> None:
    original = (TEMPLATES / "messages/views/home.md.j2").read_text(encoding="utf-8")
    broken = original.replace("{% macro more_plans(count) %}", "{% macro more_plans(count, x) %}")
    write_override(overrides, "messages/views/home.md.j2", broken)
    problems = [str(p) for p in prose.check_overrides()]
    assert len(problems) == 1 and "macro more_plans must take (count)" in problems[0]


def test_a_missing_macro_and_a_stray_file_are_refused(overrides: Path) -> None:
    write_override(
        overrides, "messages/views/home.md.j2", "{% macro no_plans() %}None.{% endmacro %}"
    )
    write_override(overrides, "messages/ack_requst.md.j2", "Hello")
    problems = [str(p) for p in prose.check_overrides()]
    assert len(problems) == 2
    assert any("home.md.j2" in p and "more_plans" in p for p in problems)
    assert any("ack_requst.md.j2" in p and "no template" in p for p in problems)


def test_the_shipped_overrides_folder_is_clean() -> None:
    assert prose.check_overrides() == []


@pytest.mark.parametrize(
    ("source", "named"),
    [("{% if plan_id %}Hello", "line 1"), ("Hello {{ employee_salary }}", "employee_salary")],
)
def test_bot_refuses_to_start_with_a_broken_override(
    tmp_path: Path, source: str, named: str
) -> None:
    folder = tmp_path / "overrides"
    path = write_override(folder, "messages/ack_request.md.j2", source)
    env = bot_env(
        SLACK_BOT_TOKEN="xoxb-process",
        SLACK_SIGNING_SECRET="secret",
        SLACK_API_URL="http://127.0.0.1:9",  # never reached: the check comes first
        DATABASE_URL=f"sqlite:///{tmp_path / 'pip.db'}",
        TEMPLATE_OVERRIDES=str(folder),
    )
    result = run_bot(env, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert str(path) in result.stderr and named in result.stderr
    assert not (tmp_path / "pip.db").exists()  # refused before touching the database
    shutil.rmtree(folder)


def test_a_macro_that_drops_an_argument_is_refused(overrides: Path) -> None:
    original = (TEMPLATES / "messages/views/home.md.j2").read_text(encoding="utf-8")
    broken = original.replace("{% macro more_plans(count) %}", "{% macro more_plans() %}")
    write_override(overrides, "messages/views/home.md.j2", broken)
    problems = [str(p) for p in prose.check_overrides()]
    assert any("macro more_plans must take (count)" in p for p in problems), problems
    assert all("home.md.j2" in p for p in problems)
