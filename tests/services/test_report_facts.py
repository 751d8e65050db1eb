"""A closed plan's kept line of the report (services.report_facts): written at close and by
the housekeeping, read by the report only while it holds, mended when it disagrees."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from models import FinalResult, Plan, PlanReportFacts, PlanStatus
from services import report_facts
from services.report import org_report, report_csv, write_report
from services.report_breakdown import breakdown
from services.report_csv import CheckinTotals, csv_chunks
from tests.scheduler.test_housekeeping import _closed_plan
from tests.services.test_report import HR_ACTOR, TODAY, seed, set_final_results

NOW = datetime(2027, 3, 10, 12, tzinfo=UTC)  # TODAY's noon


def _report(db: Session) -> tuple[str, CheckinTotals]:
    totals = CheckinTotals()
    text = "".join(csv_chunks(db, HR_ACTOR, TODAY, totals))
    db.rollback()
    return text, totals


def _line(text: str, public_id: str) -> str:
    [line] = [line for line in text.split("\r\n") if line.startswith(f"{public_id},")]
    return line


def _closed_ids(db: Session) -> set[int]:
    return set(db.scalars(select(Plan.id).where(Plan.status == PlanStatus.CLOSED)))


def test_kept_lines_are_the_worked_out_lines(
    db: Session, session_factory: sessionmaker[Session]
) -> None:
    """The eight hand-computed plans: settled, the CSV and its totals are byte for byte the
    ones worked out from the check-ins; every closed plan has its row, no open plan has one."""
    seed(db)
    db.commit()
    worked_text, worked_totals = _report(db)
    assert db.scalar(select(func.count()).select_from(PlanReportFacts)) == 0
    db.rollback()  # SQLite: the settle's writes wait for no one

    assert report_facts.settle(session_factory, NOW) == len(_closed_ids(db)) > 0
    kept_ids = set(db.scalars(select(PlanReportFacts.plan_id)))
    db.rollback()

    assert kept_ids == _closed_ids(db)
    assert _report(db) == (worked_text, worked_totals)
    assert report_facts.settle(session_factory, NOW) == 0  # nothing disagrees: nothing written


def test_the_report_reads_a_kept_row_and_the_housekeeping_mends_it_the_week_after_close(
    db: Session, session_factory: sessionmaker[Session]
) -> None:
    """A kept row that disagrees shows in the CSV (so the CSV reads it); the housekeeping
    writes it again from the check-ins while the plan closed less than RECHECK_DAYS ago."""
    seed(db)
    db.commit()
    report_facts.settle(session_factory, NOW)
    worked_text, worked_totals = _report(db)
    plan = db.scalars(select(Plan).where(Plan.public_id == "PIP-E5")).one()
    closed_at = plan.closed_at
    assert closed_at is not None
    db.execute(
        update(PlanReportFacts)
        .where(PlanReportFacts.plan_id == plan.id)
        .values(csv_tail="closed,tampered", due=1000)
    )
    db.commit()

    tampered_text, tampered_totals = _report(db)
    assert _line(tampered_text, "PIP-E5").endswith(",closed,tampered")
    e5_due = int(_line(worked_text, "PIP-E5").split(",")[10])  # checkins_due
    assert tampered_totals.due == worked_totals.due - e5_due + 1000

    late = closed_at + timedelta(days=report_facts.RECHECK_DAYS, hours=1)
    assert report_facts.settle(session_factory, late) == 0  # long closed: not checked again
    assert report_facts.settle(session_factory, closed_at + timedelta(days=1)) == 1
    assert _report(db) == (worked_text, worked_totals)


def test_a_row_of_another_version_or_counting_a_later_checkin_is_not_read(
    db: Session, session_factory: sessionmaker[Session]
) -> None:
    """Rows of another VERSION, and rows counting a check-in after the report's day, are left
    alone: the line is worked out. The housekeeping writes the other version's rows again."""
    seed(db)
    db.commit()
    report_facts.settle(session_factory, NOW)
    worked = _report(db)
    db.execute(
        update(PlanReportFacts).values(csv_tail="closed,stale", version=report_facts.VERSION - 1)
    )
    db.commit()
    assert _report(db) == worked
    assert report_facts.settle(session_factory, NOW) == len(_closed_ids(db))
    db.rollback()
    assert _report(db) == worked

    db.execute(
        update(PlanReportFacts).values(
            csv_tail="closed,stale", last_checkin_on=TODAY + timedelta(days=1)
        )
    )
    db.commit()
    assert _report(db) == worked
    db.execute(update(PlanReportFacts).values(last_checkin_on=TODAY))
    db.commit()
    assert "closed,stale" in _report(db)[0]  # from that day on, the row is read


def test_closing_a_plan_writes_its_row(db: Session) -> None:
    """close_plan writes the row in its own transaction: the line is the worked-out one."""
    closed = datetime(2027, 8, 2, 16, tzinfo=UTC)
    plan = _closed_plan(db, 1, closed)
    row = db.get(PlanReportFacts, plan.id)
    assert row is not None and row.version == report_facts.VERSION
    assert row.due == 1 and row.completed == 1 and row.missed == 0
    assert row.final_results == "Goal 1: Met; Goal 2: Met"
    kept_text = report_csv(db, HR_ACTOR, closed.date())
    db.execute(delete(PlanReportFacts))
    db.commit()
    assert report_csv(db, HR_ACTOR, closed.date()) == kept_text
    assert _line(kept_text, plan.public_id).endswith(
        ",Goal 1: On track; Goal 2: On track,2027-05-05,employee,successful,2027-08-02,"
        "Goal 1: Met; Goal 2: Met"
    )


def test_write_report_works_out_the_figures_beside_the_csv(db: Session) -> None:
    """The figures read on a connection of their own while the CSV is written are those
    worked out one after the other, with the check-in figures from the CSV's pass."""
    seed(db)
    set_final_results(db, "PIP-E5", FinalResult.MET.value, FinalResult.PARTLY_MET.value)
    db.commit()
    out = io.StringIO()

    report, groups = write_report(db, HR_ACTOR, TODAY, out)

    assert out.getvalue() == report_csv(db, HR_ACTOR, TODAY)
    assert report == org_report(db, HR_ACTOR, TODAY)
    assert groups == breakdown(db, HR_ACTOR, TODAY)
    assert report.checkins_due > 0 and any(report.final_results.values())
