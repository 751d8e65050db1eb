"""Form bodies (`application/x-www-form-urlencoded`) read as `urllib.parse` reads them, faster.

An interaction arrives as one field, `payload`, holding JSON with every quote, brace and
colon percent-encoded: a plan form of 15 kB has about 4,000 escapes. The standard library
decodes them in a Python loop, one escape at a time; under a burst of plan forms that loop
was half of the front door's time holding the interpreter lock (bench/README.md). Here an
ASCII value's escapes are turned into `\\xHH` and decoded by the `unicode_escape` codec, in
C. Anything else (a non-ASCII character, a `%` without two hex digits after it) goes to
`urllib.parse.unquote`, so the answer is the library's in every case
(tests/edge/test_formdata.py checks that with generated bodies).
"""

from __future__ import annotations

from urllib.parse import unquote


def parse_form(raw: str) -> list[tuple[str, str]]:
    """`parse_qsl(raw, keep_blank_values=True, strict_parsing=bool(raw))`; ValueError alike."""
    fields: list[tuple[str, str]] = []
    for field in raw.split("&") if raw else []:
        name, equals, value = field.partition("=")
        if not equals:
            raise ValueError(f"bad form field of {len(field)} characters")
        fields.append((_unquote(name.replace("+", " ")), _unquote(value.replace("+", " "))))
    return fields


def _unquote(text: str) -> str:
    """`urllib.parse.unquote(text)`: UTF-8, invalid sequences replaced."""
    if "%" not in text:
        return text
    if not text.isascii():
        return unquote(text)
    try:
        # Backslashes doubled first, so the codec sees no escape but the ones made here.
        escaped = text.replace("\\", "\\\\").replace("%", "\\x")
        return (
            escaped.encode("ascii")
            .decode("unicode_escape")
            .encode("latin-1")
            .decode("utf-8", "replace")
        )
    except UnicodeDecodeError:  # a % the library leaves as it is
        return unquote(text)
