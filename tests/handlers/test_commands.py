"""The /pip router and the one error handler, through signed requests."""

from __future__ import annotations

import logging
import re

import pytest

from handlers import commands
from services.errors import NotAllowed
from tests.constants import MANAGER
from tests.slackdriver import SlackDriver, response_json
from views.help import USAGES


@pytest.mark.parametrize("text", ["", "help", "  HELP  "])
def test_help_lists_every_subcommand_ephemerally(driver: SlackDriver, text: str) -> None:
    reply = response_json(driver.command(MANAGER, text))
    assert reply["response_type"] == "ephemeral"
    shown = str(reply["blocks"])
    for usage in USAGES:
        assert usage.syntax in shown
        assert usage.syntax in reply["text"]


def test_unknown_subcommand_says_so_and_shows_help(driver: SlackDriver) -> None:
    reply = response_json(driver.command(MANAGER, "frobnicate now"))
    assert reply["response_type"] == "ephemeral"
    assert "`/pip frobnicate` is not a PIP Bot command" in reply["text"]
    assert "/pip new" in reply["text"]


def test_domain_error_becomes_a_friendly_ephemeral(
    driver: SlackDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(**_: object) -> None:
        raise NotAllowed("Only the plan's manager can change it.")

    monkeypatch.setitem(commands.SUBCOMMANDS, "edit", refuse)
    reply = response_json(driver.command(MANAGER, "edit PIP-XXXXXX"))
    assert reply == {"response_type": "ephemeral", "text": "Only the plan's manager can change it."}


def test_unexpected_error_gets_a_ref_that_is_in_the_log(
    driver: SlackDriver, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(**_: object) -> None:
        raise KeyError("boom")

    monkeypatch.setitem(commands.SUBCOMMANDS, "edit", explode)
    with caplog.at_level(logging.ERROR, logger="handlers.errors"):
        reply = response_json(driver.command(MANAGER, "edit PIP-XXXXXX"))
    match = re.search(r"Something went wrong \(ref ([0-9A-F]{4})\)", reply["text"])
    assert match, reply
    record = next(r for r in caplog.records if r.name == "handlers.errors")
    assert match[1] in record.getMessage()
    assert record.exc_info is not None and record.exc_info[0] is KeyError


def test_error_after_ack_goes_to_the_response_url(
    driver: SlackDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    def ack_then_fail(ack, **_: object) -> None:  # type: ignore[no-untyped-def]
        ack()
        raise NotAllowed("Only the plan's manager can change it.")

    monkeypatch.setitem(commands.SUBCOMMANDS, "edit", ack_then_fail)
    driver.command(MANAGER, "edit PIP-XXXXXX")
    posted = driver.slack.calls_to("response_url")
    assert [c.args["text"] for c in posted] == ["Only the plan's manager can change it."]
    assert posted[0].args["response_type"] == "ephemeral"
