"""The PDF record's page: fpdf2 set up with the record's header and footer, and the few ways
the record writes onto it (text, headings, fact lists, tables, a shaded note) in DejaVu Sans.

fpdf2 stays the PDF library: pages, fonts embedded as subsets, outline, metadata, drawing,
compression, "page N of M". The record sets its own type, because fpdf2's `multi_cell` and
`table` measure every character of every cell several times over and parse each font for
every document (a 100-check-in record took 2 s):

- each paragraph is broken into lines once, with glyph widths read once per process;
- lines, cell borders and shading go into the page as PDF operators written directly
  (`Document`), the glyphs registered with fpdf2's subset map as fpdf2's own `text` does,
  but without its per-character loop and per-call state changes;
- the fonts are parsed once per process (pdf_fonts.py); each document gets a copy of the
  parse and, when it is written out, a font already cut down to the characters it may use
  (`cut_face`), so that fpdf2's subsetting runs on a few hundred glyphs instead of DejaVu's
  six thousand.

Those steps use fpdf2 internals (`TTFFont`, `SubsetMap`, `FPDF._out`, `FPDF.page`), which is
why fpdf2 is pinned exactly; tests/services/test_export_pdf.py reads every kind of text back
and checks the embedded fonts, so an upgrade that changes them fails there first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from typing import Any

from fpdf import FPDF

from services.record.model import Party, PlanRecord
from services.record.pdf_fonts import (
    FONT,
    MM_PER_PT,
    Codes,
    break_lines,
    printable_chars,
    read_faces,
    text_width,
)
from services.record.times import format_time

PAPER = {"A4": "A4", "Letter": "Letter"}
CONFIDENTIAL = "Confidential: personnel record"
GREY = (100, 100, 100)
BLACK = (29, 29, 31)
HEADING_FILL = (243, 243, 243)
PRIVATE_FILL = (255, 244, 229)
RULE = (208, 208, 208)
BORDER = (170, 170, 170)
LINE_HEIGHT = 5.0  # mm at 10 pt
PADDING = 1.2  # mm inside a table cell
BOTTOM = 20.0  # mm below the last line of a page

REPLACEMENT = "\ufffd"
UNPRINTABLE_NOTE = (
    "Some characters (such as emoji) cannot be printed with this PDF's font and show as "
    f"{REPLACEMENT}; the HTML copy of the record shows them as written."
)
# fpdf2 logs the glyphs a font lacks, which would put characters people typed into the log.
logging.getLogger("fpdf.output").setLevel(logging.ERROR)


class Unprintable(Exception):
    """The record has characters the font cannot draw, and the page does not say so yet."""


@lru_cache(maxsize=64)
def _rgb(colour: tuple[int, ...]) -> str:
    return " ".join(f"{c / 255:.3f}" for c in colour)


_KAPPA = 0.5523  # a quarter circle as one Bézier curve: control points at this × radius


class Document(FPDF):
    """An FPDF page set-up with the record's header and footer on every page, and the ways
    the record draws: a line of text, a filled band, cell borders, a rule, a status mark.

    These add PDF content operators to the page in one go when the page is done (`flush`,
    through `FPDF._out`), inside a saved graphics state (`q … Q`), so that fpdf2's idea of
    the current font, colours and line width stays true for anything fpdf2 draws. Colour and
    font are set only when they change; lines drawn one after another share a text object.
    """

    def __init__(
        self, record: PlanRecord, org_name: str, printable_org_name: str, paper_size: str
    ) -> None:
        super().__init__(orientation="portrait", unit="mm", format=PAPER[paper_size])
        self.record = record
        self.org_name = printable_org_name
        self.faces = read_faces()
        self.own = {style: face.attach(self) for style, face in self.faces.items()}
        self.codes = {style: Codes(font) for style, font in self.own.items()}
        self.ops: list[str] = []  # this page's operators not yet in the page
        self._tf: dict[tuple[str, float], str] = {}  # font and size -> the Tf operator
        self._in_text = False
        self._fill: tuple[int, ...] | None = None  # as last set in `ops`
        self._font: str | None = None
        self.set_margins(left=18, top=22, right=18)
        self.set_auto_page_break(auto=False, margin=BOTTOM)  # the Pen breaks pages
        self.bottom = self.h - BOTTOM
        self.set_title(f"{record.public_id}: performance improvement plan record")
        self.set_author(printable_org_name or "PIP Bot")
        self.set_creator("PIP Bot")
        self.set_subject(CONFIDENTIAL)
        self.set_creation_date(record.generated_at)

    def flush(self) -> None:
        """Add the operators drawn so far to the current page, in a saved graphics state."""
        if self.ops:
            self._text(False)
            self._out("q\n" + "\n".join(self.ops) + "\nQ")
            self.ops.clear()
        self._fill = None
        self._font = None

    def _text(self, on: bool) -> None:
        """Open or close a text object (lines in a row share one)."""
        if on != self._in_text:
            self.ops.append("BT" if on else "ET")
            self._in_text = on

    def _fill_with(self, colour: tuple[int, ...]) -> None:
        if colour != self._fill:
            self.ops.append(f"{_rgb(colour)} rg")
            self._fill = colour

    def add_page(self, *args: Any, **kwargs: Any) -> None:
        """A new page, once what was drawn on the last one is in it."""
        self.flush()
        super().add_page(*args, **kwargs)

    def width(self, value: str, bold: bool, size: float) -> float:
        """The width of `value` in mm, one line, in DejaVu Sans (bold) at `size` pt."""
        return text_width(value, bold=bold, size=size)

    def put(
        self,
        x: float,
        top: float,
        height: float,
        value: str,
        *,
        bold: bool,
        size: float,
        colour: tuple[int, ...] = BLACK,
        angle: int = 0,
    ) -> None:
        """`value` on one line from `x`, centred in the line box at `top`, turned by `angle`."""
        # `angle` is 0 or 45 (degrees, anticlockwise about the start of the line).
        style = "B" if bold else ""
        glyphs = value.translate(self.codes[style])  # the subset's codes, escaped
        ops = self.ops
        self._text(True)
        self._fill_with(colour)
        font = self._tf.get((style, size))
        if font is None:
            font = self._tf[style, size] = f"/F{self.own[style].i} {size:.2f} Tf"
        if font != self._font:
            ops.append(font)
            self._font = font
        k = self.k
        baseline = top + height / 2 + 0.3 * size * MM_PER_PT
        turn = "0.7071 0.7071 -0.7071 0.7071" if angle else "1 0 0 1"
        ops.append(f"{turn} {x * k:.2f} {(self.h - baseline) * k:.2f} Tm ({glyphs}) Tj")

    def band(
        self, x: float, top: float, width: float, height: float, fill: tuple[int, ...]
    ) -> None:
        """A filled rectangle without border."""
        self._text(False)
        self._fill_with(fill)
        k = self.k
        self.ops.append(
            f"{x * k:.2f} {(self.h - top - height) * k:.2f} {width * k:.2f} {height * k:.2f} re f"
        )

    def cell_borders(self, x: float, top: float, widths: Sequence[float], height: float) -> None:
        """The borders of a row of cells `widths` wide, `height` tall."""
        self._text(False)
        k, h = self.k, self.h
        y1, y2 = (h - top) * k, (h - top - height) * k
        ops = [f"{_rgb(BORDER)} RG {0.2 * k:.2f} w {x * k:.2f} {y2:.2f}"]
        ops.append(f"{sum(widths) * k:.2f} {height * k:.2f} re")
        for width in widths[:-1]:
            x += width
            ops.append(f"{x * k:.2f} {y1:.2f} m {x * k:.2f} {y2:.2f} l")
        self.ops.append(" ".join(ops) + " S")

    def rule(
        self, x1: float, y: float, x2: float, colour: tuple[int, ...], width: float = 0.2
    ) -> None:
        """A horizontal line."""
        self._text(False)
        k = self.k
        y_pt = (self.h - y) * k
        self.ops.append(
            f"{_rgb(colour)} RG {width * k:.2f} w {x1 * k:.2f} {y_pt:.2f} m "
            f"{x2 * k:.2f} {y_pt:.2f} l S"
        )

    def mark(self, shape: str, x: float, y: float, size: float, fill: tuple[int, ...]) -> None:
        """A filled "circle", "diamond" or "square" centred on (x, y), `size` mm to its edge."""
        k = self.k
        cx, cy, r = x * k, (self.h - y) * k, size * k
        if shape == "square":
            path = f"{cx - r:.2f} {cy - r:.2f} {2 * r:.2f} {2 * r:.2f} re"
        elif shape == "diamond":
            path = (
                f"{cx:.2f} {cy + r:.2f} m {cx + r:.2f} {cy:.2f} l {cx:.2f} {cy - r:.2f} l "
                f"{cx - r:.2f} {cy:.2f} l h"
            )
        else:
            c = r * _KAPPA
            path = (
                f"{cx + r:.2f} {cy:.2f} m "
                f"{cx + r:.2f} {cy + c:.2f} {cx + c:.2f} {cy + r:.2f} {cx:.2f} {cy + r:.2f} c "
                f"{cx - c:.2f} {cy + r:.2f} {cx - r:.2f} {cy + c:.2f} {cx - r:.2f} {cy:.2f} c "
                f"{cx - r:.2f} {cy - c:.2f} {cx - c:.2f} {cy - r:.2f} {cx:.2f} {cy - r:.2f} c "
                f"{cx + c:.2f} {cy - r:.2f} {cx + r:.2f} {cy - c:.2f} {cx + r:.2f} {cy:.2f} c"
            )
        self._text(False)
        self._fill_with(fill)
        self.ops.append(f"{path} f")

    def header(self) -> None:
        """The organisation and the plan id above a rule; "Confidential" at the foot."""
        for style in self.faces:  # the page's resources name both faces
            self.set_font(FONT, style, 8)
            self.text(0, 0, "")
        title = f"Performance improvement plan {self.record.public_id}"
        self.put(self.l_margin, 9, 5, self.org_name, bold=True, size=8.5, colour=GREY)
        right = self.w - self.r_margin - self.width(title, True, 8.5)
        self.put(right, 9, 5, title, bold=True, size=8.5, colour=GREY)
        self.rule(self.l_margin, 15, self.w - self.r_margin, (200, 200, 200))
        self.put(self.l_margin, self.h - 14, 5, CONFIDENTIAL, bold=False, size=8, colour=GREY)
        self.set_y(self.t_margin)

    def finish(self) -> bytes:
        """The document's bytes: "page N of M" on every page, the fonts cut to what it used."""
        self.flush()
        last = self.page
        for number in range(1, last + 1):
            self.page = number
            label = f"page {number} of {last}"
            x = self.w - self.r_margin - self.width(label, False, 8)
            self.put(x, self.h - 14, 5, label, bold=False, size=8, colour=GREY)
            self.flush()
        self.page = last
        for style, face in self.faces.items():
            face.cut_for(self.own[style], self.codes[style])
        return bytes(self.output())


class Pen:
    """Writes onto `Document` pages: text, headings, facts and tables, in the record's style."""

    def __init__(
        self, record: PlanRecord, org_name: str, paper_size: str, note_unprintable: bool
    ) -> None:
        self.record = record
        self.note_unprintable = note_unprintable
        self.pdf = Document(record, org_name, self.clean(org_name), paper_size)
        self.left = self.pdf.l_margin

    def clean(self, value: str) -> str:
        """`value` with tabs as spaces and what the font cannot draw as U+FFFD (noted)."""
        # In a document that does not say so yet, the first such character raises
        # `Unprintable`: render_pdf starts again with the note at the top.
        value = value.replace("\t", "    ")
        printable = printable_chars()
        if printable.issuperset(value):
            return value
        if not self.note_unprintable:
            raise Unprintable
        return "".join(c if c in printable else REPLACEMENT for c in value)

    # -- lines

    @staticmethod
    def lines(value: str, width: float, *, bold: bool = False, size: float = 10) -> list[str]:
        """`value` broken into lines no wider than `width` mm (see `break_lines`)."""
        return break_lines(value, width, bold=bold, size=size)

    def room(self, height: float) -> bool:
        """Whether `height` mm still fit on this page."""
        return self.pdf.y + height <= self.pdf.bottom + 1e-6

    def keep(self, height: float) -> None:
        """A new page unless `height` mm still fit on this one."""
        if not self.room(height):
            self.pdf.add_page()

    @contextmanager
    def indented(self, by: float) -> Iterator[None]:
        """Text inside is set `by` mm further right."""
        self.left += by
        try:
            yield
        finally:
            self.left -= by

    # -- text

    def when(self, value: datetime | None) -> str:
        """An instant as the record writes it, in the employee's zone."""
        return format_time(value, self.record.tz)

    def text(
        self, value: str, *, size: float = 10, bold: bool = False, colour: tuple[int, ...] = BLACK
    ) -> None:
        """A paragraph of `value` (cleaned for the font), wrapped to the page."""
        pdf = self.pdf
        height = LINE_HEIGHT * size / 10
        width = pdf.w - pdf.r_margin - self.left
        for line in self.lines(self.clean(value), width, bold=bold, size=size):
            self.keep(height)
            if line:
                pdf.put(self.left, pdf.y, height, line, bold=bold, size=size, colour=colour)
            pdf.y += height

    def gap(self, height: float = 2) -> None:
        """Vertical space."""
        self.pdf.y += height

    def heading(self, title: str, *, level: int = 2, new_page: bool = False) -> None:
        """A heading (and a bookmark), never alone at the foot of a page."""
        pdf = self.pdf
        if new_page:
            pdf.add_page()
        else:
            self.keep(24)  # never a heading alone at the foot of a page
        size = {1: 17, 2: 13, 3: 11}[level]
        self.gap(4 if level == 2 else 2)
        pdf.start_section(self.clean(title), level=level - 1)
        self.text(title, size=size, bold=True)
        if level == 2:
            pdf.rule(pdf.l_margin, pdf.y + 0.5, pdf.w - pdf.r_margin, RULE)
            self.gap(2.5)

    def block(self, value: str) -> None:
        """User text as written, or a note that there is none."""
        if value.strip():
            self.text(value)
        else:
            self.text("None given.", colour=GREY)

    def shaded(self, title: str, value: str, *, fill: tuple[int, int, int]) -> None:
        """A bold title and `value` on a shaded band the width of the page."""
        pdf = self.pdf
        width = pdf.w - pdf.r_margin - self.left
        rows = [(title, True, 5.0)] + [
            (line, False, 4.6)
            for line in self.lines(self.clean(value), width - 2 * PADDING, size=9)
        ]
        for line, bold, height in rows:
            self.keep(height)
            pdf.band(self.left, pdf.y, width, height, fill)
            pdf.put(self.left + PADDING, pdf.y, height, line, bold=bold, size=9)
            pdf.y += height
        self.gap(2)

    # -- tables

    def facts(self, rows: Sequence[tuple[str, str]]) -> None:
        """Label and value rows without borders."""
        self.table([[label, value] for label, value in rows], widths=(38, 120), heading=None)

    def table(
        self,
        rows: Iterable[Sequence[str]],
        *,
        widths: Sequence[float],
        heading: Sequence[str] | None,
        size: float = 9,
    ) -> None:
        """A table that breaks across pages; `heading` makes it bordered with a header row."""
        # The header row is repeated on each page the table goes on to; without a heading
        # the first column is bold (label and value rows).
        pdf = self.pdf
        span = pdf.w - pdf.r_margin - self.left
        scale = span / sum(widths)
        columns = [w * scale for w in widths]
        height = LINE_HEIGHT * size / 10
        if heading is None:
            for values in rows:
                self._row(values, columns, height, size, bold_first=True)
        else:
            head = [
                self.lines(self.clean(v), w - 2 * PADDING, bold=True, size=size)
                for v, w in zip(heading, columns, strict=True)
            ]
            head_height = max(map(len, head)) * height + 2 * PADDING

            def draw_head() -> None:
                self._cells(head, columns, height, size, bold=True, fill=HEADING_FILL)

            self.keep(head_height + height + 2 * PADDING)
            draw_head()
            for values in rows:
                self._row(
                    values,
                    columns,
                    height,
                    size,
                    border=True,
                    repeat=draw_head,
                    repeat_height=head_height,
                )
        self.gap(2)

    def _row(
        self,
        values: Sequence[str],
        columns: Sequence[float],
        height: float,
        size: float,
        *,
        bold_first: bool = False,
        border: bool = False,
        repeat: Callable[[], None] | None = None,
        repeat_height: float = 0,
    ) -> None:
        """One table row; a row taller than the page room left goes on, or continues, over."""
        cells = [
            self.lines(self.clean(v), w - 2 * PADDING, bold=bold_first and i == 0, size=size)
            for i, (v, w) in enumerate(zip(values, columns, strict=True))
        ]
        pdf = self.pdf
        whole = max(map(len, cells)) * height + 2 * PADDING
        page = pdf.bottom - pdf.t_margin - repeat_height
        if not self.room(whole) and whole <= page:
            pdf.add_page()
            if repeat:
                repeat()
        while True:
            fit = int((pdf.bottom - pdf.y - 2 * PADDING + 1e-6) // height)
            if fit < 1:
                pdf.add_page()
                if repeat:
                    repeat()
                continue
            now = [lines[:fit] for lines in cells]
            self._cells(now, columns, height, size, bold_first=bold_first, border=border)
            cells = [lines[fit:] for lines in cells]
            if not any(cells):
                return
            pdf.add_page()
            if repeat:
                repeat()

    def _cells(
        self,
        cells: Sequence[Sequence[str]],
        columns: Sequence[float],
        height: float,
        size: float,
        *,
        bold: bool = False,
        bold_first: bool = False,
        border: bool = True,
        fill: tuple[int, int, int] | None = None,
    ) -> None:
        """Lines already broken, a column each, as one row of cells at the cursor."""
        pdf = self.pdf
        top = pdf.y
        row_height = max(map(len, cells)) * height + 2 * PADDING
        x = self.left
        if fill:
            pdf.band(x, top, sum(columns), row_height, fill)
        for i, (lines, width) in enumerate(zip(cells, columns, strict=True)):
            y = top + PADDING
            strong = bold or (bold_first and i == 0)
            for line in lines:
                if line:
                    pdf.put(x + PADDING, y, height, line, bold=strong, size=size)
                y += height
            x += width
        if border:
            pdf.cell_borders(self.left, top, columns, row_height)
        pdf.y = top + row_height

    @staticmethod
    def party(person: Party) -> str:
        """A person's name, with their Slack id when it differs."""
        return person.name if person.name == person.user_id else f"{person.name} ({person.user_id})"
