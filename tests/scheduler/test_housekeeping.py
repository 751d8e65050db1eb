"""The daily housekeeping: retention with legal holds and tombstones; old event ids forgotten."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session, sessionmaker

import cli
from config import Settings
from models import (
    ActionStep,
    Base,
    Checkin,
    CheckinGoalStatus,
    Delivery,
    FinalResult,
    Goal,
    GoalStatus,
    Outcome,
    Plan,
    PlanEvent,
    PlanReportFacts,
    ProcessedEvent,
    Tombstone,
)
from scheduler.housekeeping import housekeeping
from services import plans, retention, tallies
from services.access import Actor
from services.checkins import GoalMark, record_answer, scheduled_checkin
from services.close import Closing, FinalMark, close_plan
from services.drafts import GoalDraft, PlanDraft
from services.schedule import Recipients
from services.users import Profile
from tests.constants import BOT_TOKEN, EMPLOYEE, HR, HR_CHANNEL, MANAGER, SIGNING_SECRET
from tests.fakeslack import FakeSlack
from tests.slackdriver import SlackDriver, response_json

NOW = datetime(2027, 9, 1, 2, 0, tzinfo=UTC)  # a housekeeping run
OPENED = date(2027, 5, 3)  # a Monday
HR_ACTOR = Actor(HR, is_hr=True)
# Every table a plan owns rows in, and how to find them.
OWNED = {
    "plans": "SELECT count(*) FROM plans WHERE id = :p",
    "goals": "SELECT count(*) FROM goals WHERE plan_id = :p",
    "action_steps": "SELECT count(*) FROM action_steps WHERE plan_id = :p",
    "checkins": "SELECT count(*) FROM checkins WHERE plan_id = :p",
    "checkin_goal_statuses": "SELECT count(*) FROM checkin_goal_statuses WHERE checkin_id IN "
    "(SELECT id FROM checkins WHERE plan_id = :p)",
    "plan_events": "SELECT count(*) FROM plan_events WHERE plan_id = :p",
    "deliveries": "SELECT count(*) FROM deliveries WHERE plan_id = :p",
}


def _closed_plan(db: Session, n: int, closed: datetime) -> Plan:
    """A plan with goals, steps, an answered check-in, history and deliveries, closed then."""
    draft = PlanDraft(
        employee_id=f"UEMP{n}",
        issues="issues",
        expectations="expectations",
        goals=[
            GoalDraft(f"goal {g}", "measure", "target", OPENED + timedelta(days=20)) for g in (1, 2)
        ],
        steps_text="Shadow the on-call lead\nRead the handbook",
        weekday=2,
        start_date=OPENED,
        length_days=60,
        consequences="consequences",
    )
    opened = datetime.combine(OPENED, time(9), UTC)
    with time_machine.travel(opened, tick=False):
        plan = plans.open_plan(
            db,
            Actor(MANAGER),
            team_id="T1",
            draft=draft,
            employee=Profile(f"UEMP{n}", name=f"e{n}"),
            recipients=Recipients("UTC", "UTC", HR_CHANNEL, time(10)),
            today=OPENED,
            now=opened,
        )
        day = OPENED + timedelta(days=2)
        checkin = scheduled_checkin(db, plan, day)
        record_answer(
            db,
            Actor(f"UEMP{n}"),
            checkin.id,
            marks=[GoalMark(g.id, GoalStatus.ON_TRACK, "fine") for g in plan.goals],
            progress="progress",
            blockers="",
            support_needed="",
            now=opened,
        )
    with time_machine.travel(closed, tick=False):
        close_plan(
            db,
            Actor(MANAGER),
            plan.public_id,
            Closing(
                Outcome.SUCCESSFUL,
                "Met the standard.",
                closed.date(),
                [FinalMark(g.id, FinalResult.MET) for g in plan.goals],
            ),
            hr_channel_id=HR_CHANNEL,
            today=closed.date(),
            now=closed,
        )
    db.commit()
    return plan


def _drain(driver: SlackDriver) -> None:
    """Tick until the outbox has sent everything due (a tick claims one batch)."""
    for _ in range(40):
        driver.dispatcher.tick()


def _owned_rows(db: Session, plan_id: int) -> dict[str, int]:
    return {table: int(db.scalar(text(q), {"p": plan_id}) or 0) for table, q in OWNED.items()}


def _all_rows(db: Session) -> dict[str, int]:
    return {table: int(db.scalar(text(f"SELECT count(*) FROM {table}")) or 0) for table in OWNED}


@pytest.fixture
def retention_settings(settings: Settings) -> Settings:
    return replace(settings, retention_days=30)


def test_retention_deletes_only_what_is_past_the_policy_and_not_held(
    db: Session,
    session_factory: sessionmaker[Session],
    retention_settings: Settings,
    driver: SlackDriver,
    slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    old = _closed_plan(db, 1, NOW - timedelta(days=31))
    held = _closed_plan(db, 2, NOW - timedelta(days=45))
    recent = _closed_plan(db, 3, NOW - timedelta(days=29))
    ids = {p.public_id: p.id for p in (old, held, recent)}
    old_id, held_id, recent_id = old.public_id, held.public_id, recent.public_id
    with time_machine.travel(NOW - timedelta(days=2), tick=False):
        retention.hold(db, HR_ACTOR, held_id, "Tribunal claim 2027/114", NOW)
    db.commit()
    before = {name: _owned_rows(db, plan_id) for name, plan_id in ids.items()}
    for name, rows in before.items():
        assert all(count > 0 for count in rows.values()), (name, rows)
    totals = _all_rows(db)
    db.commit()  # on SQLite an open transaction holds the write lock

    # The dry run lists exactly the plan the real run deletes, and changes nothing.
    for name, value in {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "DATABASE_URL": session_factory.kw["bind"].url.render_as_string(hide_password=False),
        "RETENTION_DAYS": "30",
        "HR_CHANNEL_ID": HR_CHANNEL,
    }.items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    with time_machine.travel(NOW, tick=False):
        assert cli.main(["purge", "--dry-run"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed == [
        f"{old_id}: closed Sun 1 Aug 2027, would be deleted",
        "1 plan closed before Mon 2 Aug 2027 would be deleted under the 30-day retention "
        "policy; 1 plan kept on legal hold",
    ]
    db.expire_all()
    assert _all_rows(db) == totals
    assert db.scalar(select(func.count()).select_from(Tombstone)) == 0
    db.commit()

    # The daily housekeeping deletes it, with every row it owns.
    with time_machine.travel(NOW, tick=False):
        done = housekeeping(session_factory, retention_settings, NOW)
        _drain(driver)
    assert done.purge is not None and done.purge.deleted == [old_id]
    db.expire_all()
    after = {name: _owned_rows(db, plan_id) for name, plan_id in ids.items()}
    assert after[old_id] == dict.fromkeys(OWNED, 0)
    assert after[held_id] == before[held_id]
    assert after[recent_id] == before[recent_id]
    expected = {t: totals[t] - before[old_id][t] for t in OWNED}
    expected["deliveries"] += 1  # the HR line, which belongs to no plan
    assert _all_rows(db) == expected
    for model in (Goal, ActionStep, Checkin, CheckinGoalStatus, PlanEvent, Delivery):
        assert model.__tablename__ in OWNED  # the list above covers what a plan owns
    for table in Base.metadata.sorted_tables:  # and so does every other table with a plan_id
        if "plan_id" in table.c:
            left = db.scalar(select(func.count()).where(table.c.plan_id == ids[old_id]))
            assert left == 0, table.name

    [tombstone] = db.scalars(select(Tombstone)).all()
    assert (tombstone.public_id, tombstone.team_id) == (old_id, "T1")
    assert (tombstone.start_date, tombstone.outcome) == (OPENED, "successful")
    assert tombstone.closed_at == NOW - timedelta(days=31) and tombstone.deleted_at == NOW
    assert tombstone.policy == "30-day retention policy (RETENTION_DAYS=30)"
    assert tombstone.events == before[old_id]["plan_events"]
    assert len(tombstone.last_hash) == 64
    db.commit()

    lines = [m["text"] for m in slack.messages(HR_CHANNEL) if "retention policy" in m["text"]]
    assert lines == [
        "1 plan closed before Mon 2 Aug 2027 was deleted under the 30-day retention policy. "
        "A tombstone of each is kept: plan id, team, dates, outcome and when it was deleted. "
        "1 plan past the policy is kept on legal hold until released with `/pip release`."
    ]
    # HR asking for the deleted plan hears what its tombstone keeps; anyone else, "not found".
    told = response_json(driver.command(HR, f"show {old_id}"))["text"]
    assert told == (
        f"Plan {old_id} was deleted on Wed 1 Sep 2027 under the 30-day retention policy "
        "(RETENTION_DAYS=30). What is kept of it: team T1, Mon 3 May 2027 to Fri 2 Jul 2027, "
        "outcome successful."
    )
    refused = response_json(driver.command(MANAGER, f"show {old_id}"))["text"]
    assert refused == f"No plan {old_id} was found."
    # A second run the same day finds nothing more and says nothing more.
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        again = housekeeping(session_factory, retention_settings, NOW + timedelta(hours=1))
        _drain(driver)
    assert again.purge is not None and again.purge.deleted == []
    assert len([m for m in slack.messages(HR_CHANNEL) if "retention" in m["text"]]) == 1


def test_without_retention_days_nothing_is_deleted(
    db: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    old = _closed_plan(db, 1, NOW - timedelta(days=3650))
    db.commit()
    done = housekeeping(session_factory, settings, NOW)
    assert done.purge is None
    db.expire_all()
    assert _owned_rows(db, old.id)["plans"] == 1


def test_released_plan_is_deleted_on_the_next_run(
    db: Session, session_factory: sessionmaker[Session], retention_settings: Settings
) -> None:
    plan = _closed_plan(db, 1, NOW - timedelta(days=40))
    retention.hold(db, HR_ACTOR, plan.public_id, "Audit", NOW - timedelta(days=1))
    db.commit()
    db.commit()
    assert housekeeping(session_factory, retention_settings, NOW).purge.deleted == []  # type: ignore[union-attr]
    retention.release(db, HR_ACTOR, plan.public_id, NOW)
    db.commit()
    kinds = [e.kind for e in db.scalars(select(PlanEvent).where(PlanEvent.plan_id == plan.id))]
    assert kinds[-2:] == ["legal_hold", "hold_released"]  # both are in the history
    db.commit()
    done = housekeeping(session_factory, retention_settings, NOW)
    assert done.purge is not None and done.purge.deleted == [plan.public_id]


def test_old_event_ids_are_forgotten_and_a_retry_inside_the_day_is_still_dropped(
    db: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    driver: SlackDriver,
    slack: FakeSlack,
) -> None:
    event = {"type": "app_home_opened", "user": EMPLOYEE, "channel": "D1", "tab": "home"}
    start = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        driver.event(event, event_id="Ev0OLD")
        clock.move_to(start + timedelta(hours=20))
        driver.event(event, event_id="Ev0RECENT")
        clock.move_to(start + timedelta(hours=25))
        done = housekeeping(session_factory, settings)
        assert done.forgotten_events == 1
        kept = set(db.scalars(select(ProcessedEvent.event_id)))
        assert kept == {"Ev0RECENT"}
        db.commit()
        published = len(slack.calls_to("views.publish"))
        driver.event(event, event_id="Ev0RECENT", retry_num=1)  # Slack's retry: dropped
        assert len(slack.calls_to("views.publish")) == published


def test_purge_command_deletes_and_says_so(
    db: Session,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    old = _closed_plan(db, 1, NOW - timedelta(days=400))
    public_id, plan_id = old.public_id, old.id
    db.commit()
    url = session_factory.kw["bind"].url.render_as_string(hide_password=False)
    for name, value in {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "DATABASE_URL": url,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("RETENTION_DAYS", raising=False)
    capsys.readouterr()
    assert cli.main(["purge"]) == 0
    assert "RETENTION_DAYS is not set" in capsys.readouterr().out
    monkeypatch.setenv("RETENTION_DAYS", "365")
    with time_machine.travel(NOW, tick=False):
        assert cli.main(["purge"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{public_id}: deleted",
        "1 plan closed before Tue 1 Sep 2026 deleted under the 1-year retention policy",
    ]
    db.expire_all()
    assert _owned_rows(db, plan_id) == dict.fromkeys(OWNED, 0)


def test_housekeeping_writes_the_report_lines_closed_plans_lack(
    db: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    """A closed plan whose kept report line is gone (as after an upgrade) gets it back."""
    plan = _closed_plan(db, 1, NOW - timedelta(days=400))
    kept = db.get(PlanReportFacts, plan.id)
    assert kept is not None  # written at close
    tail = kept.csv_tail
    db.execute(delete(PlanReportFacts))
    db.commit()

    done = housekeeping(session_factory, settings, NOW)

    assert done.report_lines == 1
    db.expire_all()
    assert db.scalars(select(PlanReportFacts.csv_tail)).all() == [tail]
    db.rollback()
    assert housekeeping(session_factory, settings, NOW).report_lines == 0


def test_the_report_lines_are_written_even_when_an_earlier_step_fails(
    db: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A failing recount does not keep a late write to a closed plan from being mended: the
    lines are checked again only for RECHECK_DAYS."""
    plan = _closed_plan(db, 1, NOW - timedelta(days=1))
    db.execute(delete(PlanReportFacts))
    db.commit()

    def broken(db: Session) -> None:
        raise RuntimeError("the recount failed")

    monkeypatch.setattr(tallies, "settle", broken)
    with pytest.raises(RuntimeError, match="the recount failed"):
        housekeeping(session_factory, settings, NOW)

    assert db.scalars(select(PlanReportFacts.plan_id)).all() == [plan.id]
