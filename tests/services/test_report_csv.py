"""The report CSV as the database writes it: byte for byte what Python's csv module writes
for the same cells, on SQLite and PostgreSQL (each has its own way to the lines)."""

from __future__ import annotations

import csv
import io
import random
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from models import (
    Author,
    CheckinGoalStatus,
    CheckinStatus,
    FinalResult,
    Goal,
    GoalStatus,
    Outcome,
    Plan,
    PlanStatus,
)
from services import report_csv
from services.report import CSV_COLUMNS, org_report, report_rows
from services.report import report_csv as write_csv
from services.report_csv import CheckinTotals, csv_chunks, spreadsheet_safe
from services.users import Profile, remember
from tests.services.test_report import HR_ACTOR, TODAY, add_checkin, add_plan, seed


@pytest.fixture
def seeded(db: Session) -> Session:
    """The eight plans of test_report.py, whose figures and rows are computed by hand there."""
    seed(db)
    return db


FREE_TEXT = ("plan_id", "employee_id", "employee_name", "manager_id", "manager_name")


def python_csv(rows: list[dict[str, str]]) -> str:
    """The CSV the report wrote before the database did: csv.writer over the safe cells."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([spreadsheet_safe(v) if c in FREE_TEXT else v for c, v in row.items()])
    return out.getvalue()


# What people and Slack type: the characters csv quotes for, formula prefixes, quotes,
# spaces, accents, CJK and emoji (PostgreSQL text cannot hold NUL, so neither does this).
typed = st.text(
    alphabet=st.sampled_from(list(",\"\r\n\t=+-@' ;:aZ9éß中😀")) | st.characters(codec="utf-8"),
    max_size=12,
).filter(lambda s: "\x00" not in s)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(people=st.lists(st.tuples(typed, typed, typed, typed), min_size=1, max_size=6))
def test_lines_are_what_the_csv_module_writes(db: Session, people: list[tuple[str, ...]]) -> None:
    """Names, handles and ids of any text: quoted, doubled and made safe as csv.writer would."""
    try:
        employees = [f"{p[2]}#{n}" if n % 2 else f"UE{n}" for n, p in enumerate(people)]
        for n, (real_name, handle, _, public_suffix) in enumerate(people):
            employee, manager = employees[n], f"UM{n}"  # "#": never a manager's id
            remember(db, Profile(employee, name=handle, real_name=real_name))
            remember(db, Profile(manager, name=real_name))  # a handle only
            add_plan(
                db,
                f"{public_suffix}{n}",
                status=PlanStatus.CLOSED if n % 3 == 0 else PlanStatus.ACTIVE,
                outcome=Outcome.SUCCESSFUL if n % 3 == 0 else None,
                start=date(2027, 1, 4),
                end=date(2027, 3, 5),
                requested=date(2027, 1, 4),
                acknowledged=date(2027, 1, 5) if n % 2 else None,
                employee=employee,
                manager=manager,
            )
        db.flush()
        rows = report_rows(db, HR_ACTOR, TODAY)
        by_employee = {r["employee_id"]: r for r in rows}

        assert write_csv(db, HR_ACTOR, TODAY) == python_csv(rows)
        for (real_name, handle, *_), employee in zip(people, employees, strict=True):
            expected = real_name or handle or employee
            assert by_employee[employee]["employee_name"] == expected  # raw: as typed
    finally:
        db.rollback()  # the next example starts from nothing


def test_goals_read_in_goal_order_past_nine(seeded: Session) -> None:
    """Goal 10 comes after Goal 9 (a number, not text), whatever order the rows were stored."""
    positions = list(range(12))
    random.Random(7).shuffle(positions)
    plan = add_plan(
        seeded,
        "PIP-TWELVE",
        status=PlanStatus.CLOSED,
        outcome=Outcome.UNSUCCESSFUL,
        start=date(2026, 1, 5),
        end=date(2026, 3, 5),
        requested=date(2026, 1, 5),
        goals=0,
    )
    results = [FinalResult.MET, FinalResult.NOT_MET, GoalStatus.AT_RISK]
    for position in positions:
        plan.goals.append(
            Goal(
                position=position,
                description=f"G{position}",
                measure="m",
                target="t",
                due_date=date(2026, 3, 5),
                final_result=results[position % 3].value,
            )
        )
    seeded.flush()
    marks = [GoalStatus.ON_TRACK, GoalStatus.AT_RISK, GoalStatus.OFF_TRACK]
    checkin = add_checkin(seeded, plan, date(2026, 2, 4), CheckinStatus.REVIEWED)
    for goal in sorted(plan.goals, key=lambda g: -g.position):
        for author in (Author.EMPLOYEE, Author.MANAGER):
            status = marks[(goal.position + (author == Author.MANAGER)) % 3]
            checkin.goal_statuses.append(
                CheckinGoalStatus(goal_id=goal.id, author=author, status=status)
            )
    seeded.commit()

    row = next(r for r in report_rows(seeded, HR_ACTOR, TODAY) if r["plan_id"] == "PIP-TWELVE")

    words = {GoalStatus.ON_TRACK: "On track", GoalStatus.AT_RISK: "At risk"}
    words[GoalStatus.OFF_TRACK] = "Off track"
    assert row["latest_goal_statuses"] == "; ".join(
        f"Goal {p + 1}: {words[marks[(p + 1) % 3]]}" for p in range(12)
    )  # the manager's review
    assert (row["goal_statuses_as_of"], row["goal_statuses_by"]) == ("2026-02-04", "manager")
    finals = ("Met", "Not met", "At risk (earlier scale)")
    assert row["final_results"] == "; ".join(f"Goal {p + 1}: {finals[p % 3]}" for p in range(12))


def test_chunks_of_ids_past_gaps_and_drafts(seeded: Session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Small chunks, a deleted plan and drafts between them: the same CSV and the same totals."""
    for n in range(5):
        add_plan(
            seeded,
            f"PIP-Z{n}",
            status=PlanStatus.DRAFT if n % 2 else PlanStatus.ACTIVE,
            start=date(2027, 3, 1),
            end=date(2027, 4, 30),
            requested=date(2027, 3, 1),
        )
    gone = seeded.query(Plan).filter_by(public_id="PIP-Z2").one()
    seeded.delete(gone)
    seeded.commit()
    whole_totals = CheckinTotals()
    whole = "".join(csv_chunks(seeded, HR_ACTOR, TODAY, whole_totals))

    monkeypatch.setattr(report_csv, "CSV_CHUNK_PLANS", 2)
    totals = CheckinTotals()
    chunks = list(csv_chunks(seeded, HR_ACTOR, TODAY, totals))

    assert "".join(chunks) == whole
    assert len(chunks) > 4  # the header, then chunks, some of them empty
    assert totals == whole_totals
    assert org_report(seeded, HR_ACTOR, TODAY, counted=totals) == org_report(
        seeded, HR_ACTOR, TODAY
    )
    plan_ids = [row[0] for row in csv.reader(io.StringIO(whole, newline=""))][1:]
    assert plan_ids == [f"PIP-{x}" for x in "A1 B2 C3 D4 E5 F6 G7 H8".split()] + [
        "PIP-Z0",
        "PIP-Z4",
    ]


def test_readers_side_by_side_write_the_same_csv_in_order(seeded: Session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Three connections reading chunks of two plans at once: the one reader's bytes, in plan
    order, with the same totals; a session's uncommitted plan is not theirs to see."""
    for n in range(9):
        add_plan(
            seeded,
            f"PIP-R{n}",
            status=PlanStatus.CLOSED if n % 3 == 0 else PlanStatus.ACTIVE,
            outcome=Outcome.SUCCESSFUL if n % 3 == 0 else None,
            start=date(2027, 3, 1),
            end=date(2027, 4, 30),
            requested=date(2027, 3, 1),
        )
    seeded.commit()
    monkeypatch.setattr(report_csv, "CSV_CHUNK_PLANS", 2)
    one_totals, side_totals = CheckinTotals(), CheckinTotals()
    one = "".join(csv_chunks(seeded, HR_ACTOR, TODAY, one_totals))
    side = list(csv_chunks(seeded, HR_ACTOR, TODAY, side_totals, readers=3))

    assert "".join(side) == one and side_totals == one_totals
    assert len(side) == 1 + 9  # the header and 17 plans' ids, two a chunk
    add_plan(
        seeded,
        "PIP-UNSAVED",
        status=PlanStatus.ACTIVE,
        start=date(2027, 3, 1),
        end=date(2027, 4, 30),
        requested=date(2027, 3, 1),
    )
    seeded.flush()
    assert "PIP-UNSAVED" in "".join(csv_chunks(seeded, HR_ACTOR, TODAY))
    assert "PIP-UNSAVED" not in "".join(csv_chunks(seeded, HR_ACTOR, TODAY, readers=2))
    seeded.rollback()
