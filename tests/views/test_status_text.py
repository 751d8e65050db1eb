"""A plan's state in the same words everywhere, counts said properly, progress as words."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import pytest

from models import GoalStatus, Outcome, PlanPause, PlanStatus, Review
from services.browse import GoalProgress, PlanDetail, PlanPage, Scope
from services.home import HomeData, OrgCounts, OwnPlan
from services.plan_facts import PlanLine
from services.report import OrgReport, Overdue
from services.status_text import count_words, plan_status_text
from tests.views.override_scenarios import sample_plan
from views.browse import list_message, plan_line_text, show_modal
from views.close import report_message
from views.home import home_view

ACKED = datetime(2027, 1, 5, 15, tzinfo=UTC)  # a Tuesday, after the plan was sent
REPEATED = re.compile(r"\b(\w+(?: \w+)?) · \1\b")
ONE_PLURAL = re.compile(r"\b1 (?:\w+ )?plans\b")


def _text(blocks: object) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def _line(**changes: object) -> PlanLine:
    plan = sample_plan(**changes)
    return PlanLine(
        plan=plan,
        acknowledged=plan.acknowledged_at is not None,
        next_checkin=None,
        overdue=[],
        ends_in_days=1,
    )


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({}, "waiting for acknowledgement"),
        (
            {"status": PlanStatus.ACKNOWLEDGED, "acknowledged_at": ACKED},
            "acknowledged on Tue 5 Jan 2027",
        ),
        ({"status": PlanStatus.CLOSED, "outcome": Outcome.SUCCESSFUL}, "closed: successful"),
        ({"status": PlanStatus.CLOSED, "outcome": Outcome.UNSUCCESSFUL}, "closed: unsuccessful"),
        ({"status": PlanStatus.DRAFT, "review": Review.PENDING}, "draft, with HR for approval"),
        ({"status": PlanStatus.WITHDRAWN}, "withdrawn draft, never sent"),
        (
            {"status": PlanStatus.EXTENDED, "acknowledged_at": ACKED},
            "extended to Fri 5 Mar 2027, acknowledged on Tue 5 Jan 2027",
        ),
    ],
)
def test_one_function_says_each_state(changes: dict[str, object], words: str) -> None:
    plan = sample_plan(**changes)
    assert plan_status_text(plan) == words
    # The list line and the plan page say it in the same words.
    assert words in plan_line_text(_line(**changes), "UMANAGER")
    detail = PlanDetail(plan, [], [GoalProgress(g.id, []) for g in plan.goals], [], False)
    assert f"Status: {words}" in _text(show_modal(detail))


def test_a_paused_plan_says_since_when_and_until_when() -> None:
    plan = sample_plan(status=PlanStatus.PAUSED)
    pause = PlanPause(paused_on=date(2027, 2, 1), resume_on=date(2027, 2, 15))
    assert plan_status_text(plan, pause) == "paused since Mon 1 Feb 2027 (until Mon 15 Feb 2027)"


@pytest.mark.parametrize(
    ("changes"),
    [{}, {"status": PlanStatus.ACKNOWLEDGED, "acknowledged_at": ACKED}],
)
def test_no_list_home_or_show_text_repeats_a_status(changes: dict[str, object]) -> None:
    line = _line(**changes)
    page = PlanPage(Scope.MINE, 1, 1, 1, [line], viewer_id="UMANAGER")
    home = HomeData(own=[OwnPlan(line=line, open_checkin=None)], managing=[line], managing_total=2)
    detail = PlanDetail(line.plan, [], [GoalProgress(g.id, []) for g in line.plan.goals], [], False)
    for text in (_text(list_message(page)), _text(home_view(home)), _text(show_modal(detail))):
        assert not REPEATED.search(text), REPEATED.search(text)
        assert "acknowledged · acknowledged" not in text
        assert "day(s)" not in text


def test_counts_are_said_properly() -> None:
    assert [count_words(n, "open plan") for n in (0, 1, 2)] == [
        "0 open plans",
        "1 open plan",
        "2 open plans",
    ]
    page = PlanPage(Scope.MINE, 1, 1, 1, [_line()], viewer_id="UMANAGER")
    message = list_message(page)
    assert message["text"].startswith("Your plans: 1 plan ")
    assert "ends tomorrow" in _text(message)
    report = OrgReport(
        today=date(2027, 1, 4),
        open_by_status={PlanStatus.ACTIVE: 1, PlanStatus.ACKNOWLEDGED: 0},
        open_total=1,
        plans_total=1,
        acknowledged=0,
        acknowledgement_base=1,
        acknowledgement_rate=0.0,
        checkins_due=0,
        checkins_completed=0,
        checkins_missed=0,
        checkin_completion_rate=None,
        outcomes={o: 0 for o in Outcome},
        success_rate=None,
        final_results={},
        average_closed_length_days=None,
        average_planned_length_days=None,
        overdue_acknowledgements=Overdue(1, ("PIP-7K3Q9A",)),
        missed_checkins=Overdue(),
        unreviewed_checkins=Overdue(),
        past_end_date=Overdue(),
    )
    shown = report_message(report)
    assert shown["text"] == "PIP report: 1 open plan, 1 in all."
    for text in (_text(shown), _text(message)):
        assert not ONE_PLURAL.search(text), ONE_PLURAL.search(text)
    assert "waiting for acknowledgement: 1" in _text(shown)
    assert "acknowledged: 0" not in _text(shown)  # no empty groups


def test_progress_reads_as_words_with_the_emoji_as_decoration() -> None:
    plan = sample_plan()
    trend = [GoalStatus.ON_TRACK, None, GoalStatus.OFF_TRACK]
    detail = PlanDetail(plan, [], [GoalProgress(g.id, trend) for g in plan.goals], [], False)
    text = _text(show_modal(detail))
    assert "Latest: :red_circle: Off track" in text
    assert (
        "Each check-in: :large_green_circle: On track, :white_circle: not rated yet, "
        ":red_circle: Off track"
    ) in text
    # Never an emoji alone: every status emoji is followed by its word.
    for emoji in re.findall(r":[a-z_]+_circle:", text):
        assert re.search(re.escape(emoji) + r" (On track|At risk|Off track|not rated yet)", text)
    assert not re.search(r"_circle: :", text)


def test_the_employees_home_lists_only_what_an_employee_can_do() -> None:
    line = _line()
    employee = _text(home_view(HomeData(own=[OwnPlan(line=line, open_checkin=None)])))
    for command in ("/pip new", "/pip close", "/pip pause", "/pip report", "/pip extend"):
        assert command not in employee
    assert "/pip show" in employee and "Acknowledge receipt" in employee
    assert "time to decide the outcome" not in employee  # the manager's to-do
    manager = _text(home_view(HomeData(managing=[line], managing_total=1)))
    assert "/pip new" in manager and "/pip close" in manager
    hr = _text(home_view(HomeData(org=OrgCounts(1, 1, 0, 0, 0))))
    assert "/pip report" in hr
