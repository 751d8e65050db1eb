"""Reading bodies at the edge: NUL characters are refused wherever JSON or a form hides them."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from edge.shapes import Malformed, parse, read_body

FORM = "application/x-www-form-urlencoded"


def _interaction(payload: dict[str, object]) -> str:
    return urlencode({"payload": json.dumps(payload)})


def test_a_nul_escaped_deep_in_an_interaction_is_refused() -> None:
    body = _interaction({"type": "view_submission", "view": {"state": {"a": ["ok", "x\x00"]}}})
    assert "%5Cu0000" in body  # json.dumps escaped it; the form encoding hid the escape
    with pytest.raises(Malformed, match="NUL"):
        read_body(body, FORM)


def test_typed_backslash_u0000_letters_are_text_not_a_nul() -> None:
    typed = "see \\u0000 in the log"  # what someone may type: a backslash and letters
    kind, payload = read_body(_interaction({"type": "block_actions", "text": typed}), FORM)
    assert kind == "interaction" and payload["text"] == typed


def test_a_nul_in_a_command_or_a_json_key_is_refused() -> None:
    with pytest.raises(Malformed, match="NUL"):
        read_body(urlencode({"command": "/pip", "text": "show \x00"}), FORM)
    with pytest.raises(Malformed, match="NUL"):
        read_body(json.dumps({"type": "event_callback", "event": {"k\x00": 1}}), "application/json")


def test_a_payload_that_did_not_come_through_read_body_is_walked() -> None:
    # Socket Mode hands Bolt dicts: parse() looks for NUL characters itself.
    with pytest.raises(Malformed, match="NUL"):
        parse("event", {"type": "event_callback", "event": {"text": ["a", {"b": "\x00"}]}})
