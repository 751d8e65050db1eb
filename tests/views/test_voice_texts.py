"""The employee's first message and the review they get, in the voice of voice.md."""

from __future__ import annotations

import json

from tests.views.override_scenarios import _checkin, sample_plan
from views.checkins import review_for_employee
from views.plan_messages import employee_plan_message

HR_CONTACT = "Hana in People Ops"


def _sections(message: dict) -> str:  # type: ignore[type-arg]
    return "\n".join(
        b["text"]["text"] for b in message["blocks"] if b["type"] == "section" and "text" in b
    )


def test_the_first_dm_says_why_what_by_when_receipt_and_what_next() -> None:
    text = _sections(employee_plan_message(sample_plan(), hr_contact=HR_CONTACT))
    intro = text[: text.index("*Issues*")]
    # What a plan like this is for.
    assert "sets out where your work needs to change" in intro
    assert "clear and fair chance to meet it" in intro
    # What is asked, and by when (5 business days after it was sent on Mon 4 Jan).
    assert "press *Acknowledge receipt* by Mon 11 Jan 2027" in intro
    # Receipt, not agreement, in the same sentence as the ask for acknowledgement.
    assert (
        "Acknowledging means only that you have received the plan; *it does not mean you "
        "agree with it*" in intro
    )
    # What happens next, and who to talk to.
    assert "*What happens next:* Every week on Wednesdays" in intro
    assert "On Fri 5 Mar 2027, <@UMANAGER> records whether the expected standard was met" in intro
    assert f"{HR_CONTACT} can help" in intro
    assert "!" not in intro


def test_without_hr_contact_the_first_dm_points_to_the_hr_team() -> None:
    text = _sections(employee_plan_message(sample_plan()))
    assert "your HR team can help" in text


def test_the_review_the_employee_gets_names_who_to_talk_to() -> None:
    message = review_for_employee(sample_plan(), _checkin(), HR_CONTACT)
    assert f"{HR_CONTACT} can help" in json.dumps(message)
    assert (
        message["text"] == "<@UMANAGER> reviewed the check-in of Wed 6 Jan 2027 on plan PIP-7K3Q9A."
    )
