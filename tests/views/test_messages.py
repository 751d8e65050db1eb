"""Messages as pure view builders: within Slack's block limits, with the buttons handlers read."""

from __future__ import annotations

from tests.fakeslack import MAX_MESSAGE_BLOCKS, block_problems
from tests.slackdriver import rendered_button
from tests.views.sample import LONG, sample_checkin, sample_plan
from views.approval import approval_request, parse_review_value
from views.checkins import checkin_prompt, review_prompt
from views.ids import Action, Block
from views.plan_messages import employee_plan_message, parse_acknowledge_value


def test_the_employee_plan_at_every_limit_fits_and_ends_with_its_buttons() -> None:
    plan = sample_plan(text="g" * 500)
    for round_ in (1, 2):
        message = employee_plan_message(
            plan, round_=round_, changed=["Issues"], reason=LONG, hr_contact="hr@example.com"
        )
        blocks = message["blocks"]
        assert block_problems(blocks) == [] and len(blocks) <= MAX_MESSAGE_BLOCKS
        assert blocks[-1]["block_id"] == Block.PLAN_ACTIONS
        _, acknowledge = rendered_button(message, Action.ACKNOWLEDGE)
        assert parse_acknowledge_value(acknowledge["value"]) == (plan.public_id, round_)
        for action in (Action.RESPOND, Action.ASK_HR):
            assert rendered_button(message, action)[1]["value"] == plan.public_id
        # The lock screen shows who wrote, never what about.
        assert plan.public_id not in message["text"] and "plan" not in message["text"].lower()


def test_check_in_and_review_prompts_carry_the_check_in_id() -> None:
    plan = sample_plan()
    checkin = sample_checkin(plan)
    prompt = checkin_prompt(plan, checkin)
    assert block_problems(prompt["blocks"]) == []
    assert len(prompt["blocks"]) <= MAX_MESSAGE_BLOCKS
    block_id, button = rendered_button(prompt, Action.CHECK_IN)
    assert (block_id, button["value"]) == (Block.CHECKIN_ACTIONS, "7")
    review = review_prompt(plan, checkin)
    assert block_problems(review["blocks"]) == []
    assert rendered_button(review, Action.LOG_REVIEW)[1]["value"] == "7"


def test_hr_approval_request_reviews_the_round_it_was_posted_for() -> None:
    plan = sample_plan(text=LONG)
    request = approval_request(plan, 3, "PIP-OTHER1")
    assert block_problems(request["blocks"]) == []
    assert len(request["blocks"]) <= MAX_MESSAGE_BLOCKS
    block_id, button = rendered_button(request, Action.REVIEW_DRAFT)
    assert block_id == Block.DRAFT_ACTIONS
    assert parse_review_value(button["value"]) == (plan.public_id, 3)
    decided = approval_request(plan, 3, None, outcome="Approved by HR.")
    assert Action.REVIEW_DRAFT not in str(decided["blocks"])
