"""The exported record as PDF, read back with pypdf: pages, header and footer, content, privacy."""

from __future__ import annotations

import io
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date

import pypdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from services.access import Actor
from services.export import plan_record, render_html
from services.export_pdf import render_pdf
from services.record.model import Change, Party, PauseRecord
from services.record.pdf_page import break_lines, text_width
from tests.constants import EMPLOYEE, HR, MANAGER
from tests.services.test_export import (
    AMEND_REASON,
    CHECKIN_DATES,
    GOALS,
    OUTCOME_SUMMARY,
    PUBLIC_ID,
    RESPONSE,
    at,
    build_plan,
    private_note,
)

ORG = "Acme Logistics GmbH"
POINTS_PER_MM = 72 / 25.4
SIZES_MM = {"A4": (210, 297), "Letter": (215.9, 279.4)}


def pdf_of(db: Session, actor: Actor, paper_size: str = "A4") -> pypdf.PdfReader:
    """The PDF record as `actor` gets it, opened with pypdf."""
    record = plan_record(db, actor, PUBLIC_ID, now=at(date(2027, 4, 5)))
    data = render_pdf(record, org_name=ORG, paper_size=paper_size)
    assert data.startswith(b"%PDF-")
    return pypdf.PdfReader(io.BytesIO(data))


def page_texts(reader: pypdf.PdfReader) -> list[str]:
    """Each page's extracted text, whitespace runs folded to one space."""
    return [re.sub(r"\s+", " ", page.extract_text()) for page in reader.pages]


@pytest.mark.parametrize("actor", [Actor(MANAGER), Actor(HR, is_hr=True)], ids=["manager", "hr"])
def test_pdf_holds_the_whole_plan_on_numbered_headed_pages(db: Session, actor: Actor) -> None:
    build_plan(db)
    reader = pdf_of(db, actor)
    pages = page_texts(reader)
    total = len(pages)
    assert total > 3
    for number, text in enumerate(pages, start=1):
        assert f"page {number} of {total}" in text
        assert ORG in text and f"Performance improvement plan {PUBLIC_ID}" in text
        assert "Confidential" in text
    everything = " ".join(pages)
    for goal in GOALS:
        assert goal in everything
    for n in range(1, 13):
        assert f"Progress at check-in {n}" in everything
    for n in range(1, 11):
        for i in range(1, 11):
            assert f"Employee note {n}.{i}" in everything  # every check-in's notes
    for n in range(1, 12):
        assert f"Next steps after check-in {n}" in everything
        assert private_note(n) in everything  # the manager's and HR's copy has them
    for day in CHECKIN_DATES:
        assert f"{day:%a %-d %b %Y}" in everything
    assert AMEND_REASON in everything and RESPONSE in everything and OUTCOME_SUMMARY in everything
    assert "Eli Employee (UEMPLOYEE)" in everything and "Maria Manager (UMANAGER)" in everything
    assert "Times are in Europe/Paris time (CEST), the time zone of Eli Employee." in everything
    assert "Mon 4 Jan 2027 12:00 CET" in everything  # the first acknowledgement, local time
    assert "hash chain verifies" in everything


def test_employee_pdf_has_no_private_note(db: Session) -> None:
    build_plan(db)
    everything = " ".join(page_texts(pdf_of(db, Actor(EMPLOYEE))))
    assert "Progress at check-in 3" in everything and "Next steps after check-in 3" in everything
    assert "confidential-" not in everything and "Private note" not in everything
    assert "private notes are not part of this copy" in everything


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_page_size_follows_paper_size(db: Session, paper: str) -> None:
    build_plan(db)
    reader = pdf_of(db, Actor(MANAGER), paper)
    width_mm, height_mm = SIZES_MM[paper]
    for page in reader.pages:
        assert float(page.mediabox.width) == pytest.approx(width_mm * POINTS_PER_MM, abs=0.5)
        assert float(page.mediabox.height) == pytest.approx(height_mm * POINTS_PER_MM, abs=0.5)


def test_the_goal_status_chart_is_drawn(db: Session) -> None:
    build_plan(db)
    reader = pdf_of(db, Actor(MANAGER))
    [chart_page] = [p for p in reader.pages if "Goal status timeline" in p.extract_text()]
    text = chart_page.extract_text()
    # The chart's labels are text in the PDF: every goal row and every check-in column.
    for n in range(1, 11):
        assert f"Goal {n}" in text
    for day in CHECKIN_DATES:
        assert day.isoformat() in text
    for label in ("On track", "At risk", "Off track", "No status"):
        assert label in text
    # And its marks are drawn: a content stream far longer than the labels alone.
    assert len(chart_page.get_contents().get_data()) > 20_000


def test_characters_the_font_lacks_are_marked_not_logged(
    db: Session, caplog: pytest.LogCaptureFixture
) -> None:
    build_plan(db)
    record = plan_record(db, Actor(MANAGER), PUBLIC_ID, now=at(date(2027, 4, 5)))
    typed = "Agreed over coffee \U0001f642 with 中文 notes\tand a tab; Ärger über Öl"
    with caplog.at_level("DEBUG"):
        data = render_pdf(replace(record, issues=typed), org_name=ORG)
    text = re.sub(r"\s+", " ", pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text())
    assert "Agreed over coffee \ufffd with \ufffd\ufffd notes and a tab; Ärger über Öl" in text
    assert "the HTML copy of the record shows them as written" in text
    assert "\U0001f642" not in caplog.text and "中" not in caplog.text


def test_the_chart_has_a_text_alternative_in_words(db: Session) -> None:
    build_plan(db)
    reader = pdf_of(db, Actor(MANAGER))
    text = " ".join(p.extract_text() for p in reader.pages)
    words = " ".join(text[text.index("The same timeline in words") :].split())
    first, last = CHECKIN_DATES[0], CHECKIN_DATES[-1]
    assert f"Goal 1 · {first:%a %-d %b %Y}: On track;" in words
    assert f"{last:%a %-d %b %Y}: Off track" in words
    assert f"Goal 10 · {first:%a %-d %b %Y}: On track;" in words


# -- type setting: wrapping, long rows, the characters people type, the fonts


def texts_of(data: bytes) -> list[str]:
    """Each page's text of a rendered PDF, whitespace runs folded to one space."""
    return page_texts(pypdf.PdfReader(io.BytesIO(data)))


@settings(max_examples=150, deadline=None)
@given(
    value=st.lists(
        st.sampled_from([*"aZ0 .,;-—(\\)Ä\nПр€W", "  ", "word ", "m" * 40]), max_size=120
    ).map("".join),
    width=st.floats(min_value=2, max_value=180),
    bold=st.booleans(),
)
def test_lines_fit_their_width_and_keep_every_character(
    value: str, width: float, bold: bool
) -> None:
    lines = break_lines(value, width, bold=bold, size=9)
    for line in lines:
        # Only a line of a single character may be wider than asked (nothing to break).
        assert text_width(line, bold=bold, size=9) <= width + 1e-9 or len(line) == 1
    # Breaks happen at line breaks and spaces (dropped) or mid-word (nothing dropped).
    assert "".join(lines).replace(" ", "") == value.replace(" ", "").replace("\n", "")
    assert len(lines) >= value.count("\n") + 1


def test_long_text_wraps_and_an_unbroken_token_is_cut_not_lost(db: Session) -> None:
    build_plan(db)
    record = plan_record(db, Actor(MANAGER), PUBLIC_ID, now=at(date(2027, 4, 5)))
    words = " ".join(f"word{n}" for n in range(400))
    token = "https://tickets.example.com/" + "x" * 300 + "/end"
    data = render_pdf(replace(record, issues=f"{token}\n\n{words}"), org_name=ORG)
    pages = texts_of(data)
    assert token in pages[0].replace(" ", "")  # cut across lines, every character kept
    everything = " ".join(pages)
    assert [int(n) for n in re.findall(r"word(\d+)", everything)] == list(range(400))
    assert "word0 word1 word2" in pages[0]  # wrapped at spaces, one space apart
    assert sum("word" in page for page in pages) >= 2  # and on over the next page


def test_a_cell_taller_than_a_page_goes_on_over_the_next_under_the_heading(
    db: Session,
) -> None:
    build_plan(db)
    record = plan_record(db, Actor(MANAGER), PUBLIC_ID, now=at(date(2027, 4, 5)))
    before = "\n".join(f"Earlier line {n}." for n in range(150))
    amendment = replace(record.amendments[0], changes=[Change("Issues", before, "Short now.")])
    pages = texts_of(render_pdf(replace(record, amendments=[amendment]), org_name=ORG))
    holding = [p for p in pages if "Earlier line" in p]
    assert len(holding) >= 2  # 150 lines do not fit on one page
    for page in holding:
        assert "Changed Before After" in page  # the header row, repeated
    found = [int(n) for n in re.findall(r"Earlier line (\d+)\.", " ".join(holding))]
    assert found == list(range(150))  # every line once, in order
    assert "Short now." in holding[0]


def test_text_people_type_prints_as_typed(db: Session) -> None:
    build_plan(db)
    record = plan_record(db, Actor(MANAGER), PUBLIC_ID, now=at(date(2027, 4, 5)))
    typed = (
        "Привет, команда; Ελληνικά κείμενα; Ärger über Öl; (in brackets) a\\b\\c; "
        "½ € “quoted” — dash; ğüşıöç"
    )
    org = "ООО «Ромашка» (Acme)"
    pages = texts_of(render_pdf(replace(record, issues=typed, response=typed), org_name=org))
    everything = " ".join(pages)
    assert everything.count(typed) == 2  # regular (issues) and in the response
    for page in pages:
        assert org in page  # the bold header, on every page


def test_fonts_are_embedded_as_subsets(db: Session) -> None:
    build_plan(db)
    reader = pdf_of(db, Actor(MANAGER))
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts[str(font["/BaseFont"])] = font
    assert sorted(fonts) == ["/MPDFAA+DejaVuSansBold", "/MPDFAA+DejaVuSansBook"]
    for font in fonts.values():
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        embedded = descriptor["/FontFile2"].get_object().get_data()
        # Embedded, and cut to what the record uses: DejaVu Sans itself is over 700 kB.
        assert 5_000 < len(embedded) < 60_000


def test_documents_in_a_process_do_not_share_state(db: Session) -> None:
    build_plan(db)
    record = plan_record(db, Actor(MANAGER), PUBLIC_ID, now=at(date(2027, 4, 5)))
    other = replace(record, issues="Только кириллица здесь", public_id="PIP-OTHER1")
    alone = render_pdf(record, org_name=ORG)
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(lambda r: render_pdf(r, org_name=ORG), [record, other] * 4))
    assert together[0::2] == [alone] * 4  # the same bytes, whatever rendered alongside
    assert all("Только кириллица здесь" in " ".join(texts_of(d)) for d in together[1::2])


def test_pauses_are_in_the_pdf_as_in_the_html(db: Session) -> None:
    build_plan(db)
    record = plan_record(db, Actor(MANAGER), PUBLIC_ID, now=at(date(2027, 4, 5)))
    manager = record.manager
    pauses = [
        PauseRecord(
            number=1,
            paused_on=date(2027, 2, 1),
            paused_by=manager,
            reason="Medical leave (two weeks)",
            resume_on=date(2027, 2, 15),
            resumed_on=date(2027, 2, 15),
            resumed_by=Party("system", "system"),
            business_days=10,
            end_before=date(2027, 4, 2),
            end_after=date(2027, 4, 16),
        ),
        PauseRecord(2, date(2027, 3, 1), manager, None, None, None, None, None, None, None),
    ]
    text = " ".join(texts_of(render_pdf(replace(record, pauses=pauses), org_name=ORG)))
    assert "Pause 1: from Mon 1 Feb 2027" in text
    assert "Paused by Maria Manager (UMANAGER); planned resume date Mon 15 Feb 2027" in text
    assert "Reason Medical leave (two weeks)" in text
    assert "Resumed Mon 15 Feb 2027 on its resume date, after 10 business day(s) paused." in text
    assert "Changed Before After End date Fri 2 Apr 2027 Fri 16 Apr 2027" in text
    assert "Pause 2: from Mon 1 Mar 2027" in text
    assert "Not resumed: the plan was closed while paused." in text  # build_plan closes it
    html = render_html(replace(record, pauses=pauses))
    assert "Not resumed: the plan was closed while paused." in html and "Medical leave" in html
    never = " ".join(texts_of(render_pdf(record, org_name=ORG)))
    assert "Pauses The plan was never paused." in never


def test_an_unprintable_character_late_in_the_record_is_noted_on_the_first_page(
    db: Session,
) -> None:
    build_plan(db)
    record = plan_record(db, Actor(MANAGER), PUBLIC_ID, now=at(date(2027, 4, 5)))
    last = record.history[-1]
    late = replace(last, summary=[*last.summary, "Closed with a \U0001f44d from HR"])
    pages = texts_of(render_pdf(replace(record, history=[*record.history[:-1], late])))
    assert "the HTML copy of the record shows them as written" in pages[0]
    assert "Closed with a \ufffd from HR" in pages[-1]
    plain = texts_of(render_pdf(record))
    assert "the HTML copy of the record shows them as written" not in " ".join(plain)
