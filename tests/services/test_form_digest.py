"""A plan form sent again after its plan was saved: unchanged, or changed (services.plans)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy.orm import Session

from models import Plan
from services import plans
from services.access import Actor
from services.drafts import GoalDraft, PlanDraft
from services.schedule import Recipients
from services.users import Profile

NOW = datetime(2027, 1, 4, 15, tzinfo=UTC)
TODAY = NOW.date()


def _draft(**changes: object) -> PlanDraft:
    draft = PlanDraft(
        employee_id="UEMP",
        issues="Missed the release review.",
        expectations="Reviews on time.",
        goals=[GoalDraft("Reviews", "The review log", "All on time", TODAY + timedelta(days=20))],
        steps_text="Shadow the lead by 2027-01-20\nRead the handbook",
        weekday=2,
        start_date=TODAY,
        length_days=None,
        end_date=TODAY + timedelta(days=60),
        consequences="Further action.",
    )
    return dataclasses.replace(draft, **changes)


def _open(db: Session, draft: PlanDraft, form_id: str | None = "f" * 32) -> Plan:
    plan = plans.open_plan(
        db,
        Actor("UMGR"),
        team_id="T",
        draft=draft,
        employee=Profile("UEMP", name="eli"),
        recipients=Recipients("UTC", "UTC", None, time(10)),
        today=TODAY,
        now=NOW,
        form_id=form_id,
    )
    assert plan is not None
    db.commit()
    return plan


def test_the_form_sent_again_as_it_was_matches_even_after_the_plan_changed(db: Session) -> None:
    plan = _open(db, _draft())
    assert plans.matches_draft(plan, _draft())
    plan.issues = "Amended later with /pip edit."  # the plan moves on; the form did not
    db.commit()
    assert plans.matches_draft(plan, _draft())


@pytest.mark.parametrize(
    "changed",
    [
        {"issues": "Missed the release review. "},  # even a space typed after
        {"goals": [*_draft().goals, GoalDraft("A new goal", "", "", None)]},  # no date yet
        {"steps_text": "Shadow the lead by 2027-02-30\nRead the handbook"},  # a date it refuses
        {"length_days": 90},  # the end date typed wins, but the form was changed
        {"send_after_meeting": True},
        {"employee_id": "UOTHER"},
    ],
)
def test_any_change_to_the_form_does_not_match(db: Session, changed: dict[str, object]) -> None:
    plan = _open(db, _draft())
    assert not plans.matches_draft(plan, _draft(**changed))


def test_a_plan_opened_without_a_form_fingerprint_is_taken_as_unchanged(db: Session) -> None:
    plan = _open(db, _draft(), form_id=None)
    assert plan.form_digest is None
    assert plans.matches_draft(plan, _draft(issues="Anything"))
