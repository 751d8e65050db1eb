"""The access policy: the design's "who may do what", role by role."""

from __future__ import annotations

from datetime import date

import pytest

from models import Cadence, Plan, PlanStatus
from services.access import Action, Actor, Role, may, require, roles
from services.errors import PlanNotFound


def plan() -> Plan:
    return Plan(
        public_id="PIP-ABC123",
        team_id="T1",
        employee_id="UEMP",
        manager_id="UMGR",
        issues="i",
        expectations="e",
        consequences="c",
        start_date=date(2027, 1, 4),
        end_date=date(2027, 3, 1),
        cadence=Cadence.WEEKLY,
        checkin_weekday=2,
    )


MANAGER = Actor("UMGR")
EMPLOYEE = Actor("UEMP")
HR = Actor("UHR", is_hr=True)
STRANGER = Actor("USTRANGER")

EXPECTED: dict[Action, set[Actor]] = {
    Action.VIEW: {MANAGER, EMPLOYEE, HR},
    Action.VIEW_PRIVATE_NOTES: {MANAGER, HR},
    Action.EXPORT: {MANAGER, EMPLOYEE, HR},
    Action.AMEND: {MANAGER},
    Action.EXTEND: {MANAGER},
    Action.CLOSE: {MANAGER, HR},
    Action.LOG_REVIEW: {MANAGER},
    Action.ACKNOWLEDGE: {EMPLOYEE},
    Action.RESPOND: {EMPLOYEE},
    Action.CHECK_IN: {EMPLOYEE},
    Action.APPROVE: {HR},
    Action.EDIT_DRAFT: {MANAGER},
    Action.SEND: {MANAGER},
    Action.WITHDRAW: {MANAGER},
    Action.ASK_HR: {EMPLOYEE},
    Action.READ_VOICE: {HR},
    Action.VERIFY: {MANAGER, HR},
    Action.HOLD: {HR},
    Action.PAUSE: {MANAGER, HR},
    Action.RESUME: {MANAGER, HR},
}


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("actor", [MANAGER, EMPLOYEE, HR, STRANGER], ids=lambda a: a.user_id)
def test_matrix(action: Action, actor: Actor) -> None:
    assert may(actor, action, plan()) == (actor in EXPECTED[action])


def test_every_action_has_an_expectation() -> None:
    assert set(EXPECTED) == set(Action)


def test_stranger_is_told_the_plan_does_not_exist() -> None:
    with pytest.raises(PlanNotFound) as raised:
        require(STRANGER, Action.VIEW, plan())
    assert str(raised.value) == str(PlanNotFound("PIP-ABC123"))


@pytest.mark.parametrize(
    ("actor", "action"),
    [(EMPLOYEE, Action.AMEND), (MANAGER, Action.ACKNOWLEDGE), (HR, Action.CHECK_IN)],
)
def test_a_forbidden_action_looks_like_a_missing_plan(actor: Actor, action: Action) -> None:
    with pytest.raises(PlanNotFound) as raised:
        require(actor, action, plan())
    assert str(raised.value) == "No plan PIP-ABC123 was found."


def test_hr_who_is_also_the_manager_has_both_roles() -> None:
    assert roles(Actor("UMGR", is_hr=True), plan()) == {Role.MANAGER, Role.HR}


def test_actor_of_reads_hr_list() -> None:
    assert Actor.of("UHR", {"UHR"}).is_hr
    assert not Actor.of("UX", {"UHR"}).is_hr


def test_hr_on_their_own_plan_is_only_the_employee() -> None:
    own = Actor("UEMP", is_hr=True)
    assert roles(own, plan()) == {Role.EMPLOYEE}
    assert not may(own, Action.VIEW_PRIVATE_NOTES, plan())
    assert not may(own, Action.CLOSE, plan())


@pytest.mark.parametrize("status", [PlanStatus.DRAFT, PlanStatus.WITHDRAWN])
def test_a_draft_is_nothing_to_its_employee(status: PlanStatus) -> None:
    draft = plan()
    draft.status = status
    assert roles(EMPLOYEE, draft) == frozenset()
    assert not any(may(EMPLOYEE, action, draft) for action in Action)
    assert roles(MANAGER, draft) == {Role.MANAGER} and roles(HR, draft) == {Role.HR}
    with pytest.raises(PlanNotFound):
        require(EMPLOYEE, Action.VIEW, draft)
