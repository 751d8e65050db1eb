"""The exported record: every part of a full plan in HTML and Markdown, private notes by role."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from models import (
    ActionStep,
    Cadence,
    Goal,
    GoalStatus,
    Outcome,
    Plan,
    PlanEvent,
    PlanStatus,
)
from services import audit
from services.access import Actor
from services.checkins import GoalMark, record_answer, record_review, scheduled_checkin
from services.errors import PlanNotFound
from services.export import (
    PlanRecord,
    export_filename,
    plan_record,
    render_html,
    render_markdown,
)
from services.export_pdf import render_pdf
from services.plans import acknowledge, respond, snapshot
from services.users import Profile, remember
from tests.constants import EMPLOYEE, HR, MANAGER, OUTSIDER

PUBLIC_ID = "PIP-7K3Q9A"
EMPLOYEE_TZ = "Europe/Paris"  # the record's times are in the employee's zone
START = date(2027, 1, 4)  # a Monday; check-ins are on Wednesdays
END = START + timedelta(days=89)
CHECKIN_DATES = [START + timedelta(days=2 + 7 * k) for k in range(12)]
GOALS = [f"Goal text {n}: ship review {n} on time" for n in range(1, 11)]
SCRIPT = "<script>alert('pwned')</script>"
ISSUES = f"2 Nov: missed the release review. Pasted from a ticket: {SCRIPT}"
RESPONSE = "I was covering two on-call rotations in November; I accept the plan."
AMEND_REASON = "Incident reports now due within 48 hours, per the new policy."
OUTCOME_SUMMARY = "Every goal met for the last six weeks; the plan ends successfully."
MANAGER_VIEWERS = [Actor(MANAGER), Actor(HR, is_hr=True)]
ROTATION = [GoalStatus.ON_TRACK, GoalStatus.AT_RISK, GoalStatus.OFF_TRACK]
MARK_CLASS = re.compile(r'class="mark (on_track|at_risk|off_track|none)"')


def private_note(n: int) -> str:
    """The private note of check-in `n`, unique enough to search for."""
    return f"Private note {n}: consider HR referral (confidential-{n:02d})"


def at(day: date, hour: int = 10) -> datetime:
    """An aware UTC time on `day`."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def clock(when: datetime) -> time_machine.travel:
    """Stop the clock at `when`, so that history events carry the times they happened."""
    return time_machine.travel(when, tick=False)


def build_plan(db: Session) -> Plan:
    """A closed plan with 10 goals, 12 check-ins (11 reviewed), an amendment and a response."""
    remember(db, Profile(MANAGER, name="maria", real_name="Maria Manager"))
    remember(db, Profile(EMPLOYEE, name="eli", real_name="Eli Employee", tz=EMPLOYEE_TZ))
    plan = Plan(
        public_id=PUBLIC_ID,
        team_id="T1",
        employee_id=EMPLOYEE,
        manager_id=MANAGER,
        issues=ISSUES,
        expectations="Reviews on time; incident reports within 24 hours.",
        support="Weekly pairing with a senior engineer.",
        consequences="Further action up to and including dismissal.",
        start_date=START,
        end_date=END,
        cadence=Cadence.WEEKLY,
        checkin_weekday=2,
        status=PlanStatus.ACTIVE,
        ack_requested_at=at(START, 9),
        created_at=at(START, 9),
        goals=[
            Goal(
                position=i,
                description=text_,
                measure=f"Measure text {i + 1}",
                target=f"Target text {i + 1}",
                due_date=START + timedelta(days=60 + i),
            )
            for i, text_ in enumerate(GOALS)
        ],
        steps=[
            ActionStep(position=0, description="Shadow the on-call lead", due_date=START),
            ActionStep(position=1, description="Read the incident handbook", due_date=None),
        ],
    )
    employee, manager = Actor(EMPLOYEE), Actor(MANAGER)
    with clock(at(START, 9)):
        db.add(plan)
        db.flush()
        audit.append_event(db, plan, MANAGER, "created", snapshot(plan))
    with clock(at(START, 11)):
        acknowledge(db, employee, PUBLIC_ID, None, at(START, 11))
    with clock(at(START, 12)):
        respond(db, employee, PUBLIC_ID, RESPONSE, at(START, 12))
    for k, day in enumerate(CHECKIN_DATES):
        number = k + 1
        goals = plan.goals if number < 12 else plan.goals[:9]  # the last answer skips goal 10
        with clock(at(day, 11)):
            checkin = scheduled_checkin(db, plan, day)
            record_answer(
                db,
                employee,
                checkin.id,
                marks=[
                    GoalMark(g.id, ROTATION[(g.position + k) % 3], f"Employee note {number}.{i}")
                    for i, g in enumerate(goals, start=1)
                ],
                progress=f"Progress at check-in {number}" + (f" {SCRIPT}" if number == 1 else ""),
                blockers=f"Blockers at check-in {number}",
                support_needed="More pairing time",
                now=at(day, 11),
            )
        if number == 12:  # the last check-in is answered but not reviewed yet
            continue
        review_day = day + timedelta(days=1)
        with clock(at(review_day)):
            record_review(
                db,
                manager,
                checkin_id=checkin.id,
                plan_id=None,
                marks=[GoalMark(g.id, GoalStatus.ON_TRACK, f"Feedback {number}") for g in goals],
                next_steps=f"Next steps after check-in {number}",
                private_notes=private_note(number),
                today=review_day,
                now=at(review_day),
            )
    before, after = plan.expectations, "Reviews on time; incident reports within 48 hours."
    with clock(at(CHECKIN_DATES[3], 15)):
        plan.expectations = after
        plan.ack_requested_at = at(CHECKIN_DATES[3], 15)
        audit.append_event(
            db,
            plan,
            MANAGER,
            "amended",
            {
                "reason": AMEND_REASON,
                "changes": {"expectations": {"before": before, "after": after}},
            },
        )
    with clock(at(CHECKIN_DATES[3], 16)):
        acknowledge(db, employee, PUBLIC_ID, None, at(CHECKIN_DATES[3], 16))
    closed_at = at(plan.end_date, 14)
    with clock(closed_at):
        plan.status = PlanStatus.CLOSED
        plan.outcome = Outcome.SUCCESSFUL
        plan.outcome_summary = OUTCOME_SUMMARY
        plan.outcome_effective_date = plan.end_date
        plan.closed_at = closed_at
        audit.append_event(
            db,
            plan,
            MANAGER,
            "closed",
            {
                "outcome": Outcome.SUCCESSFUL.value,
                "summary": OUTCOME_SUMMARY,
                "effective_date": plan.end_date,
                "goals": [{"goal_id": g.id, "status": "on_track"} for g in plan.goals],
            },
        )
        db.commit()
    return plan


def export(db: Session, actor: Actor) -> tuple[PlanRecord, str, str]:
    """The record, its HTML and its Markdown as `actor` gets them."""
    record = plan_record(db, actor, PUBLIC_ID, now=at(date(2027, 4, 5)))
    return record, render_html(record), render_markdown(record)


def history_part(document: str) -> str:
    """The History section of an HTML or Markdown export."""
    return document[document.index("History</h2>" if "<html" in document else "## History") :]


@pytest.mark.parametrize("actor", [Actor(MANAGER), Actor(EMPLOYEE), Actor(HR, is_hr=True)])
def test_every_part_of_the_plan_is_in_both_documents(db: Session, actor: Actor) -> None:
    build_plan(db)
    record, html, markdown = export(db, actor)
    assert len(record.goals) == 10 and len(record.checkins) == 12
    for document in (html, markdown):
        for goal in GOALS:
            assert goal in document
        for n in range(1, 11):
            assert f"Measure text {n}" in document and f"Target text {n}" in document
        for day in CHECKIN_DATES:
            assert f"{day:%a %-d %b %Y}" in document  # dates with their weekday
        for n in range(1, 13):
            assert f"Progress at check-in {n}" in document
        for n in range(1, 12):
            assert f"Next steps after check-in {n}" in document
        assert AMEND_REASON in document
        assert "incident reports within 48 hours." in document  # the amendment's "after"
        assert RESPONSE in document
        assert OUTCOME_SUMMARY in document
        assert "Successful" in document
        assert "Shadow the on-call lead" in document and "Read the incident handbook" in document
        assert "Weekly pairing with a senior engineer." in document
        assert "Further action up to and including dismissal." in document
        assert "Eli Employee" in document and "Maria Manager" in document
        assert "Every week on Wednesdays" in document
        assert "Mon 4 Jan 2027 12:00 CET" in document  # the first acknowledgement, local
        assert "Times are in Europe/Paris time (CEST), the time zone of Eli Employee." in document
        assert "hash chain" in document and "verifies" in document


def test_history_lists_every_event_with_its_actor(db: Session) -> None:
    plan = build_plan(db)
    record, html, markdown = export(db, Actor(MANAGER))
    kinds = [e.kind for e in audit.history(db, plan)]
    assert [e.kind for e in record.history] == kinds
    assert len(kinds) == 1 + 2 + 12 + 11 + 2 + 1  # created, ack+response, answers, reviews, ...
    assert record.chain.intact and record.chain.events == len(kinds)
    for event in record.history:
        assert event.hash[:12] in html and event.hash[:12] in markdown
        assert event.title in html and event.title in markdown
    assert record.history[0].actor.name == "Maria Manager"
    assert record.history[0].at == at(START, 9) and record.history[-1].at == at(END, 14)
    assert "Plan opened</strong> · Mon 4 Jan 2027 10:00 CET · Maria Manager" in html
    assert record.acknowledgements == [at(START, 11), at(CHECKIN_DATES[3], 16)]
    assert len(record.acknowledgements) == 2 and record.acknowledged_current


@pytest.mark.parametrize("actor", MANAGER_VIEWERS, ids=["manager", "hr"])
def test_manager_and_hr_see_private_notes(db: Session, actor: Actor) -> None:
    build_plan(db)
    record, html, markdown = export(db, actor)
    assert record.include_private
    for document in (html, markdown):
        for n in range(1, 12):
            assert private_note(n) in document
        assert private_note(5) in history_part(document)


def test_employee_export_has_no_private_notes_anywhere(db: Session) -> None:
    build_plan(db)
    record, html, markdown = export(db, Actor(EMPLOYEE))
    assert not record.include_private
    assert all(c.review is None or c.review.private_notes is None for c in record.checkins)
    assert all("private_notes" not in e.data for e in record.history)
    for document in (html, markdown):
        assert "confidential-" not in document
        assert "Private note" not in document
        assert "Private notes:" not in history_part(document)
        assert "Next steps after check-in 5" in history_part(document)  # the review is there


def test_names_fall_back_to_the_user_id(db: Session) -> None:
    build_plan(db)
    record, html, _ = export(db, Actor(HR, is_hr=True))
    assert record.requested_by.name == HR  # never cached
    assert f"for {HR}." in html


@pytest.mark.parametrize("who", [Actor(OUTSIDER), Actor("UOTHERMGR")])
def test_unrelated_actor_gets_plan_not_found(db: Session, who: Actor) -> None:
    build_plan(db)
    with pytest.raises(PlanNotFound):
        plan_record(db, who, PUBLIC_ID, now=at(date(2027, 4, 5)))


def test_unknown_plan_is_not_found(db: Session) -> None:
    with pytest.raises(PlanNotFound):
        plan_record(db, Actor(HR, is_hr=True), "PIP-000000", now=at(date(2027, 4, 5)))


def test_plan_id_may_be_typed_loosely(db: Session) -> None:
    build_plan(db)
    record = plan_record(db, Actor(EMPLOYEE), "7k3q9a", now=at(date(2027, 4, 5)))
    assert record.public_id == PUBLIC_ID


def test_user_text_is_escaped_in_html(db: Session) -> None:
    build_plan(db)
    _, html, markdown = export(db, Actor(MANAGER))
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in html
    assert SCRIPT in markdown  # Markdown carries the text as written


def test_every_value_is_escaped_once_in_html(db: Session) -> None:
    """Each way a value reaches the HTML (as is, through a macro, in a table, in a list)
    escapes it exactly once: the text once escaped is there, twice escaped is not."""
    build_plan(db)
    record, _, _ = export(db, Actor(MANAGER))

    def typed(where: str) -> str:
        return f"{where}: Q&A <b>\"x\"</b> 'y'"

    first, amendment = record.checkins[0], record.amendments[0]
    assert first.self_assessment and first.review and record.outcome
    goals = [replace(first.goals[0], employee=replace(first.goals[0].employee, note=typed("note")))]
    record = replace(
        record,
        issues=typed("issues"),
        response=typed("response"),
        employee=replace(record.employee, name=typed("name")),
        goals=[replace(record.goals[0], description=typed("goal"))] + record.goals[1:],
        steps=[replace(record.steps[0], description=typed("step"))] + record.steps[1:],
        checkins=[
            replace(
                first,
                self_assessment=replace(first.self_assessment, progress=typed("progress")),
                review=replace(first.review, private_notes=typed("private")),
                goals=goals + first.goals[1:],
            )
        ]
        + record.checkins[1:],
        amendments=[
            replace(
                amendment,
                reason=typed("reason"),
                changes=[replace(amendment.changes[0], before=typed("before"))],
            )
        ],
        history=[replace(record.history[0], summary=[typed("event")]), *record.history[1:]],
        outcome=replace(record.outcome, summary=typed("summary")),
    )
    html = render_html(record)
    for where in (
        "issues", "response", "name", "goal", "step", "note", "progress", "private", "reason",
        "before", "event", "summary",
    ):  # fmt: skip
        assert f"{where}: Q&amp;A &lt;b&gt;&#34;x&#34;&lt;/b&gt; &#39;y&#39;" in html, where
    assert "&amp;amp;" not in html and "&amp;lt;" not in html and "&amp;#" not in html
    assert "<b>" not in html


def test_html_is_a_complete_self_contained_document(db: Session) -> None:
    build_plan(db)
    _, html, _ = export(db, Actor(MANAGER))
    assert html.startswith("<!doctype html>")
    assert '<meta charset="utf-8">' in html
    assert "@media print" in html and "break-before: page" in html
    assert html.rstrip().endswith("</html>")
    urls = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert all(u.startswith(("data:", "#")) for u in urls), urls
    assert re.findall(r"https?://[^\s\"'<]+", html) == ["http://www.w3.org/2000/svg"]


def test_chart_has_one_mark_per_goal_and_checkin(db: Session) -> None:
    build_plan(db)
    record, html, _ = export(db, Actor(EMPLOYEE))
    chart = html[html.index('<svg xmlns="http://www.w3.org/2000/svg" id="goal-status-chart"') :]
    chart = chart[: chart.index("</svg>") + len("</svg>")]
    assert 'role="img"' in chart and '<title id="goal-status-chart-title">' in chart
    marks = MARK_CLASS.findall(chart)
    assert len(marks) == 120 == len(MARK_CLASS.findall(html))
    # Reviewed check-ins show the manager's status (all on track); the last shows the
    # employee's own, and goal 10 has none there.
    last = {cell.goal_number: cell for cell in (row[-1] for row in record.timeline.rows)}
    assert marks.count("none") == 1 and last[10].status == "none"
    assert marks.count("on_track") == 110 + 3
    assert marks.count("at_risk") == 3 and marks.count("off_track") == 3
    assert last[1].status == ROTATION[(0 + 11) % 3].value
    assert last[1].source == "employee's self-assessment"
    assert record.timeline.rows[0][0].source == "manager's review"
    for n in range(1, 11):
        assert f">Goal {n}</text>" in chart
    for day in CHECKIN_DATES:
        assert f">{day.isoformat()}</text>" in chart
    for label in ("On track", "At risk", "Off track", "No status"):
        assert f">{label}</text>" in chart


def test_markdown_keeps_lists_and_the_text_timeline(db: Session) -> None:
    build_plan(db)
    _, _, markdown = export(db, Actor(MANAGER))
    assert markdown.startswith(f"# Performance improvement plan {PUBLIC_ID}\n")
    assert "| " not in markdown  # no tables for user text to break
    assert "```text\n" in markdown and "Goal 10" in markdown
    assert "10. **Goal 10:** " + GOALS[9] in markdown


def test_a_tampered_history_is_reported(db: Session) -> None:
    build_plan(db)
    # Bypass the ORM (which refuses updates) the way someone editing the database would.
    db.execute(
        text("UPDATE plan_events SET actor_id = 'UFORGED' WHERE sequence = 3 AND plan_id = :p"),
        {"p": db.query(Plan.id).filter(Plan.public_id == PUBLIC_ID).scalar()},
    )
    db.commit()
    db.expire_all()
    record, html, markdown = export(db, Actor(HR, is_hr=True))
    assert not record.chain.intact and record.chain.first_broken == 3
    assert "does NOT verify" in html and "does NOT verify" in markdown


def test_open_plan_without_checkins(db: Session) -> None:
    build_plan(db)
    plan = Plan(
        public_id="PIP-NEW123",
        team_id="T1",
        employee_id="UNEWEMP",
        manager_id=MANAGER,
        issues="Late",
        expectations="On time",
        consequences="Dismissal",
        start_date=START,
        end_date=START + timedelta(days=30),
        cadence=Cadence.BIWEEKLY,
        checkin_weekday=0,
        goals=[Goal(position=0, description="Be on time", measure="m", target="t", due_date=START)],
    )
    db.add(plan)
    db.flush()
    audit.append_event(db, plan, MANAGER, "created", snapshot(plan))
    goals_before = snapshot(plan)["goals"]
    goals_after = [{**goals_before[0], "description": "Be on time, every time"}]
    audit.append_event(
        db,
        plan,
        MANAGER,
        "amended",
        {
            "reason": "Clearer goal",
            "changes": {"goals": {"before": goals_before, "after": goals_after}},
        },
    )
    audit.append_event(
        db,
        plan,
        MANAGER,
        "extended",
        {
            "reason": "Holidays",
            "changes": {"end_date": {"before": "2027-02-03", "after": "2027-02-17"}},
        },
    )
    db.commit()
    record = plan_record(db, Actor(MANAGER), "PIP-NEW123", now=at(START))
    html, markdown = render_html(record), render_markdown(record)
    assert record.outcome is None and record.checkins == []
    assert [(a.kind, a.reason) for a in record.amendments] == [
        ("Amendment", "Clearer goal"),
        ("Extension", "Holidays"),
    ]
    goals_change = record.amendments[0].changes[0]
    assert goals_change.field == "Goals"
    assert goals_change.before.startswith(
        "1. Be on time (measure: m, target: t, due: Mon 4 Jan 2027"
    )
    assert goals_change.after.startswith("1. Be on time, every time (")
    for document in (html, markdown):
        assert "Extension 2" not in document and "Extension 1" in document
        assert "Wed 3 Feb 2027" in document and "Wed 17 Feb 2027" in document
        assert "Be on time, every time" in document
    assert record.status == "Waiting for acknowledgement"
    assert "No check-ins yet." in html and "No check-ins yet." in markdown
    assert "The plan is still open." in html and "Every two weeks on Mondays" in markdown
    assert 'class="mark ' not in html
    assert "UNEWEMP" in html  # no cached name


def test_export_filename(db: Session) -> None:
    build_plan(db)
    record = plan_record(db, Actor(MANAGER), PUBLIC_ID, now=at(START))
    assert export_filename(record, "html") == "PIP-7K3Q9A-record.html"
    assert export_filename(record, ".md") == "PIP-7K3Q9A-record.md"


def test_the_chart_has_a_text_alternative_in_words(db: Session) -> None:
    build_plan(db)
    record, html, markdown = export(db, Actor(MANAGER))
    # HTML: a table beside the chart, a row per goal, a column per check-in, statuses as words.
    table = html[
        html.index('<table class="timeline"') : html.index(
            "</table>", html.index('<table class="timeline"')
        )
    ]
    assert table.count('<th scope="row">') == len(record.timeline.rows) == 10
    assert table.count("<td>") == 10 * 12
    for label in ("On track", "At risk", "Off track"):
        assert f"<td>{label}</td>" in table
    assert "<td>+</td>" not in table and "circle" not in table
    # Markdown: the same, goal by goal, after the symbol timeline.
    words = markdown[markdown.index("The same timeline in words") :]
    first = CHECKIN_DATES[0]
    assert f"- Goal 1 · {first:%a %-d %b %Y}: On track; " in words
    assert words[: words.index("\n## ")].count("\n- Goal ") == 10


def test_an_earlier_close_on_the_old_scale_still_exports(db: Session) -> None:
    """build_plan closes the way plans closed before Met / Partly met / Not met (on_track)."""
    build_plan(db)
    record, html, markdown = export(db, Actor(HR, is_hr=True))
    assert record.status == "Closed: successful"
    assert record.outcome is not None
    assert [m.label for m in record.outcome.final_marks] == ["On track (earlier scale)"] * 10
    assert "Goal 1: <span" in html and "On track (earlier scale)</span>" in html
    assert "- Goal 1 at the close: On track (earlier scale)" in markdown
    pdf = render_pdf(record)  # the PDF carries the same marks (services/export_pdf.py)
    assert pdf.startswith(b"%PDF")


def test_a_close_on_the_new_scale_exports_its_words(db: Session) -> None:
    plan = build_plan(db)
    closed = db.scalars(
        select(PlanEvent).where(PlanEvent.plan_id == plan.id, PlanEvent.kind == "closed")
    ).one()
    results = ["met", "partly_met", "not_met"] + ["met"] * 7
    data = {
        **closed.data,
        "goals": [{"goal_id": g.id, "status": r} for g, r in zip(plan.goals, results, strict=True)],
    }
    # Written as a close on the new scale would have written it (the ORM refuses updates).
    db.execute(
        text("UPDATE plan_events SET data = :data WHERE id = :id"),
        {"data": json.dumps(data, default=str), "id": closed.id},
    )
    db.commit()
    db.expire_all()
    record, html, markdown = export(db, Actor(HR, is_hr=True))
    assert record.outcome is not None
    assert [m.label for m in record.outcome.final_marks][:3] == ["Met", "Partly met", "Not met"]
    assert "- Goal 2 at the close: Partly met" in markdown
    assert "Not met</span>" in html
