"""The WSGI front door for `POST /slack/events`: verify, read, check the shape, then Bolt.

Order matters. The signature and timestamp are checked on the raw bytes before anything
parses the body, so an unsigned request is 401 whatever it contains and nothing of it is
read, logged or acted on. A signed body that is not what Slack sends for its surface is 400
(a slash command gets a polite ephemeral instead, since Slack shows that answer to the
person). Only then does Bolt see the request. Every refusal is one INFO line with the kind
and a reason, never the body.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from slack_bolt import App, BoltRequest
from slack_bolt.adapter.wsgi.http_response import WsgiHttpResponse
from slack_bolt.context import BoltContext
from slack_bolt.request.internals import build_context

from edge import signature
from edge.shapes import Malformed, SlashCommand, parse, read_body
from scheduler.foreground import Foreground

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 2_000_000  # a 100-block modal full of 3,000-character answers fits
SHAPE = "shape"  # the context key listeners find the typed payload under
COMMAND_UNREADABLE = (
    "PIP Bot couldn't read that command, so nothing was changed. "
    "Please try again; `/pip help` lists what you can do."
)

StartResponse = Callable[..., Any]


class FrontDoor:
    """A WSGI app that lets only signed, well-formed Slack requests through to Bolt."""

    def __init__(
        self,
        app: App,
        signing_secret: str,
        *,
        path: str = "/slack/events",
        now: Callable[[], float] = time.time,
        foreground: Foreground | None = None,
    ) -> None:
        self.app = app
        self.secret = signing_secret
        self.path = path
        self.now = now
        # Deliveries give way from the first byte read (the app marks only its dispatch).
        self.foreground = foreground or Foreground()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Answer one HTTP request."""
        with self.foreground.request():
            response = self.answer(environ)
        start_response(response.status, response.get_headers())
        return response.get_body()

    def answer(self, environ: dict[str, Any]) -> WsgiHttpResponse:
        """The response to one request, as status, headers and body."""
        if environ.get("PATH_INFO") != self.path:
            return _text(404, "Not Found")
        if environ.get("REQUEST_METHOD") != "POST":
            return _text(405, "Method Not Allowed")
        raw = _read(environ)
        if raw is None:
            logger.info("refused a request: body missing, unreadable or too large")
            return _text(413, "Request body too large or unreadable")
        headers = _headers(environ)
        problem = signature.problem(
            self.secret,
            raw,
            headers.get("x-slack-request-timestamp"),
            headers.get("x-slack-signature"),
            now=self.now,
        )
        if problem is not None:
            logger.info("refused an unverified request: %s (%d bytes)", problem, len(raw))
            return _json(401, {"error": "invalid request"})
        try:
            text = raw.decode("utf-8")
            kind, payload = read_body(text, headers.get("content-type", ""))
            shape = parse(kind, payload, nul_checked=True)
        except UnicodeDecodeError:
            logger.info("refused a malformed request: body is not UTF-8")
            return _json(400, {"error": "malformed request"})
        except Malformed as error:
            logger.info("refused a malformed %s request: %s", error.kind, error.reason)
            if error.kind == "command":
                return _json(200, {"response_type": "ephemeral", "text": COMMAND_UNREADABLE})
            return _json(400, {"error": "malformed request"})
        bolt_headers: dict[str, str | Sequence[str]] = dict(headers)
        try:
            # Bolt is handed the body read above rather than reading it a second time (a
            # plan form is tens of kB). Its own reading also took any form body mentioning
            # "payload" (a command typed with that word) for an empty interaction.
            request = BoltRequest(
                body="", query=environ.get("QUERY_STRING", ""), headers=bolt_headers
            )
            request.raw_body = text  # what Bolt's own signature check reads
            request.body = payload
            request.context = build_context(BoltContext({}), payload)
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            logger.info("refused a malformed %s request: %s", kind, type(error).__name__)
            return _json(400, {"error": "malformed request"})
        request.context[SHAPE] = shape
        response = self.app.dispatch(request)
        if isinstance(shape, SlashCommand) and response.status == 404:
            return _json(200, {"response_type": "ephemeral", "text": COMMAND_UNREADABLE})
        return WsgiHttpResponse(response.status, response.headers, response.body)


def _read(environ: dict[str, Any]) -> bytes | None:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if length < 0 or length > MAX_BODY_BYTES:
        return None
    stream = environ.get("wsgi.input")
    if stream is None or length == 0:
        return b""
    body = stream.read(length)
    return body if isinstance(body, bytes) else None


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for key, value in environ.items():
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            headers[key.lower().replace("_", "-")] = str(value)
        elif key.startswith("HTTP_"):
            headers[key[5:].lower().replace("_", "-")] = str(value)
    return headers


def _text(status: int, body: str) -> WsgiHttpResponse:
    return WsgiHttpResponse(status, {"content-type": ["text/plain;charset=utf-8"]}, body)


def _json(status: int, payload: dict[str, Any]) -> WsgiHttpResponse:
    return WsgiHttpResponse(
        status, {"content-type": ["application/json;charset=utf-8"]}, json.dumps(payload)
    )
