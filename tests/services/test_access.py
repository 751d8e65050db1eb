"""The access policy: the design's "who may do what", role by role."""

from __future__ import annotations

from datetime import date

import pytest

from models import Cadence, Plan, PlanStatus
from services.access import Actor, Permission, Role, may, require, roles
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

EXPECTED: dict[Permission, set[Actor]] = {
    Permission.VIEW: {MANAGER, EMPLOYEE, HR},
    Permission.VIEW_PRIVATE_NOTES: {MANAGER, HR},
    Permission.EXPORT: {MANAGER, EMPLOYEE, HR},
    Permission.AMEND: {MANAGER},
    Permission.EXTEND: {MANAGER},
    Permission.CLOSE: {MANAGER, HR},
    Permission.LOG_REVIEW: {MANAGER},
    Permission.ACKNOWLEDGE: {EMPLOYEE},
    Permission.RESPOND: {EMPLOYEE},
    Permission.CHECK_IN: {EMPLOYEE},
    Permission.APPROVE: {HR},
    Permission.EDIT_DRAFT: {MANAGER},
    Permission.SEND: {MANAGER},
    Permission.WITHDRAW: {MANAGER},
    Permission.ASK_HR: {EMPLOYEE},
    Permission.READ_VOICE: {HR},
    Permission.VERIFY: {MANAGER, HR},
    Permission.HOLD: {HR},
    Permission.PAUSE: {MANAGER, HR},
    Permission.RESUME: {MANAGER, HR},
}


@pytest.mark.parametrize("action", list(Permission))
@pytest.mark.parametrize("actor", [MANAGER, EMPLOYEE, HR, STRANGER], ids=lambda a: a.user_id)
def test_matrix(action: Permission, actor: Actor) -> None:
    assert may(actor, action, plan()) == (actor in EXPECTED[action])


def test_every_action_has_an_expectation() -> None:
    assert set(EXPECTED) == set(Permission)


def test_stranger_is_told_the_plan_does_not_exist() -> None:
    with pytest.raises(PlanNotFound) as raised:
        require(STRANGER, Permission.VIEW, plan())
    assert str(raised.value) == str(PlanNotFound("PIP-ABC123"))


@pytest.mark.parametrize(
    ("actor", "action"),
    [(EMPLOYEE, Permission.AMEND), (MANAGER, Permission.ACKNOWLEDGE), (HR, Permission.CHECK_IN)],
)
def test_a_forbidden_action_looks_like_a_missing_plan(actor: Actor, action: Permission) -> None:
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
    assert not may(own, Permission.VIEW_PRIVATE_NOTES, plan())
    assert not may(own, Permission.CLOSE, plan())


@pytest.mark.parametrize("status", [PlanStatus.DRAFT, PlanStatus.WITHDRAWN])
def test_a_draft_is_nothing_to_its_employee(status: PlanStatus) -> None:
    draft = plan()
    draft.status = status
    assert roles(EMPLOYEE, draft) == frozenset()
    assert not any(may(EMPLOYEE, action, draft) for action in Permission)
    assert roles(MANAGER, draft) == {Role.MANAGER} and roles(HR, draft) == {Role.HR}
    with pytest.raises(PlanNotFound):
        require(EMPLOYEE, Permission.VIEW, draft)
