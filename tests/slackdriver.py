"""Signed Slack requests sent through the real Bolt app, waiting for every listener to end."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import Future
from typing import Any
from urllib.parse import urlencode

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk.signature import SignatureVerifier

from logs import ContextExecutor
from scheduler.dispatcher import Dispatcher
from tests.fakeslack import FakeSlack

TEAM_ID = "T0001"
API_APP_ID = "A0001"


class TrackingExecutor(ContextExecutor):
    """A thread pool that can wait until every listener it ran has finished.

    Like the bot's own listener pool, it runs listeners in the request's logging context.
    """

    def __init__(self) -> None:
        super().__init__(max_workers=4, thread_name_prefix="listener")
        self._futures: list[Future[Any]] = []
        self._lock = threading.Lock()

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:  # noqa: D102
        future = super().submit(fn, *args, **kwargs)
        with self._lock:
            self._futures.append(future)
        return future

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Block until all submitted listeners are done; re-raise the first failure."""
        with self._lock:
            pending, self._futures = self._futures, []
        for future in pending:
            future.result(timeout=timeout)


def sign(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """Slack's signature headers for `body`, at `timestamp` (default: now)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"x-slack-request-timestamp": ts, "x-slack-signature": signature}


class SlackDriver:
    """Sends what Slack would send to the app, correctly signed, and waits for the outcome."""

    def __init__(
        self,
        app: App,
        slack: FakeSlack,
        executor: TrackingExecutor,
        signing_secret: str,
        dispatcher: Dispatcher,
    ) -> None:
        self.app = app
        self.dispatcher = dispatcher
        self.slack = slack
        self.executor = executor
        self.secret = signing_secret
        self._event_seq = 0

    def _dispatch(self, body: str, content_type: str, **headers: str) -> BoltResponse:
        all_headers = {"content-type": content_type, **sign(self.secret, body), **headers}
        response = self.app.dispatch(BoltRequest(body=body, headers=all_headers))
        self.executor.wait_idle()
        # What the running process's dispatcher thread would do when a listener woke it.
        self.dispatcher.run_pending()
        return response

    def command(
        self, user_id: str, text: str = "", *, channel_id: str = "C0GENERAL"
    ) -> BoltResponse:
        """`/pip <text>` typed by `user_id`, with a fresh trigger id."""
        form = {
            "token": "verification-token",
            "team_id": TEAM_ID,
            "team_domain": "acme",
            "channel_id": channel_id,
            "channel_name": "general",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": "/pip",
            "text": text,
            "api_app_id": API_APP_ID,
            "is_enterprise_install": "false",
            "response_url": self.slack.response_url(),
            "trigger_id": self.slack.new_trigger_id(),
        }
        return self._dispatch(urlencode(form), "application/x-www-form-urlencoded")

    def _interactive(self, payload: dict[str, Any]) -> BoltResponse:
        body = urlencode({"payload": json.dumps(payload)})
        return self._dispatch(body, "application/x-www-form-urlencoded")

    def click(
        self,
        user_id: str,
        action_id: str,
        *,
        value: str = "",
        block_id: str = "actions",
        message: dict[str, Any] | None = None,
        channel_id: str | None = None,
        view: dict[str, Any] | None = None,
    ) -> BoltResponse:
        """A `block_actions` click on a button in a message (`message`) or a view (`view`)."""
        action = {
            "type": "button",
            "action_id": action_id,
            "block_id": block_id,
            "value": value,
            "text": {"type": "plain_text", "text": "button"},
            "action_ts": f"{time.time():.6f}",
        }
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user_id, "username": user_id.lower(), "team_id": TEAM_ID},
            "team": {"id": TEAM_ID, "domain": "acme"},
            "api_app_id": API_APP_ID,
            "trigger_id": self.slack.new_trigger_id(),
            "response_url": self.slack.response_url(),
            "actions": [action],
        }
        if view is not None:
            payload["container"] = {"type": "view", "view_id": view["id"]}
            payload["view"] = view
        else:
            assert message is not None and channel_id is not None
            payload["container"] = {
                "type": "message",
                "message_ts": message["ts"],
                "channel_id": channel_id,
                "is_ephemeral": False,
            }
            payload["channel"] = {"id": channel_id, "name": "directmessage"}
            payload["message"] = message
        return self._interactive(payload)

    def press(self, user_id: str, message: dict[str, Any], action_id: str) -> BoltResponse:
        """`user_id` clicks the button `action_id` of a message the fake Slack recorded.

        The click carries what the rendered button carries (its value and its block's id), in
        the channel the message was posted to; a message without that button fails the test.
        """
        block_id, button = rendered_button(message, action_id)
        return self.click(
            user_id,
            action_id,
            value=str(button.get("value", "")),
            block_id=block_id,
            message=message,
            channel_id=self.slack.channel_of(message),
        )

    def submit(
        self, user_id: str, view: dict[str, Any], values: dict[str, dict[str, Any]]
    ) -> BoltResponse:
        """A `view_submission` of `view` (as the fake stored it) with `state.values`."""
        submitted = {**view, "state": {"values": values}}
        payload = {
            "type": "view_submission",
            "user": {"id": user_id, "username": user_id.lower(), "team_id": TEAM_ID},
            "team": {"id": TEAM_ID, "domain": "acme"},
            "api_app_id": API_APP_ID,
            "trigger_id": self.slack.new_trigger_id(),
            "view": submitted,
        }
        return self._interactive(payload)

    def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry_num: int | None = None
    ) -> BoltResponse:
        """An Events API callback carrying `event`."""
        self._event_seq += 1
        body = json.dumps(
            {
                "type": "event_callback",
                "team_id": TEAM_ID,
                "api_app_id": API_APP_ID,
                "event_id": event_id or f"Ev{self._event_seq:08d}",
                "event_time": int(time.time()),
                "event": event,
            }
        )
        headers = {}
        if retry_num is not None:
            headers = {"x-slack-retry-num": str(retry_num), "x-slack-retry-reason": "timeout"}
        return self._dispatch(body, "application/json", **headers)


def rendered_button(message: dict[str, Any], action_id: str) -> tuple[str, dict[str, Any]]:
    """The block id and the button with `action_id` in a message (in an actions block or a
    section's accessory); AssertionError naming the buttons there when it has none."""
    seen = []
    for block in message.get("blocks") or []:
        candidates = list(block.get("elements") or []) if block.get("type") == "actions" else []
        if isinstance(block.get("accessory"), dict):
            candidates.append(block["accessory"])
        for element in candidates:
            if element.get("type") != "button":
                continue
            if element.get("action_id") == action_id:
                return str(block.get("block_id", "")), element
            seen.append(element.get("action_id"))
    raise AssertionError(f"no {action_id!r} button in the message; it has {seen}")


def response_json(response: BoltResponse) -> dict[str, Any]:
    """The JSON body of an ack response (empty dict for an empty body)."""
    return json.loads(response.body) if response.body else {}
