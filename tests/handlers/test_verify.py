"""Witnessed history: seals sent at acknowledgement, amendment and close; verify against them.

The plan is acknowledged, amended and closed through the real app, so the seals are real
messages in the fake Slack. Then the database is changed behind the bot's back, the way someone
with write access could, and `/pip verify` and `python bot.py verify` are asked.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

import cli
from models import Plan, PlanEvent
from services import audit
from services.export import format_time
from services.users import last_known
from tests.constants import BOT_TOKEN, EMPLOYEE, HR, HR_CHANNEL, MANAGER, SIGNING_SECRET
from tests.fakeslack import FakeSlack
from tests.handlers.test_amend import _acknowledge, _edit_form
from tests.handlers.test_close import _close_form, _close_values
from tests.plan_helpers import dm_messages, form_values
from tests.slackdriver import SlackDriver, response_json
from views.ids import Action, Block

OPENED = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)  # Monday; check-ins on Wednesdays
AMENDED = datetime(2027, 1, 6, 15, 0, tzinfo=UTC)
CLOSED = datetime(2027, 1, 12, 16, 0, tzinfo=UTC)
SEAL_TYPE = "pip_record_seal"


def _seal_it(
    plan: Plan, clock: time_machine.Coordinates, driver: SlackDriver, slack: FakeSlack
) -> None:
    """Acknowledge, amend and close `plan` through the app, sending every message owed."""
    driver.dispatcher.tick()
    _acknowledge(driver, slack, plan)
    driver.dispatcher.tick()
    clock.move_to(AMENDED)
    view = _edit_form(driver, plan)
    values = form_values(
        view,
        start=plan.start_date,
        expectations="Reviews on time, every time.",
        length="end_date",
        end=plan.end_date,
    )
    values[Block.REASON] = {
        Action.REASON: {"type": "plain_text_input", "value": "Agreed in the 1:1 on 6 Jan."}
    }
    assert response_json(driver.submit(MANAGER, view, values)) == {}
    driver.dispatcher.tick()
    clock.move_to(CLOSED)
    view = _close_form(driver, MANAGER, plan)
    assert response_json(driver.submit(MANAGER, view, _close_values(plan, "successful"))) == {}
    driver.dispatcher.tick()


def _sealed(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if (m.get("metadata") or {}).get("event_type") == SEAL_TYPE]


def _verify_command(driver: SlackDriver, slack: FakeSlack, user: str, plan: Plan) -> str:
    before = len(slack.responses)
    ack = response_json(driver.command(user, f"verify {plan.public_id}"))
    assert ack["response_type"] == "ephemeral" and "Checking the history" in ack["text"]
    [answer] = slack.responses[before:]
    return str(answer["text"])


def _cli(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    slack: FakeSlack,
    url: str,
    *args: str,
) -> tuple[int, str]:
    for name, value in {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.url,
        "DATABASE_URL": url,
        "HR_CHANNEL_ID": HR_CHANNEL,
    }.items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    status = cli.main(["verify", *args])
    return status, capsys.readouterr().out


def _url(sessions: sessionmaker[Session]) -> str:
    bind = sessions.kw["bind"]
    return str(bind.url.render_as_string(hide_password=False))


def test_every_moment_that_matters_is_sealed_in_slack(
    plan: Plan,
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
) -> None:
    _seal_it(plan, clock, driver, slack)
    employee = _sealed(dm_messages(slack, EMPLOYEE))
    hr = _sealed(slack.messages(HR_CHANNEL))
    with session_factory() as db:
        events = audit.history(db, db.get(Plan, plan.id))  # type: ignore[arg-type]
    by_count = {e.sequence: e.hash for e in events}
    # Acknowledgement, amendment, close: one sealed message each to the employee and to HR.
    assert len(employee) == 3 and len(hr) == 3
    for message in employee + hr:
        payload = message["metadata"]["event_payload"]
        assert payload["plan"] == plan.public_id
        assert by_count[payload["events"]] == payload["hash"]
        digest = payload["hash"]
        line = f"Record sealed: {payload['events']} events · {digest[:4]}…{digest[-4:]}"
        assert message["blocks"][-1] == {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": line}],
        }
        assert "delivery_id" in payload  # still found again after an ambiguous failure
    kinds = [events[m["metadata"]["event_payload"]["events"] - 1].kind for m in employee]
    assert kinds == ["acknowledged", "amended", "closed"]
    # The record lists the seals the bot sent: when, where, event count, hash.
    [html] = [u for u in slack.uploads if u["filename"].endswith(".html")]
    document = html["content"].decode()
    assert "Witnessed copies of the history" in document
    for message in employee + hr:
        assert message["metadata"]["event_payload"]["hash"] in document


def test_untouched_history_is_intact_with_three_seals(
    plan: Plan,
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _seal_it(plan, clock, driver, slack)
    with session_factory() as db:
        count = len(audit.history(db, db.get(Plan, plan.id)))  # type: ignore[arg-type]
    for user in (MANAGER, HR):
        answer = _verify_command(driver, slack, user, plan)
        assert answer == (
            f"The history of {plan.public_id} is intact: {count} events, and 3 seals sent "
            "into Slack (6 copies) match it."
        )
    history_calls = slack.calls_to("conversations.history")
    assert history_calls and all(c.args["include_all_metadata"] for c in history_calls)
    # A "seal" posted by someone else (another app, a person) is not a witness.
    forged = {"event_type": SEAL_TYPE, "event_payload": {"plan": plan.public_id, "events": 1}}
    forged["event_payload"]["hash"] = "0" * 64
    slack.add_message(HR_CHANNEL, "UOTHERAPP", "Record sealed", metadata=forged)
    status, out = _cli(monkeypatch, capsys, slack, _url(session_factory))
    assert status == 0, out
    assert f"{plan.public_id}: intact, {count} events, 3 seals match (6 copies in Slack)" in out
    assert out.strip().endswith("every history is intact")


def test_an_edited_event_is_named(
    plan: Plan,
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _seal_it(plan, clock, driver, slack)
    with session_factory() as db:
        [amended] = db.scalars(select(PlanEvent).where(PlanEvent.kind == "amended")).all()
        # Someone with database access softens the amendment's reason, leaving the hash.
        db.execute(
            text("UPDATE plan_events SET data = :data WHERE id = :id"),
            {"data": '{"reason": "At the employee\'s request.", "changes": {}}', "id": amended.id},
        )
        db.commit()
        sequence = amended.sequence
    answer = _verify_command(driver, slack, HR, plan)
    assert answer.startswith(
        f"The history of {plan.public_id} does not match from event {sequence} of "
    )
    assert "(Plan amended, Wed 6 Jan 2027 15:00 UTC)" in answer
    status, out = _cli(monkeypatch, capsys, slack, _url(session_factory), "--plan", plan.public_id)
    assert status == 1
    assert f"does not match from event {sequence} of" in out and "1 history broken" in out


def test_a_history_rewritten_consistently_is_caught_by_its_seals(
    plan: Plan,
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _seal_it(plan, clock, driver, slack)
    with session_factory() as db:
        fresh = db.get(Plan, plan.id)
        assert fresh is not None
        events = audit.history(db, fresh)
        # Rewrite the amendment's reason and re-hash the whole chain from the first event, so
        # that the database alone shows nothing wrong.
        prev = audit.GENESIS
        for event in events:
            data = dict(event.data)
            if event.kind == "amended":
                data["reason"] = "At the employee's request."
            digest = audit.event_hash(
                prev,
                fresh.public_id,
                event.sequence,
                event.actor_id,
                event.kind,
                data,
                event.created_at,
            )
            db.execute(
                text("UPDATE plan_events SET data = :d, prev_hash = :p, hash = :h WHERE id = :i"),
                {"d": json.dumps(data), "p": prev, "h": digest, "i": event.id},
            )
            prev = digest
        db.commit()
        db.expire_all()
        assert audit.verify_chain(db, fresh).intact  # the database alone is fooled
        amended = next(e.sequence for e in events if e.kind == "amended")
        manager = last_known(db, MANAGER)
        assert manager is not None
    # The acknowledgement's seal still matches (nothing before the amendment changed); the
    # amended plan sent to the employee is the first copy the rewritten history contradicts.
    sealed = _sealed(dm_messages(slack, EMPLOYEE))
    assert sealed[0]["metadata"]["event_payload"]["events"] < amended
    first_bad = sealed[1]
    sent = datetime.fromtimestamp(float(first_bad["ts"]), UTC)
    answer = _verify_command(driver, slack, MANAGER, plan)
    assert answer.startswith(
        f"The history of {plan.public_id} disagrees with a sealed copy in Slack: the copy sent "
        f"{format_time(sent, manager.tz)} to the direct messages of Eli Employee "
        f"({slack.dm_channel(EMPLOYEE)})"
    ), answer
    seal = first_bad["metadata"]["event_payload"]
    assert seal["events"] == amended
    assert f"says event {seal['events']} had the hash {seal['hash'][:4]}…" in answer
    assert "The history was rewritten after that copy was sent." in answer
    status, out = _cli(monkeypatch, capsys, slack, _url(session_factory))
    assert status == 1
    assert "disagrees with a sealed copy in Slack" in out and "1 history broken" in out


def test_a_pause_is_sealed_too(
    plan: Plan,
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
) -> None:
    from tests.handlers.test_pause import PAUSED, _pause

    driver.dispatcher.tick()
    clock.move_to(PAUSED)
    _pause(driver, plan, tell=True)
    driver.dispatcher.tick()
    with session_factory() as db:
        events = audit.history(db, db.get(Plan, plan.id))  # type: ignore[arg-type]
    assert events[-1].kind == "paused"
    for messages in (dm_messages(slack, EMPLOYEE), slack.messages(HR_CHANNEL)):
        [sealed] = _sealed(messages)
        payload = sealed["metadata"]["event_payload"]
        assert (payload["events"], payload["hash"]) == (len(events), events[-1].hash)


def test_the_amended_plan_keeps_its_seal_line_when_acknowledged(
    plan: Plan,
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    slack: FakeSlack,
) -> None:
    from tests.handlers.test_amend import _click_acknowledge

    _seal_it(plan, clock, driver, slack)  # the close comes last; the amended copy stays
    [amended] = [
        m
        for m in _sealed(dm_messages(slack, EMPLOYEE))
        if any(b.get("type") == "actions" for b in m["blocks"])
    ]
    line = amended["blocks"][-1]
    assert line["type"] == "context" and "Record sealed" in line["elements"][0]["text"]
    _click_acknowledge(driver, slack, amended)
    [redrawn] = [m for m in dm_messages(slack, EMPLOYEE) if m["ts"] == amended["ts"]]
    assert redrawn.get("edited") and redrawn["blocks"][-1] == line
    assert redrawn["metadata"] == amended["metadata"]


def test_a_deactivated_employee_s_copies_are_still_read(
    plan: Plan,
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    slack: FakeSlack,
) -> None:
    _seal_it(plan, clock, driver, slack)
    slack.add_user(EMPLOYEE, real_name="Eli Employee", deleted=True)  # Slack no longer opens a DM
    answer = _verify_command(driver, slack, HR, plan)
    assert "is intact" in answer and "3 seals sent into Slack (6 copies) match it" in answer
    opened = slack.calls_to("conversations.open")[-1]
    assert opened.response["ok"] is False
