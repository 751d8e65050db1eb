"""Who sees a draft, through signed requests: its manager and HR everything, anyone else
(the employee included) exactly what they would see of a plan that does not exist."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from models import Plan, PlanStatus
from tests.constants import (
    BOT_TOKEN,
    EMPLOYEE,
    HR,
    HR_CHANNEL,
    MANAGER,
    OTHER_MANAGER,
    OUTSIDER,
    SIGNING_SECRET,
)
from tests.fakeslack import FakeSlack
from tests.handlers.test_access_matrix import MISSING_PLAN, SECRETS, _click, _normalise, _run
from tests.plan_helpers import form_values, open_form
from tests.slackdriver import SlackDriver, response_json
from views.ids import Action

OPENED = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)
ROLES = [MANAGER, EMPLOYEE, HR, OTHER_MANAGER, OUTSIDER]


@pytest.fixture
def settings(slack: FakeSlack) -> Settings:
    """HR approves every plan."""
    return Settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.url,
        hr_channel_id=HR_CHANNEL,
        hr_user_ids=frozenset({HR}),
        plan_approval="hr",
    )


@pytest.fixture
def draft(driver: SlackDriver, session_factory: sessionmaker[Session]) -> Iterator[Plan]:
    with time_machine.travel(OPENED, tick=False):
        view = open_form(driver)
        reply = driver.submit(MANAGER, view, form_values(view, start=OPENED.date()))
        assert response_json(reply) == {}
        with session_factory() as db:
            plan = db.query(Plan).one()
            assert plan.status == PlanStatus.DRAFT
        yield plan


OPERATIONS: dict[str, Callable[[SlackDriver, str, str, str], None]] = {
    "list": lambda d, u, p, c: d.command(u, "list drafts" if u == HR else "list"),
    "show": lambda d, u, p, c: d.command(u, f"show {p}"),
    "export": lambda d, u, p, c: d.command(u, f"export {p}"),
    "home": lambda d, u, p, c: d.event(
        {"type": "app_home_opened", "user": u, "channel": "D0HOME", "tab": "home"}
    ),
    "review": lambda d, u, p, c: _click(d, u, Action.REVIEW_DRAFT, f"{p}:1"),
    "edit_draft": lambda d, u, p, c: _click(d, u, Action.EDIT_DRAFT, p),
    "send": lambda d, u, p, c: _click(d, u, Action.SEND_PLAN, p),
    "withdraw": lambda d, u, p, c: d.command(u, f"withdraw {p}"),
    "acknowledge": lambda d, u, p, c: _click(d, u, Action.ACKNOWLEDGE, p),
    "respond": lambda d, u, p, c: _click(d, u, Action.RESPOND, p),
    "ask_hr": lambda d, u, p, c: _click(d, u, Action.ASK_HR, p),
    "edit": lambda d, u, p, c: d.command(u, f"edit {p}"),
}
ALLOWED = {
    "list": {MANAGER, HR},
    "show": {MANAGER, HR},
    "export": {MANAGER, HR},
    "home": {MANAGER, HR},
    "review": {HR},
    "edit_draft": {MANAGER},
    "send": {MANAGER},
    "withdraw": {MANAGER},
    "acknowledge": set(),
    "respond": set(),
    "ask_hr": set(),
    "edit": {MANAGER},  # the manager is told it is a draft; nobody else learns anything
}


def _answered_about_the_draft(op: str, sent: str, calls: list[Any], plan_id: str) -> bool:
    methods = {c.method for c in calls if c.response.get("ok", True)}
    if op in {"list", "home"}:
        return plan_id in sent
    if op in {"show", "review", "edit_draft"}:
        return "views.open" in methods
    if op == "export":
        return "files.completeUploadExternal" in methods
    if op in {"send", "edit"}:
        return "is not approved by HR yet" in sent or "is a draft" in sent
    if op == "withdraw":
        return "is withdrawn" in sent
    if op in {"acknowledge", "respond", "ask_hr"}:
        return "views.open" in methods or "chat.update" in methods
    raise AssertionError(op)


@pytest.mark.parametrize("op", list(OPERATIONS))
@pytest.mark.parametrize("user", ROLES)
def test_draft_matrix(draft: Plan, driver: SlackDriver, op: str, user: str) -> None:
    with time_machine.travel(OPENED, tick=False):
        import tests.handlers.test_access_matrix as matrix

        saved = dict(matrix.OPERATIONS)
        matrix.OPERATIONS.update(OPERATIONS)
        try:
            sent, calls = _run(driver, op, user, draft.public_id, "0")
            allowed = user in ALLOWED[op]
            assert _answered_about_the_draft(op, sent, calls, draft.public_id) == allowed, sent[
                :2000
            ]
            if allowed:
                return
            for secret in SECRETS:
                own = sent.replace(f"<@{user}>", "").replace(f'"user_id": "{user}"', "")
                assert secret not in own, (secret, sent[:2000])
            if op in {"list", "home"}:
                return
            missing, _ = _run(driver, op, user, MISSING_PLAN, "0")
        finally:
            matrix.OPERATIONS.clear()
            matrix.OPERATIONS.update(saved)
    assert _normalise(sent, draft.public_id) == _normalise(missing, MISSING_PLAN)
