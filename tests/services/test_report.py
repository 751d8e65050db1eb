"""The HR report: figures over a fixture of known plans, the per-plan CSV, and who may run it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from models import (
    Author,
    Cadence,
    Checkin,
    CheckinGoalStatus,
    CheckinKind,
    CheckinStatus,
    FinalResult,
    Goal,
    GoalStatus,
    Outcome,
    Plan,
    PlanStatus,
)
from services.access import Actor
from services.errors import NotAllowed
from services.report import (
    CSV_COLUMNS,
    Overdue,
    csv_chunks,
    org_report,
    report_csv,
    report_rows,
    spreadsheet_safe,
)
from services.report_csv import CheckinTotals
from tests.constants import EMPLOYEE, HR, MANAGER, OTHER_MANAGER, OUTSIDER

# Wednesday. 2027-03-01 and 2027-02-22 are Mondays, 2027-03-05 a Friday.
TODAY = date(2027, 3, 10)
HR_ACTOR = Actor(HR, is_hr=True)
FORMULA_EMPLOYEE = '=HYPERLINK("http://x","y")'


def at(day: date, hour: int = 10) -> datetime:
    """`day` at `hour`:00 UTC."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def add_plan(
    db: Session,
    public_id: str,
    *,
    status: PlanStatus,
    start: date,
    end: date,
    requested: date,
    acknowledged: date | None = None,
    outcome: Outcome | None = None,
    effective: date | None = None,
    employee: str = EMPLOYEE,
    manager: str = MANAGER,
    goals: int = 2,
) -> Plan:
    """A plan stored as it would be after its lifecycle so far, with `goals` goals."""
    plan = Plan(
        public_id=public_id,
        team_id="T1",
        employee_id=employee,
        manager_id=manager,
        issues="Issues",
        expectations="Expectations",
        consequences="Consequences",
        start_date=start,
        end_date=end,
        cadence=Cadence.WEEKLY,
        checkin_weekday=2,
        status=status,
        outcome=outcome,
        outcome_effective_date=effective,
        ack_requested_at=at(requested),
        acknowledged_at=at(acknowledged, 15) if acknowledged else None,
        closed_at=at(effective or end) if status == PlanStatus.CLOSED else None,
        created_at=at(requested),
        goals=[
            Goal(position=i, description=f"G{i}", measure="m", target="t", due_date=end)
            for i in range(goals)
        ],
    )
    db.add(plan)
    db.flush()
    return plan


def add_checkin(
    db: Session,
    plan: Plan,
    day: date,
    status: CheckinStatus,
    *,
    kind: CheckinKind = CheckinKind.SCHEDULED,
    submitted: date | None = None,
    reply: str | None = None,
    employee_marks: list[GoalStatus] | None = None,
    manager_marks: list[GoalStatus] | None = None,
) -> Checkin:
    """A check-in of `plan` on `day`, with per-goal marks by position when given."""
    checkin = Checkin(
        plan_id=plan.id,
        kind=kind,
        occurrence_date=day,
        status=status,
        employee_submitted_at=at(submitted, 12) if submitted else None,
        employee_reply=reply,
        reviewed_at=at(day + timedelta(days=1)) if status == CheckinStatus.REVIEWED else None,
    )
    for author, marks in ((Author.EMPLOYEE, employee_marks), (Author.MANAGER, manager_marks)):
        for goal, mark in zip(plan.goals, marks or [], strict=False):
            checkin.goal_statuses.append(
                CheckinGoalStatus(goal_id=goal.id, author=author, status=mark)
            )
    db.add(checkin)
    db.flush()
    return checkin


ON, RISK, OFF = GoalStatus.ON_TRACK, GoalStatus.AT_RISK, GoalStatus.OFF_TRACK
S = CheckinStatus


def seed(db: Session) -> None:
    """Eight plans covering every status and outcome; the comments give what each adds."""
    # A1 active, never acknowledged, asked Mon 1 Mar: deadline Mon 8 Mar, so overdue.
    a1 = add_plan(
        db,
        "PIP-A1",
        status=PlanStatus.ACTIVE,
        start=date(2027, 3, 1),
        end=date(2027, 4, 30),
        requested=date(2027, 3, 1),
    )
    add_checkin(db, a1, date(2027, 3, 3), S.MISSED)
    add_checkin(db, a1, date(2027, 3, 10), S.PENDING)  # due today, not answered yet
    # B2 active, asked Fri 5 Mar: deadline Fri 12 Mar, not overdue yet. Another manager's.
    add_plan(
        db,
        "PIP-B2",
        status=PlanStatus.ACTIVE,
        start=date(2027, 3, 5),
        end=date(2027, 5, 4),
        requested=date(2027, 3, 5),
        manager=OTHER_MANAGER,
    )
    # C3 acknowledged, ended Fri 5 Mar without an outcome: past its end date.
    c3 = add_plan(
        db,
        "PIP-C3",
        status=PlanStatus.ACKNOWLEDGED,
        start=date(2027, 1, 4),
        end=date(2027, 3, 5),
        requested=date(2027, 1, 4),
        acknowledged=date(2027, 1, 5),
    )
    add_checkin(
        db,
        c3,
        date(2027, 1, 13),
        S.REVIEWED,
        submitted=date(2027, 1, 13),
        employee_marks=[OFF, OFF],
        manager_marks=[OFF, RISK],
    )
    # Answered Wed 20 Jan, never reviewed: overdue since Fri 22 Jan.
    add_checkin(
        db,
        c3,
        date(2027, 1, 20),
        S.ANSWERED,
        submitted=date(2027, 1, 20),
        employee_marks=[OFF, RISK],
    )
    add_checkin(db, c3, date(2027, 1, 27), S.MISSED)
    add_checkin(db, c3, date(2027, 2, 3), S.SKIPPED)  # not counted at all
    add_checkin(db, c3, date(2027, 2, 10), S.REVIEWED)  # reviewed without an answer: completed
    # An unscheduled review: not in the rates, but its marks are C3's latest.
    add_checkin(
        db,
        c3,
        date(2027, 2, 12),
        S.REVIEWED,
        kind=CheckinKind.UNSCHEDULED,
        manager_marks=[ON, RISK],
    )
    # D4 extended; acknowledged 15 Jan, amended Mon 22 Feb: deadline Mon 1 Mar, overdue.
    d4 = add_plan(
        db,
        "PIP-D4",
        status=PlanStatus.EXTENDED,
        start=date(2027, 1, 11),
        end=date(2027, 4, 11),
        requested=date(2027, 2, 22),
        acknowledged=date(2027, 1, 15),
    )
    # A thread reply (no submitted time): dated by its occurrence Mon 1 Mar, overdue (> Wed 3).
    add_checkin(db, d4, date(2027, 3, 1), S.ANSWERED, reply="Busy week.")
    # Answered Mon 8 Mar: 2 business days later is Wed 10 Mar, today, so not yet overdue.
    add_checkin(
        db, d4, date(2027, 3, 8), S.ANSWERED, submitted=date(2027, 3, 8), employee_marks=[RISK, ON]
    )
    add_checkin(db, d4, date(2027, 3, 15), S.PENDING)  # in the future: not due
    # E5 closed successful on its end date; manager's marks win over the employee's.
    e5 = add_plan(
        db,
        "PIP-E5",
        status=PlanStatus.CLOSED,
        outcome=Outcome.SUCCESSFUL,
        start=date(2026, 10, 1),
        end=date(2026, 12, 30),
        effective=date(2026, 12, 30),
        requested=date(2026, 10, 1),
        acknowledged=date(2026, 10, 2),
    )
    add_checkin(
        db, e5, date(2026, 10, 7), S.REVIEWED, employee_marks=[OFF, OFF], manager_marks=[RISK, OFF]
    )
    add_checkin(
        db, e5, date(2026, 12, 23), S.REVIEWED, employee_marks=[RISK, RISK], manager_marks=[ON, ON]
    )
    # F6 closed unsuccessful early on 15 Nov; its missed check-in is history, not overdue.
    f6 = add_plan(
        db,
        "PIP-F6",
        status=PlanStatus.CLOSED,
        outcome=Outcome.UNSUCCESSFUL,
        start=date(2026, 9, 1),
        end=date(2026, 11, 30),
        effective=date(2026, 11, 15),
        requested=date(2026, 9, 1),
        acknowledged=date(2026, 9, 3),
    )
    add_checkin(db, f6, date(2026, 9, 9), S.REVIEWED)
    add_checkin(db, f6, date(2026, 9, 16), S.MISSED)
    # G7 cancelled before acknowledgement; a prompt left pending.
    g7 = add_plan(
        db,
        "PIP-G7",
        status=PlanStatus.CLOSED,
        outcome=Outcome.CANCELLED,
        start=date(2027, 2, 1),
        end=date(2027, 4, 1),
        effective=date(2027, 2, 10),
        requested=date(2027, 2, 1),
        manager=OTHER_MANAGER,
    )
    add_checkin(db, g7, date(2027, 2, 3), S.PENDING)
    # H8 closed successful with no effective date (its end date counts), a formula for a name.
    add_plan(
        db,
        "PIP-H8",
        status=PlanStatus.CLOSED,
        outcome=Outcome.SUCCESSFUL,
        start=date(2026, 6, 1),
        end=date(2026, 8, 30),
        requested=date(2026, 6, 1),
        acknowledged=date(2026, 6, 1),
        employee=FORMULA_EMPLOYEE,
    )
    db.commit()


@pytest.fixture
def seeded(db: Session) -> Session:
    """The database with the eight plans."""
    seed(db)
    return db


def test_figures_equal_hand_computed_values(seeded: Session) -> None:
    report = org_report(seeded, HR_ACTOR, TODAY)

    assert report.today == TODAY
    assert report.plans_total == 8
    # A1, B2 active; C3 acknowledged; D4 extended.
    assert report.open_by_status == {
        PlanStatus.ACTIVE: 2,
        PlanStatus.ACKNOWLEDGED: 1,
        PlanStatus.EXTENDED: 1,
        PlanStatus.PAUSED: 0,
    }
    assert report.open_total == 4

    # Sent and not cancelled: all but G7 = 7. Current version acknowledged: C3, E5, F6, H8 = 4
    # (D4 was acknowledged before its amendment).
    assert (report.acknowledged, report.acknowledgement_base) == (4, 7)
    assert report.acknowledgement_rate == 4 / 7

    # Due (scheduled, on or before 10 Mar, not skipped) / completed (answered or reviewed):
    # A1 2/0, C3 4/3 (13 Jan, 20 Jan, 10 Feb), D4 2/2, E5 2/2, F6 2/1, G7 1/0, B2 and H8 none.
    # Due 2+4+2+2+2+1 = 13, completed 0+3+2+2+1+0 = 8; missed: A1, C3, F6 = 3.
    assert (report.checkins_due, report.checkins_completed, report.checkins_missed) == (13, 8, 3)
    assert report.checkin_completion_rate == 8 / 13

    # E5, H8 successful; F6 unsuccessful; G7 cancelled. Success 2 / (2 + 1).
    assert report.outcomes == {
        Outcome.SUCCESSFUL: 2,
        Outcome.UNSUCCESSFUL: 1,
        Outcome.CANCELLED: 1,
    }
    assert report.success_rate == 2 / 3

    # Closed, start to effective date (H8: end date): E5 1 Oct-30 Dec = 31+30+29 = 90;
    # F6 1 Sep-15 Nov = 30+31+14 = 75; G7 1-10 Feb = 9; H8 1 Jun-30 Aug = 30+31+29 = 90.
    # (90 + 75 + 9 + 90) / 4 = 264 / 4 = 66.
    assert report.average_closed_length_days == 66.0
    # Start to end of all eight: A1 60, B2 60, C3 60 (31+28+1), D4 90, E5 90, F6 90,
    # G7 59 (28+31), H8 90. 599 / 8 = 74.875.
    assert report.average_planned_length_days == 599 / 8 == 74.875

    # A1 (deadline 8 Mar) and D4 (deadline 1 Mar); B2's deadline is 12 Mar.
    assert report.overdue_acknowledgements == Overdue(2, ("PIP-A1", "PIP-D4"))
    # Open plans only: A1 3 Mar, C3 27 Jan (F6 is closed).
    assert report.missed_checkins == Overdue(2, ("PIP-A1", "PIP-C3"))
    # C3 20 Jan and D4 1 Mar; D4 8 Mar is exactly 2 business days old.
    assert report.unreviewed_checkins == Overdue(2, ("PIP-C3", "PIP-D4"))
    # Open and ended before 10 Mar: C3 (5 Mar).
    assert report.past_end_date == Overdue(1, ("PIP-C3",))


def test_overdue_counts_checkins_not_plans(db: Session) -> None:
    plan = add_plan(
        db,
        "PIP-J1",
        status=PlanStatus.ACKNOWLEDGED,
        start=date(2027, 1, 4),
        end=date(2027, 4, 4),
        requested=date(2027, 1, 4),
        acknowledged=date(2027, 1, 4),
    )
    for day in (date(2027, 1, 6), date(2027, 1, 13), date(2027, 1, 20)):
        add_checkin(db, plan, day, S.MISSED)
    db.commit()

    report = org_report(db, HR_ACTOR, TODAY)

    assert report.missed_checkins == Overdue(3, ("PIP-J1",))


def test_deadlines_fall_on_their_day(db: Session) -> None:
    # Asked Fri 5 Mar, acknowledged on an older version: 5 business days later is Fri 12 Mar.
    add_plan(
        db,
        "PIP-K1",
        status=PlanStatus.ACKNOWLEDGED,
        start=date(2027, 3, 1),
        end=date(2027, 3, 11),
        requested=date(2027, 3, 5),
        acknowledged=date(2027, 3, 1),
    )
    db.commit()

    thursday = org_report(db, HR_ACTOR, date(2027, 3, 11))
    friday = org_report(db, HR_ACTOR, date(2027, 3, 12))

    assert thursday.overdue_acknowledgements == Overdue()
    assert friday.overdue_acknowledgements == Overdue(1, ("PIP-K1",))
    # Ending on 11 Mar: past its end date from the 12th, not on the day itself.
    assert thursday.past_end_date == Overdue()
    assert friday.past_end_date == Overdue(1, ("PIP-K1",))


def test_an_empty_organisation_has_no_rates(db: Session) -> None:
    report = org_report(db, HR_ACTOR, TODAY)

    assert report.plans_total == 0
    assert report.open_by_status == {
        s: 0
        for s in (
            PlanStatus.ACTIVE,
            PlanStatus.ACKNOWLEDGED,
            PlanStatus.EXTENDED,
            PlanStatus.PAUSED,
        )
    }
    assert report.outcomes == {o: 0 for o in Outcome}
    assert report.acknowledgement_rate is None
    assert report.checkin_completion_rate is None
    assert report.success_rate is None
    assert report.average_closed_length_days is None
    assert report.average_planned_length_days is None
    assert report.overdue_acknowledgements == Overdue()
    assert report_rows(db, HR_ACTOR, TODAY) == []
    assert report_csv(db, HR_ACTOR, TODAY).splitlines() == [",".join(CSV_COLUMNS)]


def test_rows_one_per_plan_with_hand_computed_values(seeded: Session) -> None:
    rows = report_rows(seeded, HR_ACTOR, TODAY)

    assert [r["plan_id"] for r in rows] == [f"PIP-{x}" for x in "A1 B2 C3 D4 E5 F6 G7 H8".split()]
    assert all(list(r) == list(CSV_COLUMNS) for r in rows)
    counts = {
        r["plan_id"]: (r["checkins_due"], r["checkins_completed"], r["checkins_missed"])
        for r in rows
    }
    assert counts == {
        "PIP-A1": ("2", "0", "1"),
        "PIP-B2": ("0", "0", "0"),
        "PIP-C3": ("4", "3", "1"),
        "PIP-D4": ("2", "2", "0"),
        "PIP-E5": ("2", "2", "0"),
        "PIP-F6": ("2", "1", "1"),
        "PIP-G7": ("1", "0", "0"),
        "PIP-H8": ("0", "0", "0"),
    }
    by_id = {r["plan_id"]: r for r in rows}
    assert by_id["PIP-C3"] == {
        "plan_id": "PIP-C3",
        "employee_id": EMPLOYEE,
        "employee_name": "",  # no cached profile
        "manager_id": MANAGER,
        "manager_name": "",
        "status": "acknowledged",
        "start_date": "2027-01-04",
        "end_date": "2027-03-05",
        "acknowledged": "yes",
        "acknowledged_on": "2027-01-05",
        "checkins_due": "4",
        "checkins_completed": "3",
        "checkins_missed": "1",
        # The unscheduled review of 12 Feb is the latest check-in with marks.
        "latest_goal_statuses": "Goal 1: On track; Goal 2: At risk",
        "goal_statuses_as_of": "2027-02-12",
        "goal_statuses_by": "manager",
        "outcome": "",
        "outcome_effective_date": "",
        "final_results": "",
    }
    # Acknowledged before the amendment only: not acknowledged now. The 15 Mar check-in has no
    # marks, so the employee's of 8 Mar are the latest.
    d4 = by_id["PIP-D4"]
    assert (d4["acknowledged"], d4["acknowledged_on"]) == ("no", "")
    assert (d4["latest_goal_statuses"], d4["goal_statuses_as_of"], d4["goal_statuses_by"]) == (
        "Goal 1: At risk; Goal 2: On track",
        "2027-03-08",
        "employee",
    )
    e5 = by_id["PIP-E5"]
    assert (e5["latest_goal_statuses"], e5["goal_statuses_by"]) == (
        "Goal 1: On track; Goal 2: On track",
        "manager",
    )
    assert (e5["outcome"], e5["outcome_effective_date"]) == ("successful", "2026-12-30")
    assert (by_id["PIP-H8"]["outcome"], by_id["PIP-H8"]["outcome_effective_date"]) == (
        "successful",
        "",
    )
    assert by_id["PIP-H8"]["employee_id"] == FORMULA_EMPLOYEE  # rows are raw; the CSV is safe
    assert by_id["PIP-B2"]["latest_goal_statuses"] == ""
    assert by_id["PIP-G7"]["status"] == "closed"


def test_csv_has_a_header_and_one_row_per_plan_and_round_trips(seeded: Session) -> None:
    text = report_csv(seeded, HR_ACTOR, TODAY)

    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert parsed[0] == list(CSV_COLUMNS)
    assert len(parsed) == 1 + 8
    rows = report_rows(seeded, HR_ACTOR, TODAY)
    for record, row in zip(parsed[1:], rows, strict=True):
        assert record == [spreadsheet_safe(row[c]) for c in CSV_COLUMNS]
    h8 = dict(zip(CSV_COLUMNS, parsed[-1], strict=True))
    # The comma and the quotes survived quoting; the formula is text now.
    assert h8["employee_id"] == "'" + FORMULA_EMPLOYEE
    assert '"\'=HYPERLINK(""http://x"",""y"")"' in text


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+2", "'=1+2"),
        ("+SUM(A1:A9)", "'+SUM(A1:A9)"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\t=1", "'\t=1"),
        ("U123", "U123"),
        ("2027-03-10", "2027-03-10"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_formula_looking_cells_are_neutralised(value: str, safe: str) -> None:
    assert spreadsheet_safe(value) == safe


@pytest.mark.parametrize(
    "actor",
    [
        Actor(MANAGER),  # manager of A1, C3, D4, E5, F6, H8
        Actor(OTHER_MANAGER),
        Actor(EMPLOYEE),
        Actor(OUTSIDER),
    ],
    ids=lambda a: a.user_id,
)
def test_only_hr_may_run_the_report(seeded: Session, actor: Actor) -> None:
    for run in (org_report, report_rows, report_csv):
        with pytest.raises(NotAllowed, match="Only HR can run the report."):
            run(seeded, actor, TODAY)


@pytest.fixture
def statements(db: Session) -> Iterator[list[str]]:
    """Every SQL statement the database runs from now on."""
    seen: list[str] = []
    engine = db.get_bind()

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_a_few_queries_however_many_plans(seeded: Session, statements: list[str]) -> None:
    for n in range(40):
        plan = add_plan(
            seeded,
            f"PIP-X{n:02d}",
            status=PlanStatus.ACKNOWLEDGED,
            start=date(2027, 1, 4),
            end=date(2027, 4, 4),
            requested=date(2027, 1, 4),
            acknowledged=date(2027, 1, 5),
        )
        add_checkin(
            seeded,
            plan,
            date(2027, 1, 6),
            S.ANSWERED,
            submitted=date(2027, 1, 6),
            employee_marks=[ON, RISK],
        )
    seeded.commit()
    statements.clear()

    report = org_report(seeded, HR_ACTOR, TODAY)
    report_queries = len(statements)
    statements.clear()
    text = report_csv(seeded, HR_ACTOR, TODAY)

    assert report_queries <= 4, statements
    assert len(statements) <= 4, statements
    assert report.plans_total == 48
    assert report.unreviewed_checkins.count == 2 + 40
    assert len(text.splitlines()) == 1 + 48


def test_csv_names_people_beside_their_ids(seeded: Session) -> None:
    from services.users import Profile, remember

    remember(seeded, Profile(MANAGER, name="maria", real_name="Maria Manager"))
    remember(seeded, Profile(OTHER_MANAGER, name="otto"))  # no real name: the handle
    seeded.commit()
    parsed = list(csv.DictReader(io.StringIO(report_csv(seeded, HR_ACTOR, TODAY), newline="")))
    columns = list(parsed[0])
    assert columns.index("employee_name") == columns.index("employee_id") + 1
    assert columns.index("manager_name") == columns.index("manager_id") + 1
    by_manager = {r["manager_id"]: r["manager_name"] for r in parsed}
    assert by_manager[MANAGER] == "Maria Manager"
    assert by_manager[OTHER_MANAGER] == "otto"
    assert all(r["employee_name"] == "" for r in parsed)  # never seen in Slack: left empty


def set_final_results(db: Session, public_id: str, *values: str) -> None:
    """Store `values` as the final results of the plan's goals, by position."""
    plan = db.query(Plan).filter_by(public_id=public_id).one()
    for goal, value in zip(sorted(plan.goals, key=lambda g: g.position), values, strict=True):
        goal.final_result = value
    db.flush()


def test_closed_plans_report_their_goals_final_results(
    seeded: Session, statements: list[str]
) -> None:
    from views.close import report_message

    met, partly, not_met = (
        r.value for r in (FinalResult.MET, FinalResult.PARTLY_MET, FinalResult.NOT_MET)
    )
    set_final_results(seeded, "PIP-E5", met, partly)
    set_final_results(seeded, "PIP-F6", not_met, not_met)
    # H8 was closed before the Met / Partly met / Not met scale: migration 0019 copied the
    # close's on-track scale onto its goals.
    set_final_results(seeded, "PIP-H8", GoalStatus.ON_TRACK.value, GoalStatus.OFF_TRACK.value)
    # An open plan's goals are not counted, whatever they hold.
    set_final_results(seeded, "PIP-C3", met, met)
    seeded.commit()
    statements.clear()

    report = org_report(seeded, HR_ACTOR, TODAY)
    report_queries = len(statements)
    statements.clear()
    rows = {r["plan_id"]: r["final_results"] for r in report_rows(seeded, HR_ACTOR, TODAY)}

    assert report_queries <= 4, statements  # the budget of test_a_few_queries_however_many_plans
    assert len(statements) <= 4, statements
    assert rows == {
        "PIP-A1": "",
        "PIP-B2": "",
        "PIP-C3": "",  # open
        "PIP-D4": "",
        "PIP-E5": "Goal 1: Met; Goal 2: Partly met",
        "PIP-F6": "Goal 1: Not met; Goal 2: Not met",
        "PIP-G7": "",  # cancelled with no result recorded
        "PIP-H8": "Goal 1: On track (earlier scale); Goal 2: Off track (earlier scale)",
    }
    assert report.final_results == {
        "Met": 1,
        "Partly met": 1,
        "Not met": 2,
        "On track (earlier scale)": 1,
        "At risk (earlier scale)": 0,
        "Off track (earlier scale)": 1,
    }
    figures = report_message(report)["blocks"][1]["text"]["text"]
    assert (
        "*Goals of closed plans:* Met: 1, Partly met: 1, Not met: 2,"
        " On track (earlier scale): 1, Off track (earlier scale): 1\n"
    ) in figures
    text = report_csv(seeded, HR_ACTOR, TODAY)
    assert list(csv.reader(io.StringIO(text, newline="")))[5][-1] == rows["PIP-E5"]
    # /pip report's way: the CSV's pass adds the final results up, the figures reuse them.
    counted = CheckinTotals()
    assert "".join(csv_chunks(seeded, HR_ACTOR, TODAY, counted)) == text
    assert org_report(seeded, HR_ACTOR, TODAY, counted=counted) == report


def test_no_final_results_yet(seeded: Session) -> None:
    from views.close import report_message

    report = org_report(seeded, HR_ACTOR, TODAY)

    assert set(report.final_results.values()) == {0}
    assert all(r["final_results"] == "" for r in report_rows(seeded, HR_ACTOR, TODAY))
    figures = report_message(report)["blocks"][1]["text"]["text"]
    assert "*Goals of closed plans:* no final results yet\n" in figures
