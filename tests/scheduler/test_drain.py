"""The dispatcher drains, paces itself to Slack and costs one call a delivery.

Most tests freeze the clock and drive `tick()` inline; the rate-limit test runs on the real
clock, since what it checks is when calls reach Slack (the fake records their arrival).
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy.orm import Session, sessionmaker

from bot import make_delivery_client
from config import Settings
from models import Delivery, DeliveryKind, DeliveryStatus, Plan, utcnow
from scheduler.dispatcher import Dispatcher
from services import users
from tests.constants import HR_CHANNEL, MANAGER, OUTSIDER
from tests.fakeslack import FakeSlack
from tests.outbox_helpers import person, posted_counts, seed, statuses
from tests.scheduler.test_dispatcher import (
    DUE,
    NOW,
    _carrying,
    _delivery,
    _enqueue,
    _posts_of,
)

POST = "chat.postMessage"
OPENED = NOW  # where the shared `clock` stops and the shared `plan` opens


def test_fifty_deliveries_due_at_start_up_go_out_in_the_first_tick(
    clock: time_machine.Coordinates,
    session_factory: sessionmaker[Session],
    settings: Settings,
    slack: FakeSlack,
) -> None:
    ids = seed(session_factory, slack, 50, NOW - timedelta(hours=1), known=True)
    dispatcher = Dispatcher(session_factory, make_delivery_client(settings), settings)

    assert dispatcher.tick() == 50
    assert statuses(session_factory, ids) == {DeliveryStatus.SENT: 50}
    counts = posted_counts(slack, [person(i) for i in range(50)])
    assert sorted(counts) == sorted(ids) and set(counts.values()) == {1}
    assert len(slack.calls_to(POST)) == 50  # one call a delivery, nothing else
    assert [c.method for c in slack.calls if c.method != POST] == []


def test_a_persons_second_delivery_makes_no_lookup(
    plan: Plan,
    clock: time_machine.Coordinates,
    dispatcher: Dispatcher,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
) -> None:
    first = _enqueue(session_factory, plan, "t:first", OUTSIDER)
    second = _enqueue(session_factory, plan, "t:second", OUTSIDER, due=DUE + timedelta(hours=1))

    def lookups() -> list[str]:
        return [
            c.method
            for c in slack.calls
            if c.method in {"users.info", "conversations.open"}
            and OUTSIDER in (c.args.get("user"), c.args.get("users"))
        ]

    clock.move_to(DUE)
    assert dispatcher.tick() == 1
    assert lookups() == ["users.info"]  # OUTSIDER was never met before
    calls_before = len(slack.calls)

    clock.move_to(DUE + timedelta(hours=1))
    assert dispatcher.tick() == 1
    assert [c.method for c in slack.calls[calls_before:]] == [POST]
    assert lookups() == ["users.info"]
    with session_factory() as db:
        assert users.dm_channel(db, OUTSIDER) == slack.dm_channel(OUTSIDER)  # from the answer
    for delivery_id in (first, second):
        assert len(_carrying(slack, OUTSIDER, delivery_id)) == 1


@pytest.mark.parametrize("error", ["user_not_found", "account_inactive"])
def test_a_person_slack_reports_gone_fails_once_and_is_told_once(
    plan: Plan,
    clock: time_machine.Coordinates,
    dispatcher: Dispatcher,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
    error: str,
) -> None:
    # Known and cached: the post itself is what learns the person is gone.
    delivery_id = _enqueue(
        session_factory, plan, "t:gone", OUTSIDER, kind=DeliveryKind.ACK_REMINDER
    )
    with session_factory() as db:
        users.remember(db, users.Profile(user_id=OUTSIDER, tz="UTC"))
        users.remember_dm_channel(db, OUTSIDER, slack.dm_channel(OUTSIDER))
        db.commit()
    slack.add_user(OUTSIDER, name="olga", tz="UTC", deleted=True)
    slack.fail_next(POST, error=error)

    for moment in (DUE, DUE + timedelta(minutes=10), DUE + timedelta(hours=3)):
        clock.move_to(moment)
        dispatcher.tick()

    failed = _delivery(session_factory, delivery_id)
    assert (failed.status, failed.last_error) == (DeliveryStatus.FAILED, error)
    assert _posts_of(slack, delivery_id) == 1  # no retry
    for told in (MANAGER, HR_CHANNEL):
        channel = told if told.startswith("C") else slack.dm_channel(told)
        notices = [m for m in slack.messages(channel) if "could not" in m["text"]]
        assert len(notices) == 1, told
        assert f"<@{OUTSIDER}>" in notices[0]["text"]
    # The profile was re-read at once: the next delivery fails without calling Slack.
    with session_factory() as db:
        known = users.last_known(db, OUTSIDER)
    assert known is not None and known.deleted
    later = _enqueue(
        session_factory,
        plan,
        "t:gone-again",
        OUTSIDER,
        due=DUE + timedelta(hours=4),
        kind=DeliveryKind.ACK_REMINDER,
    )
    calls = len(slack.calls_to(POST))
    clock.move_to(DUE + timedelta(hours=4))
    dispatcher.tick()
    assert _delivery(session_factory, later).status == DeliveryStatus.FAILED
    assert len(slack.calls_to(POST)) == calls + 2  # only the two notices (manager, HR)


def test_a_429_stops_every_thread_of_the_process_for_its_retry_after(
    session_factory: sessionmaker[Session],
    settings: Settings,
    slack: FakeSlack,
) -> None:
    fast = dataclasses.replace(settings, post_rate=20.0)
    ids = seed(session_factory, slack, 40, utcnow() - timedelta(seconds=1), known=True)
    dispatcher = Dispatcher(session_factory, make_delivery_client(fast), fast, workers=8)
    slack.fail_next(POST, status=429, headers={"Retry-After": "3"}, times=1)

    dispatcher.tick()
    [limited] = [c for c in slack.calls_to(POST) if c.status == 429]
    assert limited.retry_after == 3
    # A post already on the wire when the 429 came back may land just after it; none later.
    in_flight = 0.25
    during = [c for c in slack.calls_to(POST) if limited.at + in_flight < c.at < limited.at + 3]
    after = [c for c in slack.calls_to(POST) if c.at >= limited.at + 3]
    assert during == []
    assert len(after) >= 30  # the others waited, then went (at 20/s, ~55 would be inside)
    dispatcher.tick()
    assert statuses(session_factory, ids) == {DeliveryStatus.SENT: 40}
    assert set(posted_counts(slack, [person(i) for i in range(40)]).values()) == {1}


def test_an_ambiguous_send_is_found_behind_500_later_messages(
    plan: Plan,
    clock: time_machine.Coordinates,
    dispatcher: Dispatcher,
    session_factory: sessionmaker[Session],
    settings: Settings,
    slack: FakeSlack,
) -> None:
    delivery_id = _enqueue(session_factory, plan, "t:busy", HR_CHANNEL)
    slack.fail_next(POST, after_accept=True, status=500)
    clock.move_to(DUE)
    dispatcher.tick()
    retry_at = _delivery(session_factory, delivery_id).next_attempt_at
    [posted] = _carrying(slack, HR_CHANNEL, delivery_id)

    chatter = make_delivery_client(settings)
    for i in range(500):
        chatter.chat_postMessage(channel=HR_CHANNEL, text=f"Another plan's notice {i}")
    clock.move_to(retry_at)
    dispatcher.tick()

    assert _carrying(slack, HR_CHANNEL, delivery_id) == [posted]
    assert _posts_of(slack, delivery_id) == 1
    sent = _delivery(session_factory, delivery_id)
    assert (sent.status, sent.message_ts) == (DeliveryStatus.SENT, posted["ts"])
    pages = slack.calls_to("conversations.history")
    assert len(pages) >= 3 and all(c.args.get("cursor") for c in pages[1:])
    assert sent.first_attempt_at == DUE
    oldest = float(pages[0].args["oldest"])
    assert DUE.timestamp() - 120 < oldest < DUE.timestamp()


def test_the_claim_puts_end_of_plan_prompts_before_stale_nudges(
    plan: Plan,
    clock: time_machine.Coordinates,
    session_factory: sessionmaker[Session],
    settings: Settings,
    slack: FakeSlack,
) -> None:
    old = DUE - timedelta(days=20)
    nudges = [
        _enqueue(session_factory, plan, f"t:nudge:{i}", HR_CHANNEL, due=old + timedelta(hours=i))
        for i in range(5)
    ]
    urgent = _enqueue(session_factory, plan, "t:urgent", MANAGER, kind=DeliveryKind.NOTICE)
    with session_factory() as db:
        for delivery_id in nudges:
            row = db.get(Delivery, delivery_id)
            assert row is not None
            row.kind = DeliveryKind.OUTCOME_OVERDUE
        db.commit()
    clock.move_to(DUE)
    dispatcher = Dispatcher(
        session_factory, make_delivery_client(settings), settings, batch=1, workers=1
    )
    before = len(slack.calls_to(POST))
    dispatcher.tick()
    sent = [c.args["metadata"]["event_payload"]["delivery_id"] for c in slack.calls_to(POST)]
    assert sent[before:] == [urgent, *nudges]
