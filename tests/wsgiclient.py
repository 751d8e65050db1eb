"""Raw HTTP requests through the real WSGI app, signed or not, as Slack (or anyone) sends them."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def sign_bytes(secret: str, body: bytes, timestamp: str | None = None) -> dict[str, str]:
    """Slack's signature headers for any bytes (Slack signs the raw body)."""
    ts = timestamp if timestamp is not None else str(int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {"x-slack-request-timestamp": ts, "x-slack-signature": f"v0={digest}"}


@dataclass
class Answer:
    """What the WSGI app answered, and how long it took."""

    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    def json(self) -> dict[str, Any]:
        """The body as JSON (empty dict for an empty body)."""
        return json.loads(self.body) if self.body else {}


class WsgiClient:
    """Posts bytes to `/slack/events` of a WSGI app, the way waitress would hand them over."""

    def __init__(self, application: Any, secret: str) -> None:
        self.application = application
        self.secret = secret

    def post(
        self,
        body: bytes | str,
        *,
        content_type: str = FORM,
        signed: bool = True,
        headers: dict[str, str] | None = None,
        path: str = "/slack/events",
    ) -> Answer:
        """POST `body`; `signed` adds Slack's signature headers for it (now)."""
        raw = body.encode() if isinstance(body, str) else body
        all_headers: dict[str, str] = {}
        if signed:
            all_headers.update(sign_bytes(self.secret, raw))
        all_headers.update(headers or {})
        environ: dict[str, Any] = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "CONTENT_TYPE": content_type,
            "CONTENT_LENGTH": str(len(raw)),
            "wsgi.input": io.BytesIO(raw),
        }
        for name, value in all_headers.items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        answered: dict[str, Any] = {}

        def start_response(status: str, response_headers: list[tuple[str, str]]) -> None:
            answered["status"] = int(status.split()[0])
            answered["headers"] = {k.lower(): v for k, v in response_headers}

        started = time.monotonic()
        try:
            chunks = b"".join(self.application(environ, start_response))
        except Exception:  # what a WSGI server turns into a 500
            return Answer(500, {}, b"", time.monotonic() - started)
        return Answer(answered["status"], answered["headers"], chunks, time.monotonic() - started)

    def interaction(self, payload: dict[str, Any], **kwargs: Any) -> Answer:
        """An interactivity payload (form field `payload`)."""
        return self.post(urlencode({"payload": json.dumps(payload)}), **kwargs)

    def event(self, body: dict[str, Any], **kwargs: Any) -> Answer:
        """An Events API body (JSON)."""
        return self.post(json.dumps(body), content_type=JSON, **kwargs)
