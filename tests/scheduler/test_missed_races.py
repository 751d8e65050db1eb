"""A check-in marked missed by the dispatcher while the employee replies, on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot import make_delivery_client
from config import Settings
from db import make_session_factory
from models import Checkin, CheckinStatus, Delivery, DeliveryKind, DeliveryStatus, PlanEvent
from scheduler import checkin_messages
from scheduler.dispatcher import Dispatcher
from services import checkins
from services.access import Actor
from tests.fakeslack import FakeSlack
from tests.instantclock import InstantClock
from tests.plan_helpers import open_through_services

pytestmark = pytest.mark.postgres
NOW = datetime(2027, 1, 4, 15, tzinfo=UTC)
OCCURRENCE = date(2027, 1, 6)  # the plan's first Wednesday
TOKEN = "xoxb-missed-race"
MANAGER, EMPLOYEE, HR_CHANNEL = "UMGR", "UEMP", "CHR"
OWNER = "racing-sender"


def _of_occurrence(db: Session, plan_id: int, kind: DeliveryKind) -> Delivery:
    rows = db.scalars(select(Delivery).where(Delivery.plan_id == plan_id, Delivery.kind == kind))
    return next(r for r in rows if r.payload.get("occurrence_date") == OCCURRENCE.isoformat())


def _prompted_and_unanswered(db: Session) -> tuple[int, int, int]:
    """A plan whose first check-in was prompted and not answered, its missed check claimed
    by OWNER: plan id, check-in id, the missed check's delivery id."""
    plan = open_through_services(db, MANAGER, EMPLOYEE, now=NOW, hr_channel=HR_CHANNEL)
    checkin = checkins.scheduled_checkin(db, plan, OCCURRENCE)
    prompt = _of_occurrence(db, plan.id, DeliveryKind.CHECKIN_PROMPT)
    prompt.status, prompt.checkin_id = DeliveryStatus.SENT, checkin.id
    prompt.sent_at = datetime.combine(OCCURRENCE, time(10), UTC)
    prompt.channel_id, prompt.message_ts = "DEMP", "1800000000.000100"
    missed = _of_occurrence(db, plan.id, DeliveryKind.CHECKIN_MISSED)
    missed.status, missed.lease_owner = DeliveryStatus.CLAIMED, OWNER
    missed.lease_expires_at = datetime(2100, 1, 1, tzinfo=UTC)
    db.commit()
    return plan.id, checkin.id, missed.id


@pytest.fixture
def sessions(pg_engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions on the shared PostgreSQL database, emptied after the test."""
    from tests.conftest import _truncate

    yield make_session_factory(pg_engine)
    _truncate(pg_engine)


def test_a_reply_while_the_missed_check_is_prepared_waits_for_it_then_answers_it(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dispatcher holds the plan while it prepares a message, as every click does: one
    after the other, in one lock order. (Before, the reply committed in between and the
    notice was dropped only because drawing it read the check-in again.)"""
    with FakeSlack(bot_token=TOKEN).start() as slack:
        slack.add_channel(HR_CHANNEL)
        settings = Settings(
            slack_bot_token=TOKEN,
            slack_signing_secret="s",
            slack_api_url=slack.url,
            hr_channel_id=HR_CHANNEL,
            plan_approval="none",
        )
        with sessions() as db:
            plan_id, checkin_id, missed_id = _prompted_and_unanswered(db)

        # The dispatcher pauses right after reading what the check-in lacks, for the reply to
        # commit in between if nothing holds it back.
        read, replied = threading.Event(), threading.Event()
        lacks = checkin_messages.outstanding

        def outstanding_then_wait(db: Session, checkin: Checkin) -> Any:
            found = lacks(db, checkin)
            if not read.is_set():
                read.set()
                replied.wait(timeout=1)  # with the plan locked the reply cannot come: 1 s
            return found

        monkeypatch.setattr(checkin_messages, "outstanding", outstanding_then_wait)
        dispatcher = Dispatcher(
            sessions, make_delivery_client(settings), settings, clock=InstantClock()
        )
        outcome: list[object] = []

        def reply() -> None:
            read.wait(timeout=10)
            with sessions() as db:
                checkins.record_reply(db, Actor(EMPLOYEE), checkin_id, "Done, sorry.", NOW)
                db.commit()
            replied.set()

        # Each on a thread of its own, as in the bot (a sender binds its log context there).
        sender = threading.Thread(
            target=lambda: outcome.append(dispatcher.deliver(missed_id, OWNER))
        )
        replier = threading.Thread(target=reply)
        for thread in (replier, sender):
            thread.start()
        for thread in (sender, replier):
            thread.join(timeout=30)
            assert not thread.is_alive()

        assert outcome == [1]  # HR was told the check-in was missed
        with sessions() as db:
            stored = db.get_one(Checkin, checkin_id)
            assert stored.employee_reply == "Done, sorry."
            assert stored.status == CheckinStatus.ANSWERED  # the late reply is an answer
            kinds = list(
                db.scalars(
                    select(PlanEvent.kind)
                    .where(PlanEvent.plan_id == plan_id, PlanEvent.kind.like("checkin_%"))
                    .order_by(PlanEvent.id)
                )
            )
            assert kinds == ["checkin_missed", "checkin_replied"]
