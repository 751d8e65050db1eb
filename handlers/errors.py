"""The one error handler: domain errors become friendly messages, the rest a logged ref."""

from __future__ import annotations

import json
import logging
import secrets
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from slack_sdk import WebClient

from services.errors import DomainError, InvalidPlan
from views.common import escape
from views.errors import field_errors
from views.plan_form import form_slots

logger = logging.getLogger(__name__)


def register(app: App) -> None:
    """Install the error handler on `app`."""
    app.error(handle_error)


def handle_error(
    error: Exception, body: dict[str, Any], context: BoltContext, client: WebClient
) -> BoltResponse | None:
    """Tell the user what went wrong where they are: the modal, the command reply or a DM."""
    if isinstance(error, DomainError):
        text = str(error)
        logger.info("domain error: %s", text)
    else:
        ref = secrets.token_hex(2).upper()
        logger.error("unhandled error (ref %s)", ref, exc_info=error)
        text = f"Something went wrong (ref {ref}). Nothing you typed was lost; please try again."
    acked = context.ack is not None and context.ack.response is not None
    if not acked:
        if body.get("type") == "view_submission" and isinstance(error, InvalidPlan):
            slots, _ = form_slots(body["view"])
            errors = field_errors(error.errors, slots)
            payload = {"response_action": "errors", "errors": _shown(errors, body["view"])}
            return _json_response(payload)
        if body.get("type") == "view_submission":
            # Keep the modal open: show the message on the first input the view has.
            first = _first_input_block(body)
            if first is not None:
                return _json_response({"response_action": "errors", "errors": {first: text}})
        if "command" in body:
            return _json_response({"response_type": "ephemeral", "text": escape(text)})
    # Messages are mrkdwn (modal field errors above are plain text): escape what users typed.
    _tell_later(escape(text), body, context, client)
    if not acked:
        return BoltResponse(status=200, body="")
    return None


def _json_response(payload: dict[str, Any]) -> BoltResponse:
    return BoltResponse(
        status=200,
        body=json.dumps(payload),
        headers={"content-type": "application/json;charset=utf-8"},
    )


def _shown(errors: dict[str, str], view: dict[str, Any]) -> dict[str, str]:
    """Errors for input blocks the view has; any other message goes on its first input."""
    inputs = {b.get("block_id") for b in view.get("blocks", []) if b.get("type") == "input"}
    shown = {k: v for k, v in errors.items() if k in inputs}
    stray = [v for k, v in errors.items() if k not in inputs]
    first = _first_input_block({"view": view})
    if stray and first is not None:
        shown[first] = " ".join(([shown[first]] if first in shown else []) + stray)
    return shown


def _first_input_block(body: dict[str, Any]) -> str | None:
    for block in body.get("view", {}).get("blocks", []):
        if block.get("type") == "input" and block.get("block_id"):
            return str(block["block_id"])
    return None


def _tell_later(text: str, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    """After ack: reply through response_url when there is one, else in the user's DM."""
    if context.respond is not None and context.response_url:
        context.respond(text=text, response_type="ephemeral", replace_original=False)
        return
    if context.user_id:
        channel = client.conversations_open(users=context.user_id)["channel"]["id"]
        client.chat_postMessage(channel=channel, text=text)
