"""The PDF record's page: fpdf2 set up with the record's header and footer, and the few ways
the record writes onto it (text, headings, fact lists, tables) with DejaVu Sans embedded.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import TableBordersLayout, XPos, YPos
from fpdf.fonts import FontFace

from services.record.model import Party, PlanRecord
from services.record.times import format_time

FONTS = Path(__file__).resolve().parent.parent.parent / "fonts"
FONT = "DejaVu"
PAPER = {"A4": "A4", "Letter": "Letter"}
CONFIDENTIAL = "Confidential: personnel record"
GREY = (100, 100, 100)
BLACK = (29, 29, 31)
HEADING_FILL = (243, 243, 243)
PRIVATE_FILL = (255, 244, 229)
LINE_HEIGHT = 5.0

REPLACEMENT = "\ufffd"
UNPRINTABLE_NOTE = (
    "Some characters (such as emoji) cannot be printed with this PDF's font and show as "
    f"{REPLACEMENT}; the HTML copy of the record shows them as written."
)

# fpdf2 logs the parts of our chart its SVG reader skips (titles, ARIA) and the glyphs a font
# lacks; the latter would put characters people typed into the log, so both stay quiet.
logging.getLogger("fpdf.svg").setLevel(logging.ERROR)
logging.getLogger("fpdf.output").setLevel(logging.ERROR)


@lru_cache(maxsize=1)
def _printable() -> frozenset[int]:
    """The code points DejaVu Sans (regular and bold) can draw."""
    regular = TTFont(str(FONTS / "DejaVuSans.ttf")).getBestCmap()
    bold = TTFont(str(FONTS / "DejaVuSans-Bold.ttf")).getBestCmap()
    return frozenset(regular) & frozenset(bold)


class Document(FPDF):
    """An FPDF page set-up with the record's header and footer on every page."""

    def __init__(
        self, record: PlanRecord, org_name: str, printable_org_name: str, paper_size: str
    ) -> None:
        super().__init__(orientation="portrait", unit="mm", format=PAPER[paper_size])
        self.record = record
        self.org_name = printable_org_name
        self.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_margins(left=18, top=22, right=18)
        self.set_auto_page_break(auto=True, margin=20)
        self.alias_nb_pages()
        self.set_title(f"{record.public_id}: performance improvement plan record")
        self.set_author(printable_org_name or "PIP Bot")
        self.set_creator("PIP Bot")
        self.set_subject(CONFIDENTIAL)
        self.set_creation_date(record.generated_at)

    def header(self) -> None:
        """The organisation and the plan id, above a rule."""
        self.set_y(9)
        self.set_font(FONT, "B", 8.5)
        self.set_text_color(*GREY)
        self.cell(self.epw / 2, 5, self.org_name, align="L")
        self.cell(
            self.epw / 2,
            5,
            f"Performance improvement plan {self.record.public_id}",
            align="R",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        self.set_draw_color(200, 200, 200)
        self.line(self.l_margin, 15, self.w - self.r_margin, 15)
        self.set_y(self.t_margin)
        self.set_text_color(*BLACK)

    def footer(self) -> None:
        """ "Confidential" and "page N of M"."""
        self.set_y(-14)
        self.set_font(FONT, "", 8)
        self.set_text_color(*GREY)
        self.cell(self.epw / 2, 5, CONFIDENTIAL, align="L")
        self.cell(self.epw / 2, 5, f"page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(*BLACK)


class Pen:
    """Writes onto `Document` pages: text, headings, facts and tables, in the record's style."""

    def __init__(
        self, record: PlanRecord, org_name: str, paper_size: str, note_unprintable: bool
    ) -> None:
        self.record = record
        self.pdf = Document(record, org_name, self.clean(org_name), paper_size)
        self.note_unprintable = note_unprintable
        self.replaced = False

    def clean(self, value: str) -> str:
        """`value` with tabs as spaces and what the font cannot draw as U+FFFD (noted)."""
        value = value.replace("\t", "    ")
        printable = _printable()
        if all(ord(c) in printable or c in "\n\r" for c in value):
            return value
        self.replaced = True
        return "".join(c if ord(c) in printable or c in "\n\r" else REPLACEMENT for c in value)

    # -- text

    def when(self, value: datetime | None) -> str:
        """An instant as the record writes it, in the employee's zone."""
        return format_time(value, self.record.tz)

    def text(
        self, value: str, *, size: float = 10, bold: bool = False, colour: tuple[int, ...] = BLACK
    ) -> None:
        """A paragraph of `value` (cleaned for the font), wrapped to the page."""
        pdf = self.pdf
        pdf.set_font(FONT, "B" if bold else "", size)
        pdf.set_text_color(*colour)
        pdf.multi_cell(
            0,
            LINE_HEIGHT * size / 10,
            self.clean(value),
            align="L",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.set_text_color(*BLACK)

    def gap(self, height: float = 2) -> None:
        """Vertical space."""
        self.pdf.ln(height)

    def heading(self, title: str, *, level: int = 2, new_page: bool = False) -> None:
        """A heading (and a bookmark), never alone at the foot of a page."""
        pdf = self.pdf
        if new_page:
            pdf.add_page()
        elif pdf.will_page_break(24):  # never a heading alone at the foot of a page
            pdf.add_page()
        size = {1: 17, 2: 13, 3: 11}[level]
        self.gap(4 if level == 2 else 2)
        pdf.start_section(title, level=level - 1)
        self.text(title, size=size, bold=True)
        if level == 2:
            pdf.set_draw_color(208, 208, 208)
            pdf.line(pdf.l_margin, pdf.get_y() + 0.5, pdf.w - pdf.r_margin, pdf.get_y() + 0.5)
            self.gap(2.5)

    def block(self, value: str) -> None:
        """User text as written, or a note that there is none."""
        if value.strip():
            self.text(value)
        else:
            self.text("None given.", colour=GREY)

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
        pdf = self.pdf
        pdf.set_font(FONT, "", size)
        bordered = heading is not None
        with pdf.table(
            col_widths=tuple(widths),
            width=pdf.epw,
            text_align="LEFT",
            line_height=LINE_HEIGHT * size / 10,
            first_row_as_headings=bordered,
            headings_style=FontFace(emphasis="BOLD", fill_color=HEADING_FILL),
            borders_layout=(TableBordersLayout.ALL if bordered else TableBordersLayout.NONE),
            padding=1.2,
        ) as table:
            if heading is not None:
                table.row(list(heading))
            for values in rows:
                row = table.row()
                for i, value in enumerate(values):
                    row.cell(
                        self.clean(value),
                        style=FontFace(emphasis="BOLD") if not bordered and i == 0 else None,
                    )
        self.gap(2)

    @staticmethod
    def party(person: Party) -> str:
        """A person's name, with their Slack id when it differs."""
        return person.name if person.name == person.user_id else f"{person.name} ({person.user_id})"
