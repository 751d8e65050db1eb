"""The plan form with a plan writer (PLAN_WRITER=process): acknowledged at once, written after.

The app is the real one with an intake that keeps the jobs; each test then writes them with
the `PlanWriter` the child process runs (worker/child.py), against the same fake Slack.
tests/test_plan_writer_process.py runs the child process itself.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from slack_sdk.models.views import View
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot import create_app, make_client
from config import Settings
from handlers.context import form_key
from handlers.plan_intake import PlanJob, PlanWriter
from models import Plan, PlanStatus
from scheduler.dispatcher import Dispatcher
from tests.constants import (
    EMPLOYEE,
    HR_CHANNEL,
    MANAGER,
    OTHER_MANAGER,
    OUTSIDER,
    SIGNING_SECRET,
)
from tests.fakeslack import FakeSlack
from tests.plan_helpers import dm_messages, form_values, open_form
from tests.slackdriver import SlackDriver, TrackingExecutor, response_json
from views.ids import Block, Callback
from views.plan_form import plan_referred

NOW = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)  # a Monday
TODAY = NOW.date()


class KeptJobs:
    """An intake that keeps what the app hands it, for the test to write."""

    def __init__(self) -> None:
        self.jobs: list[PlanJob] = []

    def submit(self, job: Any) -> None:
        """Keep `job`."""
        self.jobs.append(job)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def intake() -> KeptJobs:
    return KeptJobs()


@pytest.fixture
def writer(settings: Settings) -> PlanWriter:
    """The child's writer; no settling pause (time is frozen here)."""
    return PlanWriter(settings, make_client(settings), form_key(settings), settle=0)


def _write_all(
    writer: PlanWriter, intake: KeptJobs, sessions: sessionmaker[Session], driver: SlackDriver
) -> list[PlanJob]:
    """Write every kept job as the child does, then let the dispatcher send what is owed."""
    jobs = list(intake.jobs)
    for job in jobs:
        with sessions() as db:
            writer.write(db, job)
    intake.jobs.clear()
    driver.dispatcher.tick()
    return jobs


def _form_now(slack: FakeSlack, view_id: str) -> dict[str, Any]:
    """The view the manager now sees in place of the form (the last update of it)."""
    updates = [
        c
        for c in slack.calls_to("views.update")
        if c.response.get("ok") and c.args.get("view_id") == view_id
    ]
    assert updates, "the form was never updated"
    return updates[-1].response["view"]


def _texts(view: dict[str, Any]) -> list[str]:
    texts = []
    for block in view["blocks"]:
        if block["type"] == "context":
            texts += [e.get("text", "") for e in block["elements"]]
        elif block["type"] == "section":
            texts.append(block["text"]["text"])
    return texts


def _plans(sessions: sessionmaker[Session]) -> int:
    with sessions() as db:
        return int(db.scalar(select(func.count()).select_from(Plan)) or 0)


def test_the_form_is_acknowledged_as_saving_then_says_the_plan_was_sent(
    driver: SlackDriver,
    intake: KeptJobs,
    writer: PlanWriter,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
) -> None:
    view = open_form(driver)
    values = form_values(view, start=TODAY, issues="Missed the release review on 3 Dec.")

    reply = response_json(driver.submit(MANAGER, view, values))

    # Acknowledged before anything is written: the same form, as typed, marked "saving".
    assert reply["response_action"] == "update"
    saving = reply["view"]
    View(**saving).validate_json()
    assert saving["callback_id"] == Callback.NEW_PLAN
    assert "Saving the plan" in _texts(saving)[0]
    issues = next(b for b in saving["blocks"] if b.get("block_id") == Block.ISSUES)
    assert issues["element"]["initial_value"] == "Missed the release review on 3 Dec."
    assert [j.user_id for j in intake.jobs] == [MANAGER] and _plans(session_factory) == 0

    _write_all(writer, intake, session_factory, driver)

    with session_factory() as db:
        plan = db.scalars(select(Plan)).one()
        assert (plan.manager_id, plan.employee_id, plan.status) == (
            MANAGER,
            EMPLOYEE,
            PlanStatus.ACTIVE,
        )
        public_id = plan.public_id
    sent = _form_now(slack, view["id"])
    assert sent["callback_id"] == Callback.PLAN_SENT and "submit" not in sent
    assert public_id in _texts(sent)[0] and f"<@{EMPLOYEE}>" in _texts(sent)[0]
    assert any(public_id in json.dumps(m) for m in dm_messages(slack, EMPLOYEE))


def test_the_same_form_sent_again_opens_one_plan_on_any_writer(
    driver: SlackDriver,
    intake: KeptJobs,
    writer: PlanWriter,
    settings: Settings,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
) -> None:
    view = open_form(driver)
    values = form_values(view, start=TODAY)
    driver.submit(MANAGER, view, values)
    driver.submit(MANAGER, view, values)  # "send it again" while it still said saving
    [first, again] = _write_all(writer, intake, session_factory, driver)
    # A writer that knows nothing of the first (a restarted child, another replica's).
    fresh = PlanWriter(settings, make_client(settings), form_key(settings), settle=0)
    with session_factory() as db:
        fresh.write(db, again)
    driver.dispatcher.tick()

    assert _plans(session_factory) == 1
    updates = [c for c in slack.calls_to("views.update") if c.args.get("view_id") == view["id"]]
    assert [u.response["view"]["callback_id"] for u in updates] == [Callback.PLAN_SENT] * 3
    assert not any("not applied" in json.dumps(u.response["view"]) for u in updates)
    # HR heard of one plan, not of a second attempt for the same employee.
    assert len(slack.messages(HR_CHANNEL)) == 1


def test_the_saving_form_sent_again_with_changes_says_they_were_not_applied(
    driver: SlackDriver,
    intake: KeptJobs,
    writer: PlanWriter,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
) -> None:
    view = open_form(driver)
    driver.submit(MANAGER, view, form_values(view, start=TODAY))
    changed = form_values(view, start=TODAY, issues="Edited while the form said saving")
    driver.submit(MANAGER, view, changed)
    _write_all(writer, intake, session_factory, driver)

    with session_factory() as db:
        [(public_id, issues)] = db.execute(select(Plan.public_id, Plan.issues)).all()
    assert issues.startswith("2 Nov: missed the release review")  # as first sent
    updates = [c for c in slack.calls_to("views.update") if c.args.get("view_id") == view["id"]]
    first, again = (u.response["view"] for u in updates)
    View(**again).validate_json()
    assert first["callback_id"] == again["callback_id"] == Callback.PLAN_SENT
    assert "not applied" not in json.dumps(first)
    notice, sent = _texts(again)
    assert "What you changed after sending was not applied" in notice
    assert f"/pip edit {public_id}" in notice
    assert public_id in sent


def test_the_saving_form_sent_again_for_another_employee_opens_their_plan_too(
    driver: SlackDriver,
    intake: KeptJobs,
    writer: PlanWriter,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
) -> None:
    view = open_form(driver)
    driver.submit(MANAGER, view, form_values(view, start=TODAY))
    driver.submit(MANAGER, view, form_values(view, start=TODAY, employee=OUTSIDER))
    _write_all(writer, intake, session_factory, driver)

    with session_factory() as db:
        opened = db.execute(select(Plan.employee_id, Plan.public_id).order_by(Plan.id)).all()
    assert [e for e, _ in opened] == [EMPLOYEE, OUTSIDER]
    assert opened[1][1] in _texts(_form_now(slack, view["id"]))[0]


def test_two_writers_racing_on_one_form_both_answer_plan_sent(
    driver: SlackDriver,
    intake: KeptJobs,
    writer: PlanWriter,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The second writer looked before the first had written, then met its plan under the
    employee's lock: it answers with that plan, not with "already has an open plan"."""
    import services.plans

    view = open_form(driver)
    driver.submit(MANAGER, view, form_values(view, start=TODAY))
    [job] = _write_all(writer, intake, session_factory, driver)
    real = services.plans.opened_by_form
    looks: list[str | None] = []

    def late(db: Session, manager: str, form: str | None, employee: str | None) -> Plan | None:
        looks.append(form)
        return None if len(looks) == 1 else real(db, manager, form, employee)

    monkeypatch.setattr(services.plans, "opened_by_form", late)
    with session_factory() as db:
        writer.write(db, job)

    assert len(looks) == 2 and looks[0] is not None and _plans(session_factory) == 1
    assert _form_now(slack, view["id"])["callback_id"] == Callback.PLAN_SENT


def test_a_form_with_errors_comes_back_with_each_problem_under_its_field(
    driver: SlackDriver,
    intake: KeptJobs,
    writer: PlanWriter,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
) -> None:
    view = open_form(driver)
    yesterday = TODAY - timedelta(days=1)
    values = form_values(view, start=yesterday, issues="Kept as typed")
    driver.submit(MANAGER, view, values)

    _write_all(writer, intake, session_factory, driver)

    assert _plans(session_factory) == 0
    again = _form_now(slack, view["id"])
    View(**again).validate_json()
    assert again["callback_id"] == Callback.NEW_PLAN and again["submit"]["text"] == "Send plan"
    assert "The plan was not saved" in _texts(again)[0]
    assert len(again["blocks"]) == len(view["blocks"]) + 1  # the notice; problems are hints
    ids = [b.get("block_id") for b in again["blocks"]]
    hint = again["blocks"][ids.index(Block.START_DATE)]["hint"]["text"]
    assert hint.startswith("To fix: ") and "can't start in the past" in hint
    issues = again["blocks"][ids.index(Block.ISSUES)]
    assert issues["element"]["initial_value"] == "Kept as typed"
    start = again["blocks"][ids.index(Block.START_DATE)]
    assert start["element"]["initial_date"] == yesterday.isoformat()

    # Fixed and sent again, the same form opens the plan.
    fixed = form_values(again, start=TODAY)
    driver.submit(MANAGER, {**again, "id": view["id"]}, fixed)
    _write_all(writer, intake, session_factory, driver)
    assert _plans(session_factory) == 1
    assert _form_now(slack, view["id"])["callback_id"] == Callback.PLAN_SENT


def test_a_hidden_open_plan_gets_the_one_answer_under_the_employee_and_hr_is_told(
    driver: SlackDriver,
    intake: KeptJobs,
    writer: PlanWriter,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
) -> None:
    first = open_form(driver)
    driver.submit(MANAGER, first, form_values(first, start=TODAY))
    _write_all(writer, intake, session_factory, driver)
    hr_before = len(slack.messages(HR_CHANNEL))

    view = open_form(driver, user=OTHER_MANAGER)
    driver.submit(OTHER_MANAGER, view, form_values(view, start=TODAY))
    _write_all(writer, intake, session_factory, driver)

    assert _plans(session_factory) == 1
    again = _form_now(slack, view["id"])
    # The one answer, alone at the top: nothing in the form to fix.
    assert _texts(again)[0] == plan_referred(hr_told=True)
    assert "not saved" not in json.dumps(again) and "To fix" not in json.dumps(again)
    with session_factory() as db:
        plan_id = db.scalars(select(Plan.public_id)).one()
    assert plan_id not in json.dumps(again)
    assert len(slack.messages(HR_CHANNEL)) == hr_before + 1


def test_a_person_who_may_not_open_plans_is_refused_and_nothing_is_queued(
    settings: Settings,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
    dispatcher: Dispatcher,
    intake: KeptJobs,
) -> None:
    slack.add_usergroup("SMANAGERS", "people-managers", [OTHER_MANAGER])
    limited = dataclasses.replace(settings, manager_group="people-managers")
    executor = TrackingExecutor()
    app = create_app(
        limited,
        session_factory,
        make_client(limited),
        listener_executor=executor,
        dispatcher=dispatcher,
        intake=intake,
    )
    driver = SlackDriver(app, slack, executor, SIGNING_SECRET, dispatcher)
    view = open_form(driver, user=OTHER_MANAGER)  # someone who may opens the form

    reply = response_json(driver.submit(MANAGER, view, form_values(view, start=TODAY)))

    assert reply["response_action"] == "errors" and intake.jobs == []
    assert _plans(session_factory) == 0
    executor.shutdown(wait=True)


def test_a_write_that_fails_says_so_on_the_form_with_a_reference_and_keeps_it(
    driver: SlackDriver,
    intake: KeptJobs,
    writer: PlanWriter,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    import services.plans

    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services.plans, "open_plan", fail)
    view = open_form(driver)
    driver.submit(MANAGER, view, form_values(view, start=TODAY, issues="Private words"))
    _write_all(writer, intake, session_factory, driver)

    again = _form_now(slack, view["id"])
    notice = _texts(again)[0]
    assert notice.startswith("*The plan could not be saved just now.*")
    ref = notice.rsplit("ref ", 1)[1].rstrip(".")
    assert f"ref {ref}" in caplog.text and "Private words" not in caplog.text
    ids = [b.get("block_id") for b in again["blocks"]]
    assert again["blocks"][ids.index(Block.ISSUES)]["element"]["initial_value"] == "Private words"
    assert _plans(session_factory) == 0


def test_the_form_is_updated_only_once_slack_has_shown_the_acknowledgement(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import handlers.plan_intake

    slept: list[float] = []
    monkeypatch.setattr(handlers.plan_intake.time, "sleep", slept.append)
    writer = PlanWriter(settings, make_client(settings), form_key(settings), settle=1.0)
    now = time.time()
    for acked in (now, now - 0.25, now - 5):
        job = PlanJob({"id": "V1"}, MANAGER, False, True, "T1", (), acked_at=acked)
        writer._update(
            job, {"type": "modal", "title": {"type": "plain_text", "text": "x"}, "blocks": []}
        )

    assert slept == [1.0, 0.75]


def test_a_form_closed_while_saving_that_had_problems_is_answered_in_a_dm(
    driver: SlackDriver,
    intake: KeptJobs,
    writer: PlanWriter,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
) -> None:
    view = open_form(driver)
    driver.submit(MANAGER, view, form_values(view, start=TODAY - timedelta(days=1)))
    slack.close_view(view["id"])

    _write_all(writer, intake, session_factory, driver)

    [message] = dm_messages(slack, MANAGER)
    assert message["text"].startswith(f"The plan you wrote for <@{EMPLOYEE}> was not saved")
    assert "can't start in the past" in message["text"]
    assert message["text"].endswith(f"type /pip new <@{EMPLOYEE}>.")
    assert _plans(session_factory) == 0
