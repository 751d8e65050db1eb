"""The forms as pure view builders: valid for Slack, within its limits, with the ids handlers read.

No app and no database: plans are built in memory, and each view goes through the fake Slack's
own validation (slack_sdk's models plus the limits slack_sdk does not check).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from models import Cadence
from services.drafts import GOAL_TEXT_MAX, MAX_GOALS, GoalDraft, PlanDraft
from tests.constants import EMPLOYEE
from tests.fakeslack import MAX_VIEW_BLOCKS, view_problems
from tests.views.sample import GOAL_IDS, LONG, START, sample_checkin, sample_plan
from views.amend import extend_modal, read_extension
from views.approval import decision_of, review_modal
from views.checkins import checkin_modal, read_marks
from views.checkins import review_modal as checkin_review_modal
from views.close import close_modal, read_closing
from views.form_meta import FormMeta, form_meta
from views.ids import Action, Block, Callback, goal_block, goal_field
from views.inputs import LABEL_MAX
from views.pause import pause_modal, read_pause
from views.plan_form import (
    edit_draft_modal,
    edit_plan_modal,
    form_reason,
    new_plan_modal,
    plan_modal,
    plan_sent_modal,
    read_plan_form,
)
from views.plan_messages import respond_modal
from views.voice import ask_hr_modal

KEY = b"form-signing-key-for-view-tests"


def _full_draft() -> PlanDraft:
    """A draft at every limit: the most goals, the longest texts."""
    goal_text = "g" * GOAL_TEXT_MAX
    return PlanDraft(
        employee_id=EMPLOYEE,
        issues=LONG,
        expectations=LONG,
        goals=[
            GoalDraft(goal_text, goal_text, goal_text, START + timedelta(days=30))
            for _ in range(MAX_GOALS)
        ],
        steps_text=LONG,
        support=LONG,
        cadence=Cadence.BIWEEKLY,
        weekday=4,
        start_date=START,
        length_days=None,
        end_date=START + timedelta(days=89),
        consequences=LONG,
        send_after_meeting=True,
    )


def _full_meta(**fields: Any) -> FormMeta:
    return FormMeta(slots=list(range(MAX_GOALS)), next_slot=MAX_GOALS, **fields)


FORMS: dict[str, Callable[[], dict[str, Any]]] = {
    "new plan": lambda: new_plan_modal(EMPLOYEE, START, key=KEY),
    "new plan, full": lambda: plan_modal(_full_draft(), _full_meta(approval=True), key=KEY),
    "edit draft": lambda: edit_draft_modal(_full_draft(), "PIP-7K3Q9A", EMPLOYEE, True, key=KEY),
    "amend plan": lambda: edit_plan_modal(_full_draft(), "PIP-7K3Q9A", EMPLOYEE, GOAL_IDS, key=KEY),
    "close": lambda: close_modal(sample_plan(text=LONG), [], START, can_extend=True),
    "check-in": lambda: checkin_modal((plan := sample_plan(text=LONG)), sample_checkin(plan)),
    "check-in review": lambda: checkin_review_modal(
        (plan := sample_plan(text=LONG)), sample_checkin(plan)
    ),
    "unscheduled review": lambda: checkin_review_modal(sample_plan(text=LONG), None, seen=3),
    "pause": lambda: pause_modal(sample_plan()),
    "extend": lambda: extend_modal(sample_plan()),
    "respond": lambda: respond_modal(sample_plan()),
    "ask HR": lambda: ask_hr_modal(sample_plan(), "hr@example.com"),
    "draft review": lambda: review_modal(sample_plan(text=LONG), 2, "PIP-OTHER1"),
}


@pytest.mark.parametrize("name", FORMS)
def test_every_form_is_a_modal_slack_accepts_even_at_its_limits(name: str) -> None:
    view = FORMS[name]()
    assert view_problems(view, kind="modal") == []
    assert 0 < len(view["blocks"]) <= MAX_VIEW_BLOCKS
    assert view["close"]["text"] == "Cancel"
    for block in view["blocks"]:
        if block["type"] == "input":
            assert len(block["label"]["text"]) <= LABEL_MAX
            element = block["element"]
            if element["type"] == "plain_text_input" and "initial_value" in element:
                assert len(element["initial_value"]) <= element["max_length"]


def _state_of(view: dict[str, Any]) -> dict[str, Any]:
    """The view as Slack sends it back when nobody changed a prefilled value."""
    values: dict[str, dict[str, Any]] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        kind = element["type"]
        value: dict[str, Any] = {"type": kind}
        if kind == "plain_text_input":
            value["value"] = element.get("initial_value")
        elif kind == "datepicker":
            value["selected_date"] = element.get("initial_date")
        elif kind in ("static_select", "radio_buttons"):
            value["selected_option"] = element.get("initial_option")
        elif kind == "users_select":
            value["selected_user"] = element.get("initial_user")
        elif kind == "checkboxes":
            value["selected_options"] = element.get("initial_options", [])
        values[block["block_id"]] = {element["action_id"]: value}
    return {**view, "state": {"values": values}}


def test_the_plan_form_reads_back_the_draft_it_was_filled_with() -> None:
    draft = _full_draft()
    view = plan_modal(draft, _full_meta(), key=KEY)
    meta = form_meta(view, KEY)
    assert meta is not None and meta.slots == list(range(MAX_GOALS))
    read, slots = read_plan_form(_state_of(view), meta)
    assert read == draft and slots == meta.slots


def test_the_plan_form_metadata_is_signed_with_the_server_key() -> None:
    view = new_plan_modal(EMPLOYEE, START, key=KEY)
    meta = form_meta(view, KEY)
    assert meta is not None and re.fullmatch(r"[0-9a-f]{32}", meta.form_id or "")
    assert meta == FormMeta(form_id=meta.form_id)
    assert form_meta(new_plan_modal(EMPLOYEE, START, key=KEY), KEY) != meta  # one id per form
    assert form_meta(view, b"another-key") is None
    assert form_meta({**view, "private_metadata": "{not json"}, KEY) is None


def _block_ids(view: dict[str, Any]) -> list[str]:
    return [b["block_id"] for b in view["blocks"] if "block_id" in b]


def _action_ids(view: dict[str, Any]) -> list[str]:
    found = []
    for block in view["blocks"]:
        for element in [*block.get("elements", []), block.get("accessory"), block.get("element")]:
            if isinstance(element, dict) and "action_id" in element:
                found.append(element["action_id"])
    return found


def test_each_plan_form_shows_the_fields_its_handler_reads() -> None:
    new = new_plan_modal(EMPLOYEE, START, approval=True, key=KEY)
    amend = edit_plan_modal(_full_draft(), "PIP-7K3Q9A", EMPLOYEE, GOAL_IDS, key=KEY)
    draft = edit_draft_modal(_full_draft(), "PIP-7K3Q9A", EMPLOYEE, False, key=KEY)
    assert (new["callback_id"], new["submit"]["text"]) == (Callback.NEW_PLAN, "Send to HR")
    assert (amend["callback_id"], amend["submit"]["text"]) == (Callback.EDIT_PLAN, "Save changes")
    assert (draft["callback_id"], draft["submit"]["text"]) == (Callback.EDIT_DRAFT, "Save draft")
    assert Block.EMPLOYEE in _block_ids(new) and Block.DELIVERY in _block_ids(new)
    assert Block.REASON not in _block_ids(new)
    assert Block.REASON in _block_ids(amend)
    assert Block.EMPLOYEE not in _block_ids(amend) and Block.DELIVERY not in _block_ids(amend)
    assert Block.EMPLOYEE not in _block_ids(draft) and Block.DELIVERY in _block_ids(draft)
    for view in (new, amend, draft):
        for field in (Block.ISSUES, Block.EXPECTATIONS, Block.STEPS, Block.SUPPORT):
            assert field in _block_ids(view)
        for field in (Block.CADENCE, Block.WEEKDAY, Block.START_DATE, Block.LENGTH):
            assert field in _block_ids(view)
        assert Block.END_DATE in _block_ids(view) and Block.CONSEQUENCES in _block_ids(view)


def test_goals_can_be_added_up_to_the_limit_and_removed_down_to_one() -> None:
    one = new_plan_modal(EMPLOYEE, START, key=KEY)
    assert Action.ADD_GOAL in _action_ids(one) and Action.REMOVE_GOAL not in _action_ids(one)
    assert goal_block(Block.GOAL_DESCRIPTION, 0) in _block_ids(one)
    full = plan_modal(_full_draft(), _full_meta(), key=KEY)
    assert Action.ADD_GOAL not in _action_ids(full)
    assert _action_ids(full).count(Action.REMOVE_GOAL) == MAX_GOALS
    assert f"A plan has at most {MAX_GOALS} goals." in str(full["blocks"])
    for slot in range(MAX_GOALS):
        for field in (Block.GOAL_DESCRIPTION, Block.GOAL_MEASURE, Block.GOAL_TARGET):
            assert goal_block(field, slot) in _block_ids(full)


def test_an_amendment_reason_is_read_from_its_own_field() -> None:
    view = edit_plan_modal(_full_draft(), "PIP-7K3Q9A", EMPLOYEE, GOAL_IDS, key=KEY)
    typed = {Block.REASON: {Action.REASON: {"type": "plain_text_input", "value": "New policy"}}}
    assert form_reason({**view, "state": {"values": typed}}) == "New policy"


def test_the_closing_form_has_a_status_per_goal_and_reads_back() -> None:
    plan = sample_plan(goals=3, text="d" * 2500)  # a label longer than Slack allows is clipped
    view = close_modal(plan, [], START + timedelta(days=60), can_extend=False)
    assert view_problems(view, kind="modal") == []
    statuses = [goal_field(Action.GOAL_STATUS, g.id) for g in plan.goals]
    assert [b for b in _block_ids(view) if b.startswith(f"{Action.GOAL_STATUS}.")] == statuses
    assert "extend" not in str(view["blocks"][1]["element"]["options"])
    closing = read_closing(_state_of(view))
    assert closing.outcome is None
    assert closing.effective_date == START + timedelta(days=60)
    assert [m.goal_id for m in closing.marks] == [101, 102, 103]
    assert all(m.result is None for m in closing.marks)
    assert Block.CLOSE_EXTEND not in _block_ids(view)
    extendable = close_modal(plan, [], START, can_extend=True)
    assert view_problems(extendable, kind="modal") == []
    assert Block.CLOSE_EXTEND in _block_ids(extendable)
    assert Action.EXTEND_INSTEAD in str(extendable["blocks"])


def test_the_check_in_form_marks_each_goal_and_reads_back_what_it_showed() -> None:
    plan = sample_plan(goals=2)
    checkin = sample_checkin(plan)
    view = checkin_modal(plan, checkin)
    assert view["callback_id"] == Callback.CHECKIN and view["private_metadata"] == "7"
    assert [m.goal_id for m in read_marks(_state_of(view))] == [101, 102]
    review = checkin_review_modal(plan, checkin)
    assert review["callback_id"] == Callback.REVIEW
    assert Block.PRIVATE_NOTES in _block_ids(review)


def test_the_small_forms_read_back_their_prefilled_values() -> None:
    plan = sample_plan(goals=1)
    extension = extend_modal(plan)
    assert read_extension(_state_of(extension)) == (plan.end_date + timedelta(days=30), "")
    pause = read_pause(_state_of(pause_modal(plan)))
    assert (pause.reason, pause.resume_on, pause.tell_employee) == ("", None, False)
    respond = respond_modal(plan)
    assert respond["blocks"][-1]["element"]["initial_value"] == plan.employee_response
    assert decision_of(_state_of(review_modal(plan, 1, None))) == (None, "")


@pytest.mark.parametrize(
    ("status", "approval", "advice"),
    [
        ("active", False, "type `/pip edit PIP-7K3Q9A`"),
        ("draft", True, "withdraw it with `/pip withdraw PIP-7K3Q9A`"),
        ("draft", False, "press *Edit draft* in our direct message"),
    ],
)
def test_changes_not_applied_say_how_to_change_the_plan_in_the_state_it_is_in(
    status: str, approval: bool, advice: str
) -> None:
    view = plan_sent_modal(
        "PIP-7K3Q9A", EMPLOYEE, status, approval=approval, after_meeting=False,
        changes_not_applied=True,
    )  # fmt: skip
    assert view_problems(view, kind="modal") == []
    notice, sent = (b["text"]["text"] for b in view["blocks"])
    assert notice.startswith("*What you changed after sending was not applied.*")
    assert advice in notice
    assert "PIP-7K3Q9A" in sent
    plain_view = plan_sent_modal(
        "PIP-7K3Q9A", EMPLOYEE, status, approval=approval, after_meeting=False
    )
    assert [b["text"]["text"] for b in plain_view["blocks"]] == [sent]
