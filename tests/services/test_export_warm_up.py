"""`warm_up`: what the bot's start-up does so that the first export is as quick as the next."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from services import templating
from services.access import Actor
from services.export import plan_record, render_html, render_markdown, warm_up
from services.export_pdf import render_pdf
from services.record import pdf_fonts
from tests.constants import MANAGER
from tests.services.test_export import PUBLIC_ID, at, build_plan


def test_after_warm_up_the_first_export_reads_cuts_and_compiles_nothing(db: Session) -> None:
    pdf_fonts.read_faces.cache_clear()
    pdf_fonts.printable_chars.cache_clear()
    pdf_fonts.cut_face.cache_clear()
    templating.environment.cache_clear()
    warm_up(org_name="Acme Logistics GmbH", paper_size="Letter")
    assert pdf_fonts.read_faces.cache_info().currsize == 1
    cuts = pdf_fonts.cut_face.cache_info()
    assert cuts.currsize == 2  # the regular and the bold face, cut to the common characters
    environment = templating.environment()
    assert environment.cache is not None
    compiled = set(environment.cache.values())
    assert {t.name for t in compiled} >= {"export/plan.html.j2", "export/plan.md.j2"}
    build_plan(db)
    record = plan_record(db, Actor(MANAGER), PUBLIC_ID, now=at(date(2027, 4, 5)))
    render_pdf(record, org_name="Acme Logistics GmbH")
    render_html(record)
    render_markdown(record)
    assert pdf_fonts.read_faces.cache_info().misses == 1
    assert pdf_fonts.cut_face.cache_info().misses == cuts.misses
    assert set(templating.environment().cache.values()) >= compiled  # type: ignore[union-attr]
