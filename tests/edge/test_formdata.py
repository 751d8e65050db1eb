"""The front door reads form bodies exactly as urllib.parse does (edge/formdata.py)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.formdata import parse_form

# Escapes whole and cut short, their hex digits in both cases, what separates fields, the
# backslash the fast path doubles, and characters beyond ASCII.
PIECES = st.sampled_from(
    ["%", "%2", "%22", "%7B", "%7b", "%e6%97%a5", "%C3", "%ZZ", "%5C", "\\", "\\x41", "+",
     "&", "=", "a", "x", "0", "F", "é", "日", " ", "\x00"]
)  # fmt: skip
BODIES = st.lists(st.one_of(PIECES, st.text(max_size=5)), max_size=40).map("".join)


def _library(raw: str) -> list[tuple[str, str]] | str:
    try:
        return parse_qsl(raw, keep_blank_values=True, strict_parsing=bool(raw))
    except ValueError:
        return "ValueError"


def _ours(raw: str) -> list[tuple[str, str]] | str:
    try:
        return parse_form(raw)
    except ValueError:
        return "ValueError"


@settings(max_examples=1500, deadline=None)
@given(BODIES)
def test_any_body_reads_as_the_library_reads_it(raw: str) -> None:
    assert _ours(raw) == _library(raw)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=200), max_size=6))
def test_what_a_client_encodes_comes_back_as_it_was(fields: dict[str, str]) -> None:
    assert dict(parse_form(urlencode(fields))) == fields


def test_an_interaction_payload_and_the_odd_cases() -> None:
    body = urlencode({"payload": '{"view": {"text": "50% & \\\\ \\"done\\" 日本"}}'})
    assert parse_form(body) == [("payload", '{"view": {"text": "50% & \\\\ \\"done\\" 日本"}}')]
    assert parse_form("") == []
    assert parse_form("a=&b=%zz&c=%e6%97") == [("a", ""), ("b", "%zz"), ("c", "\ufffd")]
    assert _ours("a=1&&b=2") == _ours("novalue") == "ValueError"
