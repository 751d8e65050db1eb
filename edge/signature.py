"""Slack's request signature and timestamp, checked so that nothing malformed can raise."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable

from slack_sdk.signature import Clock, SignatureVerifier

MAX_SKEW_SECONDS = 60 * 5
_MAX_TIMESTAMP_DIGITS = 12


class _Now(Clock):
    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now

    def now(self) -> float:
        return self._now()


def problem(
    secret: str,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    *,
    now: Callable[[], float] = time.time,
) -> str | None:
    """Why the request is not Slack's (a short reason for the log), or None when it is.

    slack_sdk's `SignatureVerifier.is_valid` runs `int(timestamp)` unguarded
    (slack_sdk/signature/__init__.py, line 69 in 3.47.0), so a timestamp such as `abc`
    or `1.5` raises instead of failing; Bolt's RequestVerification then lets its error
    handler act on an unauthenticated body. The timestamp is checked here first.
    """
    if not secret.strip():
        return "no signing secret is configured"
    if not timestamp:
        return "no timestamp"
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > _MAX_TIMESTAMP_DIGITS:
        return "malformed timestamp"
    if abs(now() - int(timestamp)) > MAX_SKEW_SECONDS:
        return "stale timestamp"
    if not signature:
        return "no signature"
    if not signature.isascii():
        return "wrong signature"
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        # Slack signs UTF-8; the verifier cannot take other bytes, so compare them directly.
        expected = hmac.new(
            secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256
        ).hexdigest()
        valid = hmac.compare_digest(f"v0={expected}", signature)
    else:
        valid = SignatureVerifier(secret, clock=_Now(now)).is_valid(text, timestamp, signature)
    return None if valid else "wrong signature"
