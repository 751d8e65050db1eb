"""The renderer table: every kind of owed message has a renderer, and renderers only read.

Each case below puts one delivery in a state where it is sent (its plan, check-in, pause or
history event as they would be), runs what the dispatcher runs before rendering
(`prepare_delivery`, which may write), and then runs the renderer inside the same session
while counting flushes: a renderer that changed anything would leave it pending or flush it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import event
from sqlalchemy.orm import Session

from config import Settings
from models import (
    Cadence,
    Checkin,
    CheckinKind,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    EventKind,
    Goal,
    Notice,
    Outcome,
    Plan,
    PlanPause,
    PlanStatus,
    Review,
)
from scheduler.messages import Outgoing, RenderContext
from scheduler.renderers import (
    HR_NOTICES,
    NOTICES,
    RENDERERS,
    prepare_delivery,
    render_delivery,
)
from services import audit
from tests.constants import BOT_TOKEN, EMPLOYEE, HR, HR_CHANNEL, MANAGER, SIGNING_SECRET

NOW = datetime(2027, 1, 20, 15, 0, tzinfo=UTC)  # a Wednesday, in the plan's third week
OCCURRENCE = date(2027, 1, 18)  # that week's check-in (Mondays)
SETTINGS = Settings(
    slack_bot_token=BOT_TOKEN,
    slack_signing_secret=SIGNING_SECRET,
    hr_channel_id=HR_CHANNEL,
    hr_user_ids=frozenset({HR}),
    hr_contact="Hana in People Ops",
)


def test_every_delivery_kind_has_a_renderer() -> None:
    assert set(RENDERERS) == set(DeliveryKind)


def test_every_notice_has_a_renderer() -> None:
    assert set(NOTICES) | set(HR_NOTICES) == set(Notice)


# -- arranging one delivery in a state where it is sent


@dataclass
class Case:
    """One delivery to render, and how to arrange what it needs."""

    kind: DeliveryKind
    recipient: str
    payload: Callable[[Session, Any], dict[str, Any]] = lambda db, plan: {}
    plan: Callable[[Session], Plan | None] = lambda db: make_plan(db)

    @property
    def name(self) -> str:
        """`kind` or `kind:notice`, for the test id."""
        notice = self.payload.__dict__.get("notice")
        return f"{self.kind}:{notice}" if notice else str(self.kind)


def make_plan(db: Session, status: PlanStatus = PlanStatus.ACTIVE, **fields: Any) -> Plan:
    """A plan of two goals, 4 Jan to 5 Mar 2027, check-ins on Mondays."""
    plan = Plan(
        public_id="PIP-T3ST1",
        team_id="T0001",
        employee_id=EMPLOYEE,
        manager_id=MANAGER,
        issues="Late incident reports.",
        expectations="Reports within 24 hours.",
        consequences="Further action.",
        start_date=date(2027, 1, 4),
        end_date=date(2027, 3, 5),
        cadence=Cadence.WEEKLY,
        checkin_weekday=0,
        status=status,
        ack_requested_at=datetime(2027, 1, 4, 15, 0, tzinfo=UTC),
        **fields,
    )
    plan.goals = [
        Goal(
            position=1,
            description="Reports on time",
            measure="m",
            target="t",
            due_date=date(2027, 3, 1),
        ),
        Goal(
            position=2,
            description="Reviews <done>",
            measure="m",
            target="t",
            due_date=date(2027, 3, 1),
        ),
    ]
    db.add(plan)
    db.flush()
    return plan


def _draft(review: Review) -> Callable[[Session], Plan]:
    return lambda db: make_plan(db, PlanStatus.DRAFT, review=review, review_round=1, decided_by=HR)


def _closed(db: Session) -> Plan:
    return make_plan(
        db,
        PlanStatus.CLOSED,
        outcome=Outcome.UNSUCCESSFUL,
        outcome_summary="Reports stayed late.",
        outcome_effective_date=date(2027, 3, 8),
        closed_at=NOW,
    )


def _paused(db: Session) -> Plan:
    return make_plan(db, PlanStatus.PAUSED)


def _checkin(db: Session, plan: Plan, *, reviewed: bool = False) -> Checkin:
    """The week's check-in, its prompt sent the day it was due."""
    checkin = Checkin(plan_id=plan.id, kind=CheckinKind.SCHEDULED, occurrence_date=OCCURRENCE)
    if reviewed:
        checkin.reviewed_at = NOW - timedelta(hours=1)
        checkin.reviewer_id = MANAGER
        checkin.next_steps = "Keep going."
    db.add(checkin)
    db.flush()
    sent = datetime(2027, 1, 18, 15, 0, tzinfo=UTC)
    db.add(
        Delivery(
            occurrence_key=f"{plan.public_id}:checkin_prompt:{EMPLOYEE}:{OCCURRENCE}",
            plan_id=plan.id,
            checkin_id=checkin.id,
            kind=DeliveryKind.CHECKIN_PROMPT,
            recipient_id=EMPLOYEE,
            payload={"occurrence_date": OCCURRENCE.isoformat(), "local_date": "2027-01-18"},
            due_at=sent,
            next_attempt_at=sent,
            status=DeliveryStatus.SENT,
            sent_at=sent,
            channel_id="DEMPLOYEE",
            message_ts="1.000001",
        )
    )
    db.flush()
    return checkin


def _occurrence(db: Session, plan: Plan) -> dict[str, Any]:
    return {"occurrence_date": OCCURRENCE.isoformat(), "local_date": OCCURRENCE.isoformat()}


def _with_checkin(db: Session, plan: Plan) -> dict[str, Any]:
    _checkin(db, plan)
    return _occurrence(db, plan)


def _pause(db: Session, plan: Plan, *, resumed: bool = False) -> dict[str, Any]:
    pause = PlanPause(
        plan_id=plan.id,
        paused_by=MANAGER,
        paused_on=date(2027, 1, 12),
        reason="Medical leave",
        tell_employee=True,
        resume_on=date(2027, 1, 20),
        status_before=PlanStatus.ACTIVE,
    )
    if resumed:
        pause.resumed_by = MANAGER
        pause.resumed_at = NOW
        pause.resumed_on = date(2027, 1, 20)
        pause.restart_on = date(2027, 1, 25)
        pause.business_days = 6
        pause.end_before = date(2027, 3, 5)
        pause.end_after = date(2027, 3, 15)
    db.add(pause)
    db.flush()
    return {"pause_id": pause.id}


def _voice(kind: EventKind, key: str) -> Callable[[Session, Plan], dict[str, Any]]:
    def arrange(db: Session, plan: Plan) -> dict[str, Any]:
        written = audit.append_event(db, plan, EMPLOYEE, kind, {key: "My side of it."})
        return {"sequence": written.sequence}

    return arrange


def _notice(
    name: Notice, arrange: Callable[[Session, Plan], dict[str, Any]] | None = None
) -> Callable[[Session, Plan], dict[str, Any]]:
    def payload(db: Session, plan: Plan) -> dict[str, Any]:
        return {"notice": name, **(arrange(db, plan) if arrange else {})}

    payload.__dict__["notice"] = name
    return payload


def _fixed(**values: Any) -> Callable[[Session, Plan], dict[str, Any]]:
    return lambda db, plan: values


def _review_notice(db: Session, plan: Plan) -> dict[str, Any]:
    return {"checkin_id": _checkin(db, plan, reviewed=True).id}


def GOALS(db: Session, plan: Plan) -> dict[str, Any]:  # noqa: N802 - used like the constants
    """Each goal's final status, as a closing records it."""
    first, second = plan.goals
    return {
        "goals": [
            {"goal_id": first.id, "status": "on_track"},
            {"goal_id": second.id, "status": "off_track"},
        ]
    }


CASES = [
    Case(DeliveryKind.ACK_REQUEST, EMPLOYEE, _fixed(round=1)),
    Case(DeliveryKind.ACK_REMINDER, EMPLOYEE, _fixed(round=1)),
    Case(DeliveryKind.NOT_ACKNOWLEDGED, MANAGER),
    Case(DeliveryKind.PLAN_CONFIRMATION, MANAGER),
    Case(DeliveryKind.CHECKIN_PROMPT, EMPLOYEE, _occurrence),
    Case(DeliveryKind.CHECKIN_REMINDER, EMPLOYEE, _with_checkin),
    Case(DeliveryKind.REVIEW_PROMPT, MANAGER, _with_checkin),
    Case(DeliveryKind.REVIEW_REMINDER, MANAGER, _with_checkin),
    Case(DeliveryKind.CHECKIN_MISSED, HR_CHANNEL, _with_checkin),
    Case(DeliveryKind.END_OF_PLAN, MANAGER),
    Case(DeliveryKind.OUTCOME_REMINDER, MANAGER),
    Case(DeliveryKind.OUTCOME_OVERDUE, HR_CHANNEL),
    Case(DeliveryKind.SEND_REMINDER, MANAGER, _fixed(round=1), _draft(Review.APPROVED)),
    Case(
        DeliveryKind.RETENTION_NOTICE,
        HR_CHANNEL,
        _fixed(days=2555, deleted=3, before="2020-01-01", held=1),
        lambda db: None,
    ),
    Case(DeliveryKind.RESUME, EMPLOYEE, _pause, _paused),
    # Notices to people
    Case(DeliveryKind.NOTICE, MANAGER, _notice(Notice.ACKNOWLEDGED)),
    Case(DeliveryKind.NOTICE, MANAGER, _notice(Notice.RESPONDED, _fixed(response="I see."))),
    Case(
        DeliveryKind.NOTICE,
        MANAGER,
        _notice(
            Notice.UNDELIVERABLE,
            _fixed(recipient=EMPLOYEE, what="a check-in prompt", error="user_disabled"),
        ),
    ),
    Case(DeliveryKind.NOTICE, EMPLOYEE, _notice(Notice.RECEIPT)),
    Case(DeliveryKind.NOTICE, MANAGER, _notice(Notice.AWAY, _occurrence)),
    Case(DeliveryKind.NOTICE, EMPLOYEE, _notice(Notice.REVIEW, _review_notice)),
    Case(DeliveryKind.NOTICE, EMPLOYEE, _notice(Notice.OUTCOME, GOALS), _closed),
    Case(DeliveryKind.NOTICE, EMPLOYEE, _notice(Notice.PAUSED, _pause), _paused),
    Case(
        DeliveryKind.NOTICE,
        MANAGER,
        _notice(Notice.RESUMED, lambda db, plan: _pause(db, plan, resumed=True)),
    ),
    Case(DeliveryKind.NOTICE, MANAGER, _notice(Notice.SUBMITTED), _draft(Review.PENDING)),
    Case(DeliveryKind.NOTICE, MANAGER, _notice(Notice.APPROVED, _fixed(comment="Fine.\nGo."))),
    Case(
        DeliveryKind.NOTICE,
        MANAGER,
        _notice(Notice.CHANGES_REQUESTED, _fixed(comment="Name the dates.")),
        _draft(Review.CHANGES_REQUESTED),
    ),
    Case(
        DeliveryKind.NOTICE,
        MANAGER,
        _notice(Notice.READY_TO_SEND, _fixed(round=1)),
        _draft(Review.APPROVED),
    ),
    Case(DeliveryKind.NOTICE, EMPLOYEE, _notice(Notice.ASK_HR_SENT, _fixed(sequence=1))),
    # Notices to HR
    Case(DeliveryKind.HR_NOTICE, HR_CHANNEL, _notice(Notice.OPENED, _fixed(moved_days=0))),
    Case(DeliveryKind.HR_NOTICE, HR_CHANNEL, _notice(Notice.OPEN_REFUSED, _fixed(submitter=HR))),
    Case(
        DeliveryKind.HR_NOTICE,
        HR_CHANNEL,
        _notice(Notice.EXTENDED, _fixed(before="2027-03-05", after="2027-04-02", reason="More")),
    ),
    Case(
        DeliveryKind.HR_NOTICE,
        HR_CHANNEL,
        _notice(Notice.AMENDED, _fixed(changed=["Goals"], reason="Clearer targets")),
    ),
    Case(DeliveryKind.HR_NOTICE, HR_CHANNEL, _notice(Notice.RECEIPT)),
    Case(
        DeliveryKind.HR_NOTICE,
        HR_CHANNEL,
        _notice(Notice.RESPONDED, _voice(EventKind.RESPONDED, "response")),
    ),
    Case(
        DeliveryKind.HR_NOTICE,
        HR_CHANNEL,
        _notice(Notice.ASK_HR, _voice(EventKind.HR_REVIEW_REQUESTED, "request")),
    ),
    Case(DeliveryKind.HR_NOTICE, HR_CHANNEL, _notice(Notice.PAUSED, _pause), _paused),
    Case(
        DeliveryKind.HR_NOTICE,
        HR_CHANNEL,
        _notice(Notice.RESUMED, lambda db, plan: _pause(db, plan, resumed=True)),
    ),
    Case(DeliveryKind.HR_NOTICE, HR_CHANNEL, _notice(Notice.CLOSED, GOALS), _closed),
    Case(DeliveryKind.HR_NOTICE, HR_CHANNEL, _notice(Notice.RECORD, GOALS), _closed),
    Case(
        DeliveryKind.HR_NOTICE,
        HR_CHANNEL,
        _notice(Notice.APPROVAL_REQUEST, _fixed(round=1, flagged=False)),
        _draft(Review.PENDING),
    ),
]


def test_the_cases_cover_every_renderer() -> None:
    names = {case.name for case in CASES}
    assert names == (
        {str(k) for k in RENDERERS if k not in (DeliveryKind.NOTICE, DeliveryKind.HR_NOTICE)}
        | {f"{DeliveryKind.NOTICE}:{n}" for n in NOTICES}
        | {f"{DeliveryKind.HR_NOTICE}:{n}" for n in HR_NOTICES}
    )


class Writes:
    """Counts the flushes of one session and says what it holds unflushed."""

    def __init__(self, db: Session) -> None:
        self.db = db
        self.flushes = 0
        event.listen(db, "before_flush", self._count)

    def _count(self, *args: object) -> None:
        self.flushes += 1

    def close(self) -> None:
        """Stop counting."""
        event.remove(self.db, "before_flush", self._count)

    def pending(self) -> list[object]:
        """Objects added, changed or deleted and not flushed."""
        return [*self.db.new, *self.db.dirty, *self.db.deleted]


@pytest.fixture
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def arrange(db: Session, case: Case) -> RenderContext:
    """Put the case's delivery in the database and run what the dispatcher runs before
    rendering it (at NOW); the context to render it with."""
    plan = case.plan(db)
    delivery = Delivery(
        occurrence_key=f"render-test:{case.name}",
        plan_id=plan.id if plan else None,
        kind=case.kind,
        recipient_id=case.recipient,
        payload=case.payload(db, plan),
        due_at=NOW,
        next_attempt_at=NOW,
        status=DeliveryStatus.CLAIMED,
    )
    db.add(delivery)
    db.commit()
    ctx = RenderContext(db, delivery, plan, SETTINGS, NOW)
    assert prepare_delivery(ctx) is None  # what the dispatcher runs first: it goes out
    db.flush()
    return ctx


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_rendering_writes_nothing(db: Session, frozen: None, case: Case) -> None:
    ctx = arrange(db, case)
    writes = Writes(db)
    try:
        outcome = RENDERERS[case.kind](ctx)
        assert isinstance(outcome, Outgoing), outcome
        assert isinstance(render_delivery(ctx), Outgoing)
        assert writes.flushes == 0
        assert writes.pending() == []
    finally:
        writes.close()
