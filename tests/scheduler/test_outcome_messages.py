"""The outcome messages: one for each outcome, each ending with what happens next."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy.orm import Session

from models import Delivery, DeliveryKind, DeliveryStatus, Notice, Outcome, PlanStatus
from scheduler.messages import Outgoing, RenderContext
from scheduler.renderers import render_delivery
from tests.constants import EMPLOYEE, HR_CHANNEL, MANAGER
from tests.scheduler.test_renderers import NOW, SETTINGS, make_plan

# The last sentence of each message: the next step, and for the employee who can help.
NEXT_STEP = {
    (EMPLOYEE, Outcome.SUCCESSFUL): (
        "Nothing else is needed from you. If you would like to talk about it, <@UMANAGER> or "
        "Hana in People Ops can help."
    ),
    (EMPLOYEE, Outcome.UNSUCCESSFUL): (
        "What happens next is set out in the plan's consequences; <@UMANAGER> will talk it "
        "through with you. If you have questions, Hana in People Ops can help."
    ),
    (EMPLOYEE, Outcome.CANCELLED): (
        "<@UMANAGER> will explain why and what it means for you. If you have questions, "
        "Hana in People Ops can help."
    ),
    (MANAGER, Outcome.SUCCESSFUL): (
        "<@UEMPLOYEE> has the outcome and your summary in a direct message, with thanks for "
        "their work. Nothing else is needed from you."
    ),
    (MANAGER, Outcome.UNSUCCESSFUL): (
        "<@UEMPLOYEE> has the outcome and your summary in a direct message, which says you will "
        "talk the plan's consequences through with them. Please arrange that conversation soon; "
        "HR can help you prepare."
    ),
    (MANAGER, Outcome.CANCELLED): (
        "<@UEMPLOYEE> has the news in a direct message, which says you will explain why. "
        "Please talk to them soon; HR can help you prepare."
    ),
}


def _outcome_message(db: Session, outcome: Outcome, recipient: str, hr_contact: str) -> Outgoing:
    plan = make_plan(
        db,
        PlanStatus.CLOSED,
        outcome=outcome,
        outcome_summary="Reports are now on time.",
        outcome_effective_date=date(2027, 3, 8),
        closed_at=NOW,
    )
    first, second = plan.goals
    goals = [
        {"goal_id": first.id, "status": "on_track"},
        {"goal_id": second.id, "status": "at_risk"},
    ]
    kind = DeliveryKind.HR_NOTICE if recipient == HR_CHANNEL else DeliveryKind.NOTICE
    notice = Notice.CLOSED if recipient == HR_CHANNEL else Notice.OUTCOME
    delivery = Delivery(
        occurrence_key=f"outcome:{recipient}",
        plan_id=plan.id,
        kind=kind,
        recipient_id=recipient,
        payload={"notice": notice, "goals": goals},
        due_at=NOW,
        next_attempt_at=NOW,
        status=DeliveryStatus.CLAIMED,
    )
    db.add(delivery)
    db.flush()
    settings = replace(SETTINGS, hr_contact=hr_contact)
    message = render_delivery(RenderContext(db, delivery, plan, settings, NOW))
    assert isinstance(message, Outgoing)
    return message


def _body(message: Outgoing) -> str:
    return "\n".join(b["text"]["text"] for b in message.blocks if b["type"] == "section")


@pytest.mark.parametrize("recipient", [EMPLOYEE, MANAGER])
def test_each_outcome_is_said_its_own_way_and_ends_with_the_next_step(
    db: Session, recipient: str
) -> None:
    bodies = {}
    for outcome in Outcome:
        message = _outcome_message(db, outcome, recipient, "Hana in People Ops")
        body = _body(message)
        assert body.splitlines()[-1] == NEXT_STEP[recipient, outcome]
        assert "Effective" not in json.dumps(message.blocks) and "Effective" not in message.text
        assert "Mon 8 Mar 2027" in body  # the date, in a sentence
        assert "Reports are now on time." in body
        bodies[outcome] = body
        db.rollback()
    assert len(set(bodies.values())) == 3
    # The same facts, in words that fit each outcome.
    assert "met the expected standard" in bodies[Outcome.SUCCESSFUL]
    assert "expected standard was not met" in bodies[Outcome.UNSUCCESSFUL]
    assert "withdrawn" in bodies[Outcome.CANCELLED]


def test_the_employee_hears_thanks_for_success_and_nothing_cheerful_otherwise(
    db: Session,
) -> None:
    said = {}
    for outcome in Outcome:
        said[outcome] = _body(_outcome_message(db, outcome, EMPLOYEE, ""))
        db.rollback()
    assert "Thank you for the work this took." in said[Outcome.SUCCESSFUL]
    for outcome in (Outcome.UNSUCCESSFUL, Outcome.CANCELLED):
        assert "Thank you" not in said[outcome] and "!" not in said[outcome]
    # Without HR_CONTACT, the employee is pointed at their HR team.
    assert all(text.endswith("your HR team can help.") for text in said.values())


def test_the_employee_notification_text_says_only_who_it_is_from(db: Session) -> None:
    message = _outcome_message(db, Outcome.UNSUCCESSFUL, EMPLOYEE, "")
    assert message.text == "You have a new message from <@UMANAGER>."


@pytest.mark.parametrize("outcome", list(Outcome))
def test_hr_hears_the_outcome_without_effective(db: Session, outcome: Outcome) -> None:
    message = _outcome_message(db, outcome, HR_CHANNEL, "")
    assert "Effective" not in message.text and "Mon 8 Mar 2027" in message.text
    assert "Reports are now on time." not in message.text  # the summary only with detail=full
    assert message.text.splitlines()[-1].endswith("full record follows in this channel.")
