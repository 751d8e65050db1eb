"""The guard against Slack calls inside a write transaction (tests/txguard.py), and the rule.

A listener registered behind the app's back, calling Slack with a write uncommitted, is
caught; the same work through `Listeners` and the request's client is not, because the
request's client commits first.
"""

from __future__ import annotations

from typing import Any

import pytest
from slack_bolt import Ack
from slack_sdk import WebClient
from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session, sessionmaker

from handlers.context import Listeners
from models import ProcessedEvent, utcnow
from tests.constants import EMPLOYEE, HR_CHANNEL
from tests.fakeslack import FakeSlack
from tests.slackdriver import SlackDriver
from tests.txguard import WriteTransactions

BROKEN = "test_broken_listener"
RULED = "test_listener_under_the_rule"


def _click(driver: SlackDriver, slack: FakeSlack, action_id: str) -> None:
    channel = slack.dm_channel(EMPLOYEE)
    ts = slack.add_message(channel, "UBOT", "a message with a button")
    message = {"type": "message", "ts": ts, "text": "a message with a button", "blocks": []}
    reply = driver.click(EMPLOYEE, action_id, message=message, channel_id=channel)
    assert reply.status == 200


def test_a_listener_posting_inside_its_write_transaction_fails_the_test(
    engine: Engine,
    driver: SlackDriver,
    slack: FakeSlack,
    session_factory: sessionmaker[Session],
    write_transactions: WriteTransactions,
) -> None:
    def broken(ack: Ack) -> None:
        ack()
        with session_factory() as db:
            db.execute(insert(ProcessedEvent).values(event_id="Ev1", received_at=utcnow()))
            driver.app.client.chat_postMessage(channel=HR_CHANNEL, text="too early")
            db.commit()

    driver.app.action(BROKEN)(broken)  # behind the app's back: no transaction rule
    _click(driver, slack, BROKEN)

    assert [m["text"] for m in slack.messages(HR_CHANNEL)] == ["too early"]
    assert [v.method for v in write_transactions.violations] == ["chat.postMessage"]
    opener = "BEGIN IMMEDIATE" if engine.dialect.name == "sqlite" else "INSERT INTO"
    assert write_transactions.violations[0].opened_by.startswith(opener)
    with pytest.raises(pytest.fail.Exception, match="chat.postMessage"):
        write_transactions.check()
    write_transactions.violations.clear()  # shown; the test itself passes


def test_the_same_work_committed_first_passes(
    driver: SlackDriver,
    slack: FakeSlack,
    session_factory: sessionmaker[Session],
    write_transactions: WriteTransactions,
) -> None:
    def careful(ack: Ack) -> None:
        ack()
        with session_factory() as db:
            db.execute(insert(ProcessedEvent).values(event_id="Ev1", received_at=utcnow()))
            db.commit()
            driver.app.client.chat_postMessage(channel=HR_CHANNEL, text="after the commit")

    driver.app.action(BROKEN)(careful)
    _click(driver, slack, BROKEN)

    assert [m["text"] for m in slack.messages(HR_CHANNEL)] == ["after the commit"]
    assert write_transactions.violations == []


def test_a_listener_under_the_rule_commits_before_slack_hears_from_it(
    driver: SlackDriver,
    slack: FakeSlack,
    session_factory: sessionmaker[Session],
    write_transactions: WriteTransactions,
) -> None:
    seen: list[Any] = []

    def ruled(ack: Ack, client: WebClient, db: Session) -> None:
        db.execute(insert(ProcessedEvent).values(event_id="Ev1", received_at=utcnow()))
        client.chat_postMessage(channel=HR_CHANNEL, text="the write is committed")
        with session_factory() as other:  # another session sees it: it was committed
            seen.append(other.get(ProcessedEvent, "Ev1"))
            other.commit()
        ack()

    Listeners(driver.app).action(RULED)(ruled)
    _click(driver, slack, RULED)

    assert [m["text"] for m in slack.messages(HR_CHANNEL)] == ["the write is committed"]
    assert seen and seen[0] is not None
    assert write_transactions.violations == []
