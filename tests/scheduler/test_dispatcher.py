"""The outbox dispatcher: due deliveries go out at their instant, once, whatever Slack answers.

Time is frozen with time_machine and moved by the tests; the fake Slack also reads the frozen
clock, so message ts values follow it. Deliveries are found in Slack by their message
metadata (`pip_delivery` with the delivery id), which is what the dispatcher itself relies on.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from slack_sdk import WebClient
from slack_sdk.web import SlackResponse
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import make_delivery_client
from config import Settings
from models import Delivery, DeliveryKind, DeliveryStatus, Plan
from scheduler.dispatcher import LEASE, Dispatcher
from services import outbox
from slackio.directory import Directory
from tests.constants import EMPLOYEE, HR, HR_CHANNEL, MANAGER, OTHER_MANAGER, OUTSIDER
from tests.fakeslack import FakeSlack
from tests.instantclock import InstantClock
from tests.plan_helpers import body
from views.ids import EventType

# The shared `clock` stops at OPENED; the shared `plan` is opened then, its messages sent.
OPENED = NOW = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)  # a Monday; 10:00 in New York (the employee)
# Nothing of the plan opened at NOW is due between NOW and its acknowledgement reminder
# (Wednesday 15:00 UTC), so deliveries the tests add for this instant are alone in a tick.
DUE = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)
GONE = "UGONE"  # deactivated in the fake Slack (conftest)
PEOPLE = [MANAGER, EMPLOYEE, HR, OTHER_MANAGER, OUTSIDER]


# -- fixtures and helpers


def _enqueue(
    sessions: sessionmaker[Session],
    plan: Plan,
    key: str,
    recipient: str,
    due: datetime = DUE,
    kind: DeliveryKind = DeliveryKind.NOTICE,
) -> int:
    """Owe one message of the plan (a short "acknowledged" notice by default); its id."""
    payload: dict[str, Any] = {"notice": "acknowledged"} if kind == DeliveryKind.NOTICE else {}
    with sessions() as db:
        assert outbox.enqueue(
            db,
            key=key,
            kind=kind,
            recipient_id=recipient,
            due_at=due,
            plan_id=plan.id,
            payload=payload,
        )
        db.commit()
        delivery_id = db.scalar(select(Delivery.id).where(Delivery.occurrence_key == key))
        assert delivery_id is not None
        return delivery_id


def _delivery(sessions: sessionmaker[Session], delivery_id: int) -> Delivery:
    with sessions() as db:
        delivery = db.get(Delivery, delivery_id)
        assert delivery is not None
        return delivery


def _channel(slack: FakeSlack, recipient: str) -> str:
    return recipient if recipient.startswith("C") else slack.dm_channel(recipient)


def _delivery_id(message: dict[str, Any]) -> int | None:
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") != EventType.DELIVERY:
        return None
    return int(metadata["event_payload"]["delivery_id"])


def _carrying(slack: FakeSlack, recipient: str, delivery_id: int) -> list[dict[str, Any]]:
    """The messages in `recipient`'s DM (or channel) that carry this delivery's metadata."""
    messages = slack.messages(_channel(slack, recipient))
    return [m for m in messages if _delivery_id(m) == delivery_id]


def _posts_of(slack: FakeSlack, delivery_id: int) -> int:
    """How many chat.postMessage calls tried to post this delivery (whatever the answer)."""
    return sum(
        1
        for call in slack.calls_to("chat.postMessage")
        if (call.args.get("metadata") or {}).get("event_payload", {}).get("delivery_id")
        == delivery_id
    )


def _metadata(delivery_id: int, kind: DeliveryKind) -> dict[str, Any]:
    return {
        "event_type": "pip_delivery",
        "event_payload": {"delivery_id": delivery_id, "kind": kind.value},
    }


def _short_timeout_dispatcher(sessions: sessionmaker[Session], settings: Settings) -> Dispatcher:
    client = WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=1,
        retry_handlers=[],
    )
    return Dispatcher(sessions, client, settings)


# -- at the expected instant


def test_the_ack_reminder_goes_out_at_its_utc_instant_and_not_before(
    plan: Plan,
    clock: time_machine.Coordinates,
    dispatcher: Dispatcher,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
) -> None:
    with session_factory() as db:
        reminder = db.scalars(
            select(Delivery).where(
                Delivery.plan_id == plan.id, Delivery.kind == DeliveryKind.ACK_REMINDER
            )
        ).one()
        request = db.scalars(
            select(Delivery).where(
                Delivery.plan_id == plan.id, Delivery.kind == DeliveryKind.ACK_REQUEST
            )
        ).one()
    # Two business days after Monday 10:00 in New York: Wednesday 10:00 there.
    due = datetime(2027, 1, 6, 15, 0, tzinfo=UTC)
    assert reminder.due_at == due

    clock.move_to(due - timedelta(seconds=1))
    dispatcher.tick()
    assert _carrying(slack, EMPLOYEE, reminder.id) == []
    assert _delivery(session_factory, reminder.id).status == DeliveryStatus.PENDING

    clock.move_to(due)
    dispatcher.tick()
    [message] = _carrying(slack, EMPLOYEE, reminder.id)
    assert message["metadata"] == _metadata(reminder.id, DeliveryKind.ACK_REMINDER)
    assert plan.public_id in body(message)
    assert message["thread_ts"] == request.message_ts  # under the plan DM it reminds of
    sent = _delivery(session_factory, reminder.id)
    assert sent.status == DeliveryStatus.SENT
    assert (sent.channel_id, sent.message_ts) == (slack.dm_channel(EMPLOYEE), message["ts"])
    assert sent.sent_at == due
    assert sent.attempts == 0


def test_a_notice_goes_out_at_its_instant_with_the_delivery_metadata(
    plan: Plan,
    clock: time_machine.Coordinates,
    dispatcher: Dispatcher,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
) -> None:
    to_manager = _enqueue(session_factory, plan, "t:manager", MANAGER)
    to_hr = _enqueue(session_factory, plan, "t:hr", HR_CHANNEL, due=DUE + timedelta(minutes=1))

    clock.move_to(DUE - timedelta(microseconds=1))
    assert dispatcher.tick() == 0
    clock.move_to(DUE)
    assert dispatcher.tick() == 1
    [message] = _carrying(slack, MANAGER, to_manager)
    assert message["metadata"] == _metadata(to_manager, DeliveryKind.NOTICE)
    assert "acknowledged receipt" in message["text"]
    assert _carrying(slack, HR_CHANNEL, to_hr) == []

    clock.move_to(DUE + timedelta(minutes=1))
    assert dispatcher.tick() == 1
    [message] = _carrying(slack, HR_CHANNEL, to_hr)
    assert message["metadata"] == _metadata(to_hr, DeliveryKind.NOTICE)
    assert _delivery(session_factory, to_hr).message_ts == message["ts"]


# -- exactly once across ticks and restarts


def test_two_ticks_and_a_restart_send_each_delivery_once(
    plan: Plan,
    clock: time_machine.Coordinates,
    dispatcher: Dispatcher,
    session_factory: sessionmaker[Session],
    settings: Settings,
    slack: FakeSlack,
) -> None:
    first = _enqueue(session_factory, plan, "t:first", MANAGER)
    second = _enqueue(session_factory, plan, "t:second", OTHER_MANAGER)
    later = _enqueue(session_factory, plan, "t:later", HR_CHANNEL, due=DUE + timedelta(minutes=5))

    clock.move_to(DUE)
    assert dispatcher.tick() == 2
    assert dispatcher.tick() == 0

    restarted = Dispatcher(session_factory, make_delivery_client(settings), settings)
    assert restarted.tick() == 0
    clock.move_to(DUE + timedelta(minutes=5))
    assert restarted.tick() == 1
    assert restarted.tick() == 0
    assert dispatcher.tick() == 0

    for delivery_id, recipient in ((first, MANAGER), (second, OTHER_MANAGER), (later, HR_CHANNEL)):
        assert len(_carrying(slack, recipient, delivery_id)) == 1
        assert _posts_of(slack, delivery_id) == 1
        assert _delivery(session_factory, delivery_id).status == DeliveryStatus.SENT


# -- 429


def test_a_rate_limit_waits_retry_after_without_using_an_attempt(
    plan: Plan,
    clock: time_machine.Coordinates,
    dispatcher: Dispatcher,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
) -> None:
    delivery_id = _enqueue(session_factory, plan, "t:limited", MANAGER)
    slack.fail_next("chat.postMessage", status=429, headers={"Retry-After": "30"})

    clock.move_to(DUE)
    assert dispatcher.tick() == 0
    assert _posts_of(slack, delivery_id) == 1
    assert _carrying(slack, MANAGER, delivery_id) == []
    waiting = _delivery(session_factory, delivery_id)
    assert waiting.status == DeliveryStatus.PENDING
    assert waiting.attempts == 0
    assert waiting.next_attempt_at == DUE + timedelta(seconds=30)
    assert waiting.lease_owner is None

    clock.move_to(DUE + timedelta(seconds=29))
    assert dispatcher.tick() == 0
    assert _posts_of(slack, delivery_id) == 1  # not even tried

    clock.move_to(DUE + timedelta(seconds=30))
    assert dispatcher.tick() == 1
    clock.move_to(DUE + timedelta(minutes=10))
    assert dispatcher.tick() == 0
    [message] = _carrying(slack, MANAGER, delivery_id)
    sent = _delivery(session_factory, delivery_id)
    assert (sent.status, sent.attempts, sent.message_ts) == (
        DeliveryStatus.SENT,
        0,
        message["ts"],
    )


# -- permanent errors


@pytest.mark.parametrize(
    ("recipient", "error"),
    [(EMPLOYEE, "channel_not_found"), (GONE, "user_disabled")],
    ids=["channel_not_found", "deactivated_user"],
)
def test_a_permanent_error_fails_for_good_and_tells_the_manager_and_hr(
    plan: Plan,
    clock: time_machine.Coordinates,
    dispatcher: Dispatcher,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
    recipient: str,
    error: str,
) -> None:
    delivery_id = _enqueue(
        session_factory, plan, "t:doomed", recipient, kind=DeliveryKind.ACK_REMINDER
    )
    if error == "channel_not_found":
        slack.fail_next("chat.postMessage", error="channel_not_found")

    clock.move_to(DUE)
    dispatcher.tick()
    failed = _delivery(session_factory, delivery_id)
    assert failed.status == DeliveryStatus.FAILED
    assert failed.last_error == error
    assert failed.lease_owner is None
    tried = _posts_of(slack, delivery_id)
    assert tried == (1 if error == "channel_not_found" else 0)

    # The notices are due at once; later ticks never try the failed delivery again.
    for later in (DUE, DUE + timedelta(minutes=10), DUE + timedelta(hours=2)):
        clock.move_to(later)
        dispatcher.tick()
    assert _posts_of(slack, delivery_id) == tried
    assert _delivery(session_factory, delivery_id).status == DeliveryStatus.FAILED
    if recipient != GONE:
        assert _carrying(slack, recipient, delivery_id) == []

    for told in (MANAGER, HR_CHANNEL):
        notices = [m for m in slack.messages(_channel(slack, told)) if "could not" in m["text"]]
        assert len(notices) == 1, told
        [notice] = notices
        assert plan.public_id in notice["text"]
        assert f"<@{recipient}>" in notice["text"]
        assert error in notice["text"]
        assert notice["metadata"]["event_payload"]["kind"] == DeliveryKind.NOTICE.value


# -- ambiguous failures: Slack took the message but the client saw an error


@pytest.mark.parametrize(
    "failure",
    [
        {"hang": True},
        {"status": 500},
        {"error": "internal_error"},
    ],
    ids=["timeout", "http_500", "internal_error"],
)
def test_a_message_slack_accepted_before_an_error_is_not_sent_again(
    plan: Plan,
    clock: time_machine.Coordinates,
    session_factory: sessionmaker[Session],
    settings: Settings,
    slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    failure: dict[str, Any],
) -> None:
    monkeypatch.setattr(FakeSlack, "hang_seconds", 1.5)  # the client gives up after 1 s
    dispatcher = _short_timeout_dispatcher(session_factory, settings)
    delivery_id = _enqueue(session_factory, plan, "t:ambiguous", EMPLOYEE)
    slack.fail_next("chat.postMessage", after_accept=True, **failure)

    clock.move_to(DUE)
    assert dispatcher.tick() == 0
    [posted] = _carrying(slack, EMPLOYEE, delivery_id)  # Slack has it; we could not know
    retrying = _delivery(session_factory, delivery_id)
    assert retrying.status == DeliveryStatus.PENDING
    assert retrying.attempts == 1
    assert retrying.next_attempt_at > DUE

    clock.move_to(retrying.next_attempt_at)
    dispatcher.tick()
    clock.move_to(retrying.next_attempt_at + timedelta(hours=1))
    dispatcher.tick()
    assert _carrying(slack, EMPLOYEE, delivery_id) == [posted]
    assert _posts_of(slack, delivery_id) == 1
    assert any(c.args.get("include_all_metadata") for c in slack.calls_to("conversations.history"))
    sent = _delivery(session_factory, delivery_id)
    assert sent.status == DeliveryStatus.SENT
    assert (sent.channel_id, sent.message_ts) == (slack.dm_channel(EMPLOYEE), posted["ts"])


def test_a_message_slack_did_not_take_is_sent_on_the_retry(
    plan: Plan,
    clock: time_machine.Coordinates,
    dispatcher: Dispatcher,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
) -> None:
    delivery_id = _enqueue(session_factory, plan, "t:lost", EMPLOYEE)
    slack.fail_next("chat.postMessage", status=503)

    clock.move_to(DUE)
    assert dispatcher.tick() == 0
    assert _carrying(slack, EMPLOYEE, delivery_id) == []
    retry_at = _delivery(session_factory, delivery_id).next_attempt_at
    clock.move_to(retry_at)
    assert dispatcher.tick() == 1
    [message] = _carrying(slack, EMPLOYEE, delivery_id)
    assert _delivery(session_factory, delivery_id).message_ts == message["ts"]


def test_a_rate_limited_history_check_does_not_forget_the_message_may_be_posted(
    plan: Plan,
    clock: time_machine.Coordinates,
    dispatcher: Dispatcher,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
) -> None:
    delivery_id = _enqueue(session_factory, plan, "t:ambiguous-then-429", EMPLOYEE)
    slack.fail_next("chat.postMessage", after_accept=True, status=500)
    clock.move_to(DUE)
    dispatcher.tick()
    first_retry = _delivery(session_factory, delivery_id).next_attempt_at

    slack.fail_next("conversations.history", status=429, headers={"Retry-After": "30"})
    clock.move_to(first_retry)
    dispatcher.tick()
    assert _delivery(session_factory, delivery_id).status == DeliveryStatus.PENDING

    clock.move_to(first_retry + timedelta(seconds=30))
    dispatcher.tick()
    assert len(_carrying(slack, EMPLOYEE, delivery_id)) == 1
    assert _delivery(session_factory, delivery_id).status == DeliveryStatus.SENT


# -- leases


def test_an_expired_lease_of_a_crashed_sender_is_taken_over_once(
    plan: Plan,
    clock: time_machine.Coordinates,
    dispatcher: Dispatcher,
    session_factory: sessionmaker[Session],
    slack: FakeSlack,
) -> None:
    delivery_id = _enqueue(session_factory, plan, "t:orphan", MANAGER)
    clock.move_to(DUE)
    with session_factory() as db:
        assert outbox.claim_due(db, "crashed-host:1:dead", DUE, LEASE, 25) == [delivery_id]
        db.commit()

    assert dispatcher.tick() == 0  # the lease still holds
    clock.move_to(DUE + LEASE)
    assert dispatcher.tick() == 0  # ... up to its last instant
    assert _posts_of(slack, delivery_id) == 0

    clock.move_to(DUE + LEASE + timedelta(seconds=1))
    assert dispatcher.tick() == 1
    assert dispatcher.tick() == 0
    clock.move_to(DUE + 3 * LEASE)
    assert dispatcher.tick() == 0
    [message] = _carrying(slack, MANAGER, delivery_id)
    sent = _delivery(session_factory, delivery_id)
    assert (sent.status, sent.message_ts, sent.lease_owner) == (
        DeliveryStatus.SENT,
        message["ts"],
        None,
    )


def test_a_crashed_sender_that_had_posted_is_not_posted_again(
    plan: Plan,
    clock: time_machine.Coordinates,
    dispatcher: Dispatcher,
    session_factory: sessionmaker[Session],
    settings: Settings,
    slack: FakeSlack,
) -> None:
    delivery_id = _enqueue(session_factory, plan, "t:posted-then-crashed", MANAGER)
    clock.move_to(DUE)
    crashed = "crashed-host:1:dead"
    channel = slack.dm_channel(MANAGER)
    # What the crashed sender did: claim, note the channel, post; it died before mark_sent.
    with session_factory() as db:
        assert outbox.claim_due(db, crashed, DUE, LEASE, 25) == [delivery_id]
        db.commit()
        assert outbox.remember_channel(db, delivery_id, crashed, channel, DUE + LEASE)
        db.commit()
    make_delivery_client(settings).chat_postMessage(
        channel=channel,
        text="Maria: Eli acknowledged receipt.",
        metadata=_metadata(delivery_id, DeliveryKind.NOTICE),
    )

    clock.move_to(DUE + LEASE + timedelta(seconds=1))
    dispatcher.tick()
    assert len(_carrying(slack, MANAGER, delivery_id)) == 1


def test_mark_sent_is_fenced_on_the_lease_owner(
    plan: Plan,
    clock: time_machine.Coordinates,
    session_factory: sessionmaker[Session],
) -> None:
    delivery_id = _enqueue(session_factory, plan, "t:fenced", MANAGER)
    clock.move_to(DUE)
    with session_factory() as db:
        assert outbox.claim_due(db, "first", DUE, LEASE, 25) == [delivery_id]
        db.commit()
        assert not outbox.mark_sent(db, delivery_id, "intruder", "D1", "1.000100", DUE)
        db.commit()
    claimed = _delivery(session_factory, delivery_id)
    assert (claimed.status, claimed.lease_owner, claimed.message_ts, claimed.sent_at) == (
        DeliveryStatus.CLAIMED,
        "first",
        None,
        None,
    )

    # The first owner stalls past its lease; a second takes over. The first may not finish.
    later = DUE + LEASE + timedelta(seconds=1)
    clock.move_to(later)
    with session_factory() as db:
        assert outbox.claim_due(db, "second", later, LEASE, 25) == [delivery_id]
        db.commit()
        assert not outbox.mark_sent(db, delivery_id, "first", "D1", "1.000100", later)
        db.commit()
        assert _delivery(session_factory, delivery_id).lease_owner == "second"
        assert outbox.mark_sent(db, delivery_id, "second", "D2", "2.000200", later)
        db.commit()
        assert not outbox.mark_sent(db, delivery_id, "second", "D3", "3.000300", later)
        db.commit()
    sent = _delivery(session_factory, delivery_id)
    assert (sent.status, sent.channel_id, sent.message_ts, sent.lease_owner) == (
        DeliveryStatus.SENT,
        "D2",
        "2.000200",
        None,
    )


# -- concurrent dispatchers


def _race(dispatchers: list[Dispatcher]) -> tuple[list[int], list[BaseException]]:
    """Tick every dispatcher in its own thread, all started together, until none finds work.

    Returns how many messages each dispatcher posted, and what escaped their ticks.
    """
    barrier = threading.Barrier(len(dispatchers))
    posted = [0] * len(dispatchers)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            while sent := dispatchers[index].tick():
                posted[index] += sent
        except BaseException as error:  # noqa: B036 - reported by the test
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(dispatchers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive()
    return posted, errors


def _warm_directory(sessions: sessionmaker[Session], settings: Settings) -> None:
    """Have the bot know everyone already (their users.info cached), as after a first message."""
    directory = Directory(make_delivery_client(settings))
    with sessions() as db:
        for person in PEOPLE:
            assert directory.profile(db, person, fresh=True) is not None
            db.commit()  # no write lock over the next users.info


def test_two_dispatchers_racing_send_each_delivery_exactly_once(
    plan: Plan,
    clock: time_machine.Coordinates,
    session_factory: sessionmaker[Session],
    settings: Settings,
    slack: FakeSlack,
) -> None:
    clock.move_to(DUE)
    _warm_directory(session_factory, settings)  # keep this test about claiming
    recipients = [*PEOPLE, HR_CHANNEL]
    expected = {
        _enqueue(session_factory, plan, f"t:race:{i}", recipients[i % len(recipients)]): (
            recipients[i % len(recipients)]
        )
        for i in range(40)
    }
    dispatchers = [
        Dispatcher(
            session_factory,
            make_delivery_client(settings),
            settings,
            batch=5,
            clock=InstantClock(),  # paced as in production, without sitting through it
        )
        for _ in range(2)
    ]

    posted, errors = _race(dispatchers)
    assert errors == []
    assert sum(posted) == len(expected)

    seen = Counter(
        delivery_id
        for recipient in recipients
        for message in slack.messages(_channel(slack, recipient))
        if (delivery_id := _delivery_id(message)) in expected
    )
    assert set(seen) == set(expected)
    assert [d for d, n in seen.items() if n > 1] == []
    assert sum(_posts_of(slack, d) for d in expected) == len(expected)
    with session_factory() as db:
        rows = list(db.scalars(select(Delivery).where(Delivery.id.in_(expected))))
    assert {row.status for row in rows} == {DeliveryStatus.SENT}
    for row in rows:
        [message] = _carrying(slack, expected[row.id], row.id)
        assert row.message_ts == message["ts"]


class _MeetingClient(WebClient):
    """A delivery client whose conversations.open waits until the other dispatcher's arrives."""

    def __init__(self, settings: Settings, meeting: threading.Barrier) -> None:
        super().__init__(
            token=settings.slack_bot_token, base_url=settings.slack_api_url, retry_handlers=[]
        )
        self.meeting = meeting

    def conversations_open(self, **kwargs: Any) -> SlackResponse:  # type: ignore[override]
        self.meeting.wait(timeout=5)
        return super().conversations_open(**kwargs)


@pytest.mark.parametrize(
    "engine", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_two_dispatchers_meeting_a_new_person_at_once_both_deliver(
    plan: Plan,
    clock: time_machine.Coordinates,
    session_factory: sessionmaker[Session],
    settings: Settings,
    slack: FakeSlack,
) -> None:
    first = _enqueue(session_factory, plan, "t:new:1", OUTSIDER)
    second = _enqueue(session_factory, plan, "t:new:2", OUTSIDER)
    clock.move_to(DUE)
    # Both have looked OUTSIDER up (no cached row yet) before either opens the DM.
    meeting = threading.Barrier(2)
    dispatchers = [
        Dispatcher(session_factory, _MeetingClient(settings, meeting), settings, batch=1)
        for _ in range(2)
    ]

    assert _race(dispatchers)[1] == []
    for delivery_id in (first, second):
        assert len(_carrying(slack, OUTSIDER, delivery_id)) == 1
        assert _delivery(session_factory, delivery_id).status == DeliveryStatus.SENT
