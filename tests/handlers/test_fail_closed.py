"""Forged, malformed and hostile requests through the real WSGI front door (issue 11).

Each test is one finding of the hostile run: it failed before the front door and passes
after it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
import time_machine
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot import make_wsgi_app
from edge.frontdoor import MAX_BODY_BYTES
from edge.logs import MAX_LINE, install_log_limits
from models import Base
from tests.constants import EMPLOYEE, MANAGER, SIGNING_SECRET
from tests.fakeslack import FakeSlack
from tests.plan_helpers import form_values, open_form
from tests.slackdriver import API_APP_ID, TEAM_ID, SlackDriver
from tests.wsgiclient import JSON, WsgiClient, sign_bytes
from views.ids import Action, Block, Callback

NOW = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)
MARKER = "ZQXJ-typed-by-a-person"


@pytest.fixture(autouse=True)
def frozen() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def http(driver: SlackDriver, engine: Engine) -> WsgiClient:
    return WsgiClient(make_wsgi_app(driver.app, engine, SIGNING_SECRET), SIGNING_SECRET)


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Captured logs, bounded the way main() bounds them."""
    caplog.set_level(logging.INFO)
    limits = install_log_limits(logging.getLogger("no-handlers"))
    caplog.handler.addFilter(limits)
    yield caplog
    # pytest keeps one capture handler for the whole run: later tests must see whole records.
    caplog.handler.removeFilter(limits)


def _rows(session_factory: sessionmaker[Session]) -> int:
    with session_factory() as db:
        return sum(
            db.scalar(select(func.count()).select_from(t)) or 0 for t in Base.metadata.sorted_tables
        )


def _command(slack: FakeSlack, text: str, *, user: str = MANAGER, **extra: str) -> str:
    form = {
        "team_id": TEAM_ID,
        "channel_id": "C0GENERAL",
        "user_id": user,
        "command": "/pip",
        "text": text,
        "api_app_id": API_APP_ID,
        "response_url": slack.response_url(),
        "trigger_id": slack.new_trigger_id(),
        **extra,
    }
    return urlencode(form)


def _event(event: dict[str, Any], event_id: str = "Ev0001") -> dict[str, Any]:
    return {
        "type": "event_callback",
        "team_id": TEAM_ID,
        "api_app_id": API_APP_ID,
        "event_id": event_id,
        "event_time": int(NOW.timestamp()),
        "event": event,
    }


def _no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    """No traceback anywhere, and no error from our code (slack_sdk logs its own failed posts)."""
    for record in caplog.records:
        assert record.exc_info is None and not record.exc_text, record.getMessage()
        assert record.name.startswith("slack_sdk") or record.levelno < logging.ERROR, record.msg


# Finding 1: a malformed timestamp made the signature check raise, and the error handler then
# acted on the unauthenticated body.
@pytest.mark.parametrize("timestamp", ["abc", "", "1.5", " 1", "１２"])
def test_malformed_timestamp_is_401_and_nothing_acts_on_the_body(
    http: WsgiClient,
    driver: SlackDriver,
    slack: FakeSlack,
    session_factory: sessionmaker[Session],
    logs: pytest.LogCaptureFixture,
    timestamp: str,
) -> None:
    before = _rows(session_factory)
    command = _command(slack, "show PIP-ZZZZZZ").encode()
    event = json.dumps(_event({"type": "app_home_opened", "user": EMPLOYEE, "tab": "home"}))
    answers = [
        http.post(command, signed=False, headers=sign_bytes(SIGNING_SECRET, command, timestamp)),
        http.post(
            event.encode(),
            content_type=JSON,
            signed=False,
            headers=sign_bytes(SIGNING_SECRET, event.encode(), timestamp),
        ),
    ]
    driver.executor.wait_idle()
    assert [a.status for a in answers] == [401, 401]
    assert slack.calls == []  # no response_url post, no DM, no Home tab
    assert _rows(session_factory) == before
    _no_tracebacks(logs)


# Finding 2: unsigned bodies that are not form data or JSON got a 500 and a traceback.
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"payload=hello", "application/x-www-form-urlencoded"),
        (b"\xff\xfe\xfd", "application/x-www-form-urlencoded"),
        (b"[1]", JSON),
        (b"payload=%7B%22user%22%3A+5%7D", "application/x-www-form-urlencoded"),
    ],
)
def test_unsigned_garbage_is_401_and_signed_garbage_is_400(
    http: WsgiClient,
    driver: SlackDriver,
    slack: FakeSlack,
    logs: pytest.LogCaptureFixture,
    body: bytes,
    content_type: str,
) -> None:
    unsigned = http.post(body, content_type=content_type, signed=False)
    signed = http.post(body, content_type=content_type)
    driver.executor.wait_idle()
    assert (unsigned.status, signed.status) == (401, 400)
    assert slack.calls == []
    _no_tracebacks(logs)


def _view_submission(view: dict[str, Any], values: Any) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "user": {"id": MANAGER, "team_id": TEAM_ID},
        "team": {"id": TEAM_ID},
        "api_app_id": API_APP_ID,
        "trigger_id": "1.2.3",
        "view": {**view, "state": {"values": values}},
    }


def _block_actions(
    user: Any, *, view: dict[str, Any] | None = None, value: str = ""
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": user,
        "team": {"id": TEAM_ID},
        "api_app_id": API_APP_ID,
        "trigger_id": "1.2.3",
        "actions": [
            {"type": "button", "action_id": Action.ADD_GOAL, "block_id": "b", "value": value}
        ],
    }
    if view is not None:
        payload["view"] = view
        payload["container"] = {"type": "view", "view_id": view["id"]}
    return payload


# Finding 3: signed payloads with unexpected shapes got a 500 or "Something went wrong".
@pytest.mark.parametrize(
    "case",
    [
        "user_number",
        "user_list",
        "event_null",
        "state_string",
        "blocks_null",
        "event_user_list",
        "home_without_user",  # found by the fuzz
    ],
)
def test_signed_payloads_of_the_wrong_shape_get_400_without_a_traceback(
    http: WsgiClient,
    driver: SlackDriver,
    slack: FakeSlack,
    logs: pytest.LogCaptureFixture,
    case: str,
) -> None:
    view = open_form(driver)
    slack.calls.clear()
    values = form_values(view, start=NOW.date())
    if case == "user_number":
        answer = http.interaction(_block_actions({"id": 5}, view=view))
    elif case == "user_list":
        answer = http.interaction(_block_actions([MANAGER], view=view))
    elif case == "event_null":
        answer = http.event({**_event({}), "event": None})
    elif case == "state_string":
        values[Block.ISSUES] = {Action.ISSUES: "just a string"}
        answer = http.interaction(_view_submission(view, values))
    elif case == "blocks_null":
        answer = http.interaction(_view_submission({**view, "blocks": None}, values))
    elif case == "home_without_user":
        answer = http.event(_event({"type": "app_home_opened", "user": None, "tab": "home"}))
    else:
        answer = http.event(_event({"type": "app_home_opened", "user": [EMPLOYEE], "tab": "home"}))
    driver.executor.wait_idle()
    assert answer.status == 400, answer.body
    assert slack.calls == []
    _no_tracebacks(logs)
    assert any("refused a malformed" in r.getMessage() for r in logs.records)


def test_a_start_date_far_in_the_future_is_a_field_error(
    http: WsgiClient, driver: SlackDriver, slack: FakeSlack, logs: pytest.LogCaptureFixture
) -> None:
    view = open_form(driver)
    for start in ("9999-12-31", "2029-06-01"):
        values = form_values(view, start=NOW.date())
        values[Block.START_DATE][Action.START_DATE]["selected_date"] = start
        answer = http.interaction(_view_submission(view, values))
        driver.executor.wait_idle()
        assert answer.status == 200
        errors = answer.json()["errors"]
        assert "start_date" in json.dumps(list(errors)), errors
        assert "within a year" in errors[Block.START_DATE]
    _no_tracebacks(logs)


# Finding 4: a listener failing after ack() held the answer for 3 s, then answered 404.
def test_a_failure_after_ack_answers_at_once(
    http: WsgiClient, driver: SlackDriver, slack: FakeSlack, logs: pytest.LogCaptureFixture
) -> None:
    view = open_form(driver)
    remove = _block_actions({"id": MANAGER, "team_id": TEAM_ID}, view=view, value="not-a-slot")
    remove["actions"][0]["action_id"] = Action.REMOVE_GOAL
    answer = http.interaction(remove)
    driver.executor.wait_idle()
    assert answer.status == 200 and answer.seconds < 1.0
    assert not slack.calls_to("chat.postMessage")
    _no_tracebacks(logs)


def test_an_unreachable_response_url_ends_with_one_log_line(
    http: WsgiClient, driver: SlackDriver, slack: FakeSlack, logs: pytest.LogCaptureFixture
) -> None:
    # `/pip new eli` opens the form, then says on the response_url that "eli" is no mention.
    body = _command(slack, "new eli", response_url="http://127.0.0.1:9/commands/unreachable")
    answer = http.post(body)
    driver.executor.wait_idle()
    assert answer.status == 200 and answer.seconds < 1.0
    assert slack.calls_to("views.open")
    assert not slack.calls_to("chat.postMessage") and not slack.calls_to("conversations.open")
    ours = [r.getMessage() for r in logs.records if r.name.startswith("handlers")]
    assert len(ours) == 1 and "can't reach" in ours[0], ours
    _no_tracebacks(logs)


# Finding 5: rejected requests were logged with their whole body; user text at any length.
def test_logs_hold_no_body_no_user_text_and_no_long_line(
    http: WsgiClient, driver: SlackDriver, slack: FakeSlack, logs: pytest.LogCaptureFixture
) -> None:
    typed = MARKER + "x" * 50_000
    http.post(_command(slack, f"show {typed}"), signed=False)  # unsigned: 401
    http.post(_command(slack, f"show {typed}"))  # signed: a plan id that does not exist
    http.post(_command(slack, f"frobnicate {typed}"))  # signed: not a subcommand
    http.event(_event({"type": "reaction_added", "user": EMPLOYEE, "reaction": typed}))
    # Bolt's own verification, reached without the front door, logs the body it refuses.
    from slack_bolt import BoltRequest

    driver.app.dispatch(
        BoltRequest(body=_command(slack, typed), headers={"x-slack-request-timestamp": "1"})
    )
    driver.executor.wait_idle()
    text = logs.text
    assert MARKER not in text
    for record in logs.records:
        assert len(logs.handler.format(record)) <= MAX_LINE


# Finding 6: a double click on Add goal made Slack refuse the stale update, and the manager
# got "Something went wrong".
def test_a_double_click_on_add_goal_is_silent(
    driver: SlackDriver, slack: FakeSlack, logs: pytest.LogCaptureFixture
) -> None:
    view = open_form(driver)
    values = form_values(view, start=NOW.date())
    for _ in range(2):  # both clicks carry the view (and hash) Slack showed at the time
        driver.click(
            MANAGER, Action.ADD_GOAL, value="add", view={**view, "state": {"values": values}}
        )
    updates = slack.calls_to("views.update")
    assert [c.response.get("error") for c in updates] == [None, "hash_conflict"]
    assert all("hash" in c.args for c in updates)
    assert not slack.calls_to("chat.postMessage") and not slack.calls_to("response_url")
    _no_tracebacks(logs)


# Finding 8: events for people or channels Slack does not know looped into error DMs.
@pytest.mark.parametrize(
    "event",
    [
        {"type": "app_home_opened", "user": "UREMOVED", "channel": "DREMOVED", "tab": "home"},
        {
            "type": "message",
            "channel_type": "im",
            "channel": "DNOWHERE",
            "user": EMPLOYEE,
            "text": "hello",
            "ts": "1799999999.000100",
        },
    ],
)
def test_events_for_people_or_channels_slack_does_not_know_end_in_one_line(
    http: WsgiClient,
    driver: SlackDriver,
    slack: FakeSlack,
    logs: pytest.LogCaptureFixture,
    event: dict[str, Any],
) -> None:
    answer = http.event(_event(event))
    driver.executor.wait_idle()
    assert answer.status == 200
    failed = [c for c in slack.calls if not c.response.get("ok", True)]
    assert len(failed) == 1, [(c.method, c.response) for c in slack.calls]
    assert not slack.calls_to("conversations.open")
    lines = [r for r in logs.records if r.name.startswith("handlers")]
    assert len(lines) == 1, [r.getMessage() for r in lines]
    _no_tracebacks(logs)


# Finding 9: forged private_metadata on Add goal made the bot send views Slack would refuse.
@pytest.mark.parametrize(
    "metadata",
    [
        json.dumps({"slots": list(range(200)), "next": 200, "plan": None, "employee": None}),
        json.dumps({"slots": [0, 0, 0], "next": 1, "plan": None, "employee": None}),
        json.dumps({"slots": [0], "next": 1, "plan": "x" * 2900, "employee": None}),
    ],
)
def test_forged_form_metadata_is_refused(
    driver: SlackDriver, slack: FakeSlack, logs: pytest.LogCaptureFixture, metadata: str
) -> None:
    view = open_form(driver)
    forged = {**view, "private_metadata": metadata}
    values = form_values(view, start=NOW.date())
    driver.click(
        MANAGER, Action.ADD_GOAL, value="add", view={**forged, "state": {"values": values}}
    )
    assert all(c.response.get("ok") for c in slack.calls), [c.response for c in slack.calls]
    assert not slack.calls_to("views.update")
    reply = driver.submit(MANAGER, forged, values)
    errors = json.loads(reply.body)["errors"]
    assert "open it again" in " ".join(errors.values())
    _no_tracebacks(logs)


# Defence in depth: should a request reach Bolt without the front door (another adapter, or
# Bolt's own check raising), the error handler refuses to act on an unverified body.
@pytest.mark.parametrize("timestamp", ["abc", "", "1.5"])
def test_the_error_handler_never_acts_on_an_unverified_request(
    driver: SlackDriver, slack: FakeSlack, logs: pytest.LogCaptureFixture, timestamp: str
) -> None:
    from slack_bolt import BoltRequest

    body = _command(slack, "show PIP-ZZZZZZ", user=EMPLOYEE)
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": "v0=00",
    }
    response = driver.app.dispatch(BoltRequest(body=body, headers=headers))
    driver.executor.wait_idle()
    assert response.status == 401
    assert slack.calls == []
    _no_tracebacks(logs)


def test_url_verification_is_answered_only_when_signed(
    http: WsgiClient, driver: SlackDriver, slack: FakeSlack
) -> None:
    body = {"type": "url_verification", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7"}
    signed = http.event(body)
    unsigned = http.event(body, signed=False)
    assert signed.status == 200 and signed.json()["challenge"] == body["challenge"]
    assert unsigned.status == 401 and b"3eZbrw1" not in unsigned.body


def test_socket_mode_requests_need_no_signature_and_still_work(
    driver: SlackDriver, slack: FakeSlack, logs: pytest.LogCaptureFixture
) -> None:
    from urllib.parse import parse_qsl

    from slack_bolt import BoltRequest

    form = dict(parse_qsl(_command(slack, "show PIP-ZZZZZZ", user=EMPLOYEE)))
    response = driver.app.dispatch(BoltRequest(body=form, mode="socket_mode"))
    driver.executor.wait_idle()
    assert response.status == 200
    assert "PIP-ZZZZZZ" in json.loads(response.body)["text"]  # the not-found answer
    _no_tracebacks(logs)


def test_other_paths_and_methods_get_4xx(http: WsgiClient) -> None:
    assert http.post(b"", path="/slack/other").status == 404
    assert http.post(b"x" * (MAX_BODY_BYTES + 1)).status == 413


@pytest.mark.parametrize("callback", [Callback.REVIEW, Callback.CHECKIN, Callback.CLOSE])
@pytest.mark.parametrize(
    "metadata", ["1", "[]", "99999999999999999999", '{"checkin": [1]}', '{"plan": {"a": 1}}']
)
def test_forged_metadata_on_other_forms_is_not_found(
    driver: SlackDriver,
    slack: FakeSlack,
    logs: pytest.LogCaptureFixture,
    callback: str,
    metadata: str,
) -> None:
    view = {"id": "V0FORGED", "type": "modal", "callback_id": callback, "blocks": []}
    reply = driver.submit(MANAGER, {**view, "private_metadata": metadata}, {})
    assert reply.status == 200
    _no_tracebacks(logs)


# Found by the fuzz on PostgreSQL: a NUL character reached a query and PostgreSQL refused it.
def test_a_nul_character_is_refused_at_the_edge(
    http: WsgiClient, driver: SlackDriver, slack: FakeSlack, logs: pytest.LogCaptureFixture
) -> None:
    answer = http.post(_command(slack, "show \x00"))
    event = http.event(_event({"type": "app_home_opened", "user": EMPLOYEE, "tab": "ho\x00me"}))
    driver.executor.wait_idle()
    assert answer.status == 200 and answer.json()["response_type"] == "ephemeral"
    assert event.status == 400
    assert slack.calls == []
    _no_tracebacks(logs)


def test_every_listener_tells_failures_after_ack_itself(driver: SlackDriver) -> None:
    # Bolt 1.30 resets a listener's ack when it raises after acknowledging
    # (slack_bolt/listener/thread_runner.py, `ack.response = response` with response None),
    # so the HTTP answer waits 3 s and becomes a 404. `transactional` catches first.
    listeners = driver.app._listeners  # noqa: SLF001 - Bolt keeps no public list
    names = [getattr(lst.ack_function, "__name__", "?") for lst in listeners]
    unsafe = [
        n
        for lst, n in zip(listeners, names, strict=True)
        if not getattr(lst.ack_function, "transactional", False)
    ]
    assert names and unsafe == []


def test_a_command_that_mentions_payload_is_read_as_the_command_it_is(
    http: WsgiClient, driver: SlackDriver, slack: FakeSlack
) -> None:
    # Bolt reads any form body containing "payload" as an (empty) interaction.
    answer = http.post(_command(slack, "show payload"))
    driver.executor.wait_idle()
    assert answer.status == 200
    assert "PIP-PAYLOAD" in answer.json()["text"]  # the plan-not-found answer, for that id
