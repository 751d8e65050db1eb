"""The one error handler: domain errors become friendly messages, the rest a logged ref."""

from __future__ import annotations

import json
import logging
import secrets
from typing import TYPE_CHECKING, Any

from slack_bolt import BoltContext, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from services.errors import DomainError, InvalidPlan
from views.common import escape
from views.errors import field_errors
from views.plan_form import form_slots
from views.prose import ANSWERS, say

if TYPE_CHECKING:  # handlers.context imports this module
    from handlers.context import Listeners

logger = logging.getLogger(__name__)
VERIFIED = "verified"  # set in the context once Bolt has checked the request (handlers/context)
# Slack refusing because the person or channel is gone or closed to the bot: telling them
# about it would fail the same way, so the refusal ends with one log line.
UNREACHABLE = frozenset(
    {
        "user_not_found",
        "user_disabled",
        "users_not_found",
        "account_inactive",
        "cannot_dm_bot",
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "messages_tab_disabled",
        "restricted_action",
    }
)
# A views.update that lost to a newer one (two quick clicks): the newer view is what counts.
STALE = frozenset({"hash_conflict"})
# The click's trigger or view is no longer valid (too slow, or the modal was closed).
EXPIRED = frozenset({"expired_trigger_id", "invalid_trigger_id", "trigger_exchanged", "not_found"})


def register(app: Listeners) -> None:
    """Install the error handler on `app`."""
    app.error(handle_error)


def handle_error(
    error: Exception, body: dict[str, Any], context: BoltContext, client: WebClient
) -> BoltResponse | None:
    """Tell the user what went wrong where they are: the modal, the command reply or a DM."""
    kind = _kind(body)
    if not context.get(VERIFIED):
        # Bolt's own verification failed (or raised): nothing in this body is Slack's.
        logger.info("refused an unverified %s request (%s)", kind, type(error).__name__)
        return BoltResponse(status=401, body="")
    acked = context.ack is not None and context.ack.response is not None
    code = _undeliverable(error, acked)
    if code is not None:
        # Nothing to tell: the newer view is showing, or the way to the person is what failed.
        reason = "a newer view update won" if code in STALE else "Slack can't reach them"
        logger.info("%s for %s: %s (%s)", kind, context.user_id, reason, code)
        return None if acked else BoltResponse(status=200, body="")
    if isinstance(error, SlackApiError) and error.response.get("error") in EXPIRED:
        text = say(ANSWERS, "too_slow")
        logger.info("%s for %s: %s", kind, context.user_id, error.response.get("error"))
    elif isinstance(error, DomainError):
        text = str(error)
        logger.info("%s refused with %s (%d characters)", kind, type(error).__name__, len(text))
    else:
        ref = secrets.token_hex(2).upper()
        logger.error("unhandled error (ref %s)", ref, exc_info=error)
        text = say(ANSWERS, "went_wrong", ref=ref)
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


def _undeliverable(error: Exception, acked: bool) -> str | None:
    """Why telling the person about `error` would be pointless, or None when it is worth it."""
    if isinstance(error, SlackApiError):
        code = str(error.response.get("error"))
        return code if code in STALE or code in UNREACHABLE else None
    if acked and isinstance(error, SlackClientError | OSError):
        return type(error).__name__  # Slack or the response_url did not answer at all
    return None


def _kind(body: dict[str, Any]) -> str:
    """The surface of a request, for log lines: `/pip`, `block_actions`, `app_home_opened`."""
    if "command" in body:
        return str(body["command"])[:40]
    event = body.get("event")
    if isinstance(event, dict):
        return str(event.get("type"))[:40]
    return str(body.get("type"))[:40]


def _tell_later(text: str, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    """After ack: reply through response_url when there is one, else in the user's DM.

    Best effort, once: a response_url that does not answer or a person Slack can't reach
    ends with one log line, never with another message about the failure.
    """
    try:
        if context.respond is not None and context.response_url:
            reply = context.respond(text=text, response_type="ephemeral", replace_original=False)
            if getattr(reply, "status_code", 200) != 200:
                logger.info(
                    "could not tell %s: response_url answered %s",
                    context.user_id,
                    reply.status_code,
                )
            return
        if context.user_id:
            channel = client.conversations_open(users=context.user_id)["channel"]["id"]
            client.chat_postMessage(channel=channel, text=text)
    except SlackApiError as failure:
        logger.info("could not tell %s: %s", context.user_id, failure.response.get("error"))
    except (SlackClientError, OSError, ValueError) as failure:
        logger.info("could not tell %s: %s", context.user_id, type(failure).__name__)
