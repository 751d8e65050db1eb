"""The exported record as a PDF: the same content as the HTML, laid out for paper and filing.

fpdf2 draws it: pure Python (no system libraries), real text (selectable and searchable), a
header and footer hook on every page with the page count filled in at the end, A4 and Letter,
tables that break across pages, and the goal-status chart the HTML shows (the same marks,
drawn in bands of at most 24 check-ins so that dates stay legible). DejaVu Sans (fonts/, with
its licence) is embedded, so any script people type prints the same everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from models import GoalStatus
from services.labels import FIELD_LABELS, NO_STATUS, status_label
from services.record.chart import STATUS_COLOURS
from services.record.model import MarkRecord, PlanRecord
from services.record.pdf_page import (
    CONFIDENTIAL,
    GREY,
    PRIVATE_FILL,
    UNPRINTABLE_NOTE,
    Pen,
    Unprintable,
)
from services.record.times import format_day

# The chart's geometry in mm: the goal labels' column, the dates' band above the marks, a
# row per goal, a column per check-in (narrower when a band is full), check-ins per band.
_LABELS, _DATES, _ROW, _COLUMN, _BAND = 16.0, 13.0, 6.0, 9.0, 24
# Each status's mark and its size from the centre (mm); anything else is a small dot.
_SHAPES = {
    GoalStatus.ON_TRACK.value: ("circle", 1.8),
    GoalStatus.AT_RISK.value: ("diamond", 2.0),
    GoalStatus.OFF_TRACK.value: ("square", 1.6),
}


class _Writer(Pen):
    """The record's sections, in the HTML's order, written onto `Document` pages."""

    def write(self) -> bytes:
        record, pdf = self.record, self.pdf
        pdf.add_page()
        self.text(f"Performance improvement plan {record.public_id}", size=17, bold=True)
        self.gap(1)
        self.text(
            f"Record exported {self.when(record.generated_at)} for "
            f"{self.party(record.requested_by)}. Status: {record.status}.",
            size=9.5,
            colour=GREY,
        )
        self.text(record.zone_line, size=9.5, colour=GREY)
        if self.note_unprintable:
            self.text(UNPRINTABLE_NOTE, size=9.5, colour=GREY)
        self.gap(1)
        private = (
            "Includes the manager's private notes (manager and HR only)."
            if record.include_private
            else "The manager's private notes are not part of this copy."
        )
        self.text(f"{CONFIDENTIAL}. {private}", size=9.5, bold=True, colour=(142, 27, 27))
        self._parties()
        self._content()
        self._acknowledgement()
        self._chart()
        self._checkins()
        self._amendments()
        self._pauses()
        self._outcome()
        self._seals()
        self._history()
        return pdf.finish()

    def _parties(self) -> None:
        record = self.record
        self.heading("Parties and dates")
        self.facts(
            [
                ("Employee", self.party(record.employee)),
                ("Manager", self.party(record.manager)),
                ("Opened", self.when(record.created_at)),
                ("Start date", format_day(record.start_date)),
                ("End date", format_day(record.end_date)),
                ("Check-ins", record.cadence),
                ("Status", record.status),
            ]
        )

    def _content(self) -> None:
        record = self.record
        self.heading(FIELD_LABELS["issues"])
        self.block(record.issues)
        self.heading(FIELD_LABELS["expectations"])
        self.block(record.expectations)
        self.heading("SMART goals")
        self.table(
            [
                [str(g.number), g.description, g.measure, g.target, format_day(g.due_date)]
                for g in record.goals
            ],
            widths=(7, 52, 40, 35, 26),
            heading=("#", "Goal", "How it is measured", "Target", "Due"),
        )
        self.heading("Action steps")
        if record.steps:
            for step in record.steps:
                due = f" (by {format_day(step.due_date)})" if step.due_date else ""
                self.text(f"{step.number}. {step.description}{due}")
        else:
            self.text("No action steps.", colour=GREY)
        self.heading(FIELD_LABELS["support"])
        self.block(record.support)
        self.heading(FIELD_LABELS["consequences"])
        self.block(record.consequences)

    def _acknowledgement(self) -> None:
        record = self.record
        self.heading("Acknowledgement and response")
        self.text("The employee acknowledges receipt of the plan, not agreement with it.")
        self.gap(1)
        if record.acknowledged_current:
            acknowledged = self.when(record.acknowledged_at)
        elif record.acknowledged_at:
            acknowledged = (
                "Not for the current version (an earlier version on "
                f"{self.when(record.acknowledged_at)})"
            )
        else:
            acknowledged = "Not acknowledged"
        rows = [("Requested", self.when(record.ack_requested_at)), ("Acknowledged", acknowledged)]
        if len(record.acknowledgements) > 1:
            every = "; ".join(self.when(at) for at in record.acknowledgements)
            rows.append(("Every acknowledgement", every))
        response = f"written {self.when(record.responded_at)}" if record.response else "None"
        rows.append(("Response", response))
        self.facts(rows)
        if record.response:
            self.heading("The employee's response", level=3)
            self.text(record.response)

    def _chart(self) -> None:
        record = self.record
        self.heading("Goal status timeline", new_page=True)
        self.text(
            "The manager's status where the check-in was reviewed, else the employee's own. "
            "Circle: on track; diamond: at risk; square: off track; dot: no status.",
            size=9,
            colour=GREY,
        )
        self.gap(2)
        if not record.timeline.dates:
            self.text("No check-ins yet.", colour=GREY)
            return
        dates = record.timeline.dates
        bands = math.ceil(len(dates) / _BAND)
        per_band = math.ceil(len(dates) / bands)
        for first in range(0, len(dates), per_band):
            self._band(first, min(first + per_band, len(dates)))
        self._legend()
        self.gap(3)
        self.text("The same timeline in words, goal by goal:", size=9, colour=GREY)
        for number, row in zip(record.timeline.goal_numbers, record.timeline.rows, strict=True):
            cells = "; ".join(f"{format_day(c.occurrence_date)}: {c.label}" for c in row)
            self.text(f"Goal {number} · {cells}", size=8)

    def _band(self, first: int, last: int) -> None:
        """Check-ins `first` to `last` (exclusive) of the chart: a row per goal, dates above."""
        pdf, timeline = self.pdf, self.record.timeline
        height = _DATES + len(timeline.goal_numbers) * _ROW + 3
        self.keep(height)
        left = pdf.l_margin + _LABELS
        column = min(_COLUMN, (pdf.epw - _LABELS - 10) / _BAND)
        top = pdf.y + _DATES
        for i, day in enumerate(timeline.dates[first:last]):
            x = left + (i + 0.5) * column
            label = day.isoformat()
            pdf.put(x - 1, top - 3, 3, label, bold=False, size=6.5, colour=GREY, angle=45)
        for r, number in enumerate(timeline.goal_numbers):
            y = top + (r + 0.5) * _ROW
            label = f"Goal {number}"
            x = left - 2 - pdf.width(label, False, 8)
            pdf.put(x, y - _ROW / 2, _ROW, label, bold=False, size=8)
            pdf.rule(left, y, left + (last - first) * column, (224, 224, 224))
            for c, cell in enumerate(timeline.rows[r][first:last]):
                self._mark(cell.status, left + (c + 0.5) * column, y)
        pdf.y = top + len(timeline.goal_numbers) * _ROW + 3

    def _legend(self) -> None:
        pdf = self.pdf
        self.keep(_ROW)
        x, y = pdf.l_margin + _LABELS, pdf.y + _ROW / 2
        for status in STATUS_COLOURS:
            label = status_label(status)
            self._mark(status, x, y)
            pdf.put(x + 3.5, y - _ROW / 2, _ROW, label, bold=False, size=8)
            x += 3.5 + pdf.width(label, False, 8) + 6
        pdf.y += _ROW

    def _mark(self, status: str, x: float, y: float) -> None:
        """A status mark centred on (x, y): circle, diamond, square or small dot, as the HTML."""
        colour = STATUS_COLOURS.get(status, STATUS_COLOURS[NO_STATUS])
        rgb = (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))
        shape, size = _SHAPES.get(status, ("circle", 0.9))
        self.pdf.mark(shape, x, y, size, rgb)

    def _marks(self, marks: Sequence[MarkRecord]) -> str:
        return "; ".join(f"{m.goal}: {m.label}" for m in marks)

    def _checkins(self) -> None:
        record = self.record
        self.heading(f"Check-ins ({len(record.checkins)})", new_page=True)
        if not record.checkins:
            self.text("No check-ins yet.", colour=GREY)
        for checkin in record.checkins:
            sa, review = checkin.self_assessment, checkin.review
            self.heading(
                f"Check-in {checkin.number}: {format_day(checkin.occurrence_date)}", level=3
            )
            answered = (
                f"self-assessment submitted {self.when(sa.submitted_at)}"
                if sa
                else "no self-assessment"
            )
            reviewed = (
                f"reviewed by {self.party(review.reviewer)}, {self.when(review.reviewed_at)}"
                if review
                else "not reviewed"
            )
            self.text(
                f"{checkin.kind} · {checkin.status} · {answered} · {reviewed}", size=9, colour=GREY
            )
            self.gap(1)
            if checkin.goals:
                self.table(
                    [
                        [
                            row.goal,
                            row.employee.label if row.employee else "—",
                            row.employee.note if row.employee else "",
                            row.manager.label if row.manager else "—",
                            row.manager.note if row.manager else "",
                        ]
                        for row in checkin.goals
                    ],
                    widths=(20, 20, 50, 20, 50),
                    heading=("Goal", "Employee", "Employee's note", "Manager", "Feedback"),
                    size=8.5,
                )
            facts: list[tuple[str, str]] = []
            if sa:
                facts += [
                    ("Progress", sa.progress or "—"),
                    ("Blockers", sa.blockers or "—"),
                    ("Support needed", sa.support_needed or "—"),
                ]
            if checkin.reply:
                facts.append(("Reply in the thread", checkin.reply))
            if review:
                facts.append(("Next steps", review.next_steps or "—"))
            if facts:
                self.facts(facts)
            if review and review.private_notes is not None:
                self._private(review.private_notes or "—")

    def _private(self, notes: str) -> None:
        self.shaded("Private notes (manager and HR only)", notes, fill=PRIVATE_FILL)

    def _amendments(self) -> None:
        record = self.record
        self.heading("Amendments and extensions")
        if not record.amendments:
            self.text("The plan was not amended.", colour=GREY)
        for amendment in record.amendments:
            self.heading(f"{amendment.kind} {amendment.number}: {self.when(amendment.at)}", level=3)
            self.facts([("By", self.party(amendment.by)), ("Reason", amendment.reason)])
            if amendment.changes:
                self.table(
                    [[c.field, c.before, c.after] for c in amendment.changes],
                    widths=(30, 65, 65),
                    heading=("Changed", "Before", "After"),
                )

    def _pauses(self) -> None:
        record = self.record
        self.heading("Pauses")
        if not record.pauses:
            self.text("The plan was never paused.", colour=GREY)
        for pause in record.pauses:
            self.heading(f"Pause {pause.number}: from {format_day(pause.paused_on)}", level=3)
            planned = (
                f"; planned resume date {format_day(pause.resume_on)}" if pause.resume_on else ""
            )
            self.text(f"Paused by {self.party(pause.paused_by)}{planned}", size=9, colour=GREY)
            self.gap(1)
            if pause.reason is not None:
                self.facts([("Reason", pause.reason)])
            if pause.resumed_on:
                by = (
                    f"by {self.party(pause.resumed_by)}"
                    if pause.resumed_by and pause.resumed_by.user_id != "system"
                    else "on its resume date"
                )
                self.text(
                    f"Resumed {format_day(pause.resumed_on)} {by}, after "
                    f"{pause.business_days} business day(s) paused."
                )
                if pause.end_before and pause.end_after:
                    self.gap(1)
                    self.table(
                        [["End date", format_day(pause.end_before), format_day(pause.end_after)]],
                        widths=(30, 65, 65),
                        heading=("Changed", "Before", "After"),
                    )
            elif record.outcome:
                self.text("Not resumed: the plan was closed while paused.")
            else:
                self.text("Still paused.")

    def _outcome(self) -> None:
        outcome = self.record.outcome
        self.heading("Outcome")
        if outcome is None:
            self.text("The plan is still open.", colour=GREY)
            return
        closed = self.when(outcome.closed_at) or "—"
        if outcome.closed_by:
            closed += f" by {self.party(outcome.closed_by)}"
        self.facts(
            [
                ("Outcome", outcome.label),
                ("Effective", format_day(outcome.effective_date) or "—"),
                ("Closed", closed),
            ]
        )
        self.heading("Summary", level=3)
        self.block(outcome.summary)
        if outcome.final_marks:
            self.heading("Goals at the close", level=3)
            for mark in outcome.final_marks:
                self.text(f"{mark.goal}: {mark.label}")

    def _seals(self) -> None:
        record = self.record
        self.heading("Witnessed copies of the history")
        self.text(
            "At the acknowledgement, each amendment or extension, each pause and the close, "
            "PIP Bot sent the history's event count and SHA-256 hash into Slack, in the "
            "employee's direct messages and the HR channel, where the database cannot change "
            "them. python bot.py verify and /pip verify compare those copies with this "
            "history.",
            size=9,
            colour=GREY,
        )
        self.gap(1)
        if not record.seals:
            self.text("No sealed copy has been sent yet.", colour=GREY)
            return
        self.table(
            [
                [self.when(s.sent_at), s.where, str(s.events), s.hash, "Yes" if s.matches else "No"]
                for s in record.seals
            ],
            widths=(32, 36, 14, 60, 18),
            heading=("Sent", "Where", "Events", "SHA-256", "Matches"),
            size=8,
        )

    def _history(self) -> None:
        record = self.record
        chain = record.chain
        self.heading("History", new_page=True)
        if chain.intact:
            self.text(
                f"The history's hash chain verifies: {chain.events} events, each sealed with "
                "SHA-256 over its content and the previous event's hash.",
                bold=True,
                colour=(27, 94, 32),
            )
        else:
            self.text(
                f"The history's hash chain does NOT verify: event {chain.first_broken} does not "
                "match its content or its predecessor; this history may have been altered.",
                bold=True,
                colour=(183, 28, 28),
            )
        self.text(f"Last hash: {chain.head}", size=8.5, colour=GREY)
        self.gap(2)
        for event in record.history:
            self.keep(14)
            self.text(
                f"{event.sequence}. {event.title} · {self.when(event.at)} · "
                f"{self.party(event.actor)}",
                size=9.5,
                bold=True,
            )
            with self.indented(5):
                for line in event.summary:
                    self.text(line, size=9)
                self.text(f"SHA-256 {event.hash}", size=7.5, colour=GREY)
            self.gap(1.2)


def render_pdf(record: PlanRecord, *, org_name: str = "", paper_size: str = "A4") -> bytes:
    """The record as a PDF on `paper_size` (A4 or Letter), `org_name` heading every page."""
    try:
        return _Writer(record, org_name, paper_size, note_unprintable=False).write()
    except Unprintable:
        # Rare: start again, saying at the top that some characters could not be printed.
        return _Writer(record, org_name, paper_size, note_unprintable=True).write()
