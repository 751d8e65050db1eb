"""`/pip export`: the three files reach the DM in one message, each sent as soon as it is made."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from sqlalchemy.orm import Session

from config import Settings
from handlers.context import CommittingClient
from models import utcnow
from services.access import Actor
from services.export import plan_record, render_html, render_markdown
from services.export_pdf import render_pdf
from tests.constants import MANAGER
from tests.fakeslack import FakeSlack
from tests.services.test_export import PUBLIC_ID, build_plan
from tests.slackdriver import SlackDriver, response_json

OPENED = datetime(2027, 6, 1, 9, 30, tzinfo=UTC)  # the export's "as of now", frozen


@pytest.fixture
def exported(db: Session, clock: time_machine.Coordinates) -> str:
    """The plan of tests/services/test_export.py, stored; its public id."""
    build_plan(db)
    db.commit()
    return PUBLIC_ID


def test_export_shares_the_three_files_in_one_message_in_the_dm(
    exported: str, driver: SlackDriver, slack: FakeSlack, db: Session, settings: Settings
) -> None:
    reply = response_json(driver.command(MANAGER, f"export {exported}"))
    assert reply == {
        "response_type": "ephemeral",
        "text": f"Preparing the record of {exported}; it will be in your DM in a moment.",
    }
    record = plan_record(db, Actor(MANAGER), exported, utcnow())
    expected = [
        (
            f"{exported}-record.pdf",
            f"{exported} record (PDF)",
            render_pdf(record, org_name=settings.org_name, paper_size=settings.paper_size),
        ),
        (
            f"{exported}-record.html",
            f"{exported} record (HTML)",
            render_html(record).encode(),
        ),
        (
            f"{exported}-record.md",
            f"{exported} record (Markdown)",
            render_markdown(record).encode(),
        ),
    ]
    assert [(u["filename"], u["title"], u["content"]) for u in slack.uploads] == expected
    comment = f"The record of plan *{exported}*, as of now."
    assert {(u["channel_id"], u["initial_comment"]) for u in slack.uploads} == {
        (slack.dm_channel(MANAGER), comment)
    }
    [shared] = slack.calls_to("files.completeUploadExternal")
    assert [f["id"] for f in shared.args["files"]] == [u["id"] for u in slack.uploads]
    issued = slack.calls_to("files.getUploadURLExternal")
    assert sorted((c.args["filename"], int(c.args["length"])) for c in issued) == sorted(
        (name, len(content)) for name, _title, content in expected
    )


def test_a_refused_upload_url_shares_nothing_and_says_something_went_wrong(
    exported: str, driver: SlackDriver, slack: FakeSlack
) -> None:
    slack.fail_next("files.getUploadURLExternal", error="internal_error")
    driver.command(MANAGER, f"export {exported}")
    assert slack.calls_to("files.completeUploadExternal") == [] and slack.uploads == []
    [told] = slack.calls_to("response_url")
    assert told.args["text"].startswith("Something went wrong (ref ")


def test_a_failed_upload_shares_nothing(
    exported: str, driver: SlackDriver, slack: FakeSlack
) -> None:
    slack.fail_next("upload", status=500)
    driver.command(MANAGER, f"export {exported}")
    assert slack.calls_to("files.completeUploadExternal") == [] and slack.uploads == []
    # The files never reached Slack: Slack did not answer, so there is no one to tell there.
    assert slack.calls_to("response_url") == []
    driver.command(MANAGER, f"export {exported}")  # the next export goes through
    assert len(slack.uploads) == 3


def test_the_requests_session_stays_on_the_listeners_thread(
    exported: str, driver: SlackDriver, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The request's client commits the request's session before each call: called from the
    # upload pool, it would commit the session from another thread while the listener reads.
    threads: list[int] = []
    call = CommittingClient.api_call

    def recorded(self: CommittingClient, api_method: str, **kwargs: Any) -> Any:
        threads.append(threading.get_ident())
        return call(self, api_method, **kwargs)

    monkeypatch.setattr(CommittingClient, "api_call", recorded)
    driver.command(MANAGER, f"export {exported}")
    assert len(slack.uploads) == 3
    assert len(set(threads)) <= 1
