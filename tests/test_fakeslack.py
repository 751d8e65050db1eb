"""Tests of the fake Slack Web API, driven through a real slack_sdk WebClient."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackObjectFormationError
from slack_sdk.models.views import View
from slack_sdk.webhook import WebhookClient

from tests.fakeslack import FakeSlack

TOKEN = "xoxb-test-token"
T0 = datetime(2026, 1, 15, 15, 0, tzinfo=UTC)
# slack_sdk warns when text is missing; some tests leave it out on purpose.
MISSING_TEXT_WARNING = "ignore:The top-level `text` argument is missing:UserWarning"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    """A started fake with one person (U1), one bot user and one public channel."""
    with FakeSlack().start() as fake:
        fake.add_user("U1", name="ada", real_name="Ada Lovelace")
        fake.add_user("UROBOT", is_bot=True)
        fake.add_channel("CHR")
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> WebClient:
    """A real WebClient without retry handlers, pointed at the fake."""
    return WebClient(token=TOKEN, base_url=slack.url, retry_handlers=[], timeout=5)


def section(text: str, **extra: object) -> dict:
    """A mrkdwn section block."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def modal(title: str = "New plan", blocks: list[dict] | None = None, **extra: object) -> dict:
    """A small valid modal."""
    return {
        "type": "modal",
        "callback_id": "plan_create",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Create"},
        "blocks": blocks if blocks is not None else [section("hello")],
        **extra,
    }


def text_input(block_id: str, action_id: str) -> dict:
    """An input block with a plain_text_input element."""
    return {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": "Label"},
        "element": {"type": "plain_text_input", "action_id": action_id},
    }


def api_error(excinfo: pytest.ExceptionInfo[SlackApiError]) -> str:
    """The Slack error code of a SlackApiError."""
    return excinfo.value.response["error"]


# ----------------------------------------------------------------- round trip


def test_web_client_round_trip(slack: FakeSlack, client: WebClient) -> None:
    auth = client.auth_test()
    assert (auth["team_id"], auth["user_id"], auth["bot_id"]) == ("T0001", "UBOT", "B0001")

    user = client.users_info(user="U1")["user"]
    assert user["id"] == "U1" and user["profile"]["real_name"] == "Ada Lovelace"
    assert user["tz"] == "America/New_York" and user["deleted"] is False

    channel = client.conversations_open(users="U1")["channel"]["id"]
    assert channel == slack.dm_channel("U1") and channel.startswith("D")

    metadata = {"event_type": "pip_delivery", "event_payload": {"delivery_id": 7}}
    blocks = [section("Time for your check-in", block_id="intro")]
    posted = client.chat_postMessage(
        channel=channel, text="Time for your check-in", blocks=blocks, metadata=metadata
    )
    assert posted["channel"] == channel

    history = client.conversations_history(channel=channel, include_all_metadata=True)
    assert [m["ts"] for m in history["messages"]] == [posted["ts"]]
    assert history["messages"][0]["metadata"] == metadata
    assert history["messages"][0]["blocks"] == blocks
    plain = client.conversations_history(channel=channel)  # metadata only when asked for
    assert "metadata" not in plain["messages"][0] and plain["messages"][0]["blocks"] == blocks

    client.chat_update(channel=channel, ts=posted["ts"], text="Done", blocks=[section("Done")])
    (message,) = slack.messages(channel)
    assert message["text"] == "Done" and message["blocks"] == [section("Done")]
    assert message["metadata"] == metadata and message["bot_id"] == "B0001"

    (call,) = slack.calls_to("chat.postMessage")
    assert call.args["blocks"] == blocks and call.args["metadata"] == metadata
    assert call.response["ok"] is True
    assert [c.method for c in slack.calls] == [
        "auth.test",
        "users.info",
        "conversations.open",
        "chat.postMessage",
        "conversations.history",
        "conversations.history",
        "chat.update",
    ]


def test_get_and_form_requests_and_auth(slack: FakeSlack) -> None:
    def get(path: str, headers: dict[str, str] | None = None) -> dict:
        request = urllib.request.Request(slack.url + path, headers=headers or {})
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.headers["Content-Type"] == "application/json; charset=utf-8"
            return json.loads(response.read())

    assert get(f"users.info?user=U1&token={TOKEN}")["user"]["name"] == "ada"
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert get("users.info?user=U1", bearer)["ok"] is True
    assert get("users.info?user=U1")["error"] == "not_authed"
    assert get("users.info?user=U1", {"Authorization": "Bearer xoxb-wrong"})["error"] == (
        "invalid_auth"
    )
    assert slack.calls_to("users.info")[0].args == {"user": "U1"}  # token not recorded

    form = urllib.parse.urlencode(
        {"channel": "CHR", "text": "hi", "blocks": json.dumps([section("hi")])}
    ).encode()
    request = urllib.request.Request(slack.url + "chat.postMessage", data=form, headers=bearer)
    with urllib.request.urlopen(request, timeout=5) as response:
        assert json.loads(response.read())["ok"] is True
    assert slack.calls_to("chat.postMessage")[0].args["blocks"] == [section("hi")]


def test_multipart_form_args_are_parsed(slack: FakeSlack, client: WebClient) -> None:
    client.api_call(
        "chat.postMessage", data={"channel": "CHR", "text": "hi"}, files={"extra": b"\x00\x01"}
    )
    (call,) = slack.calls_to("chat.postMessage")
    assert call.args == {"channel": "CHR", "text": "hi", "extra": b"\x00\x01"}


def test_unknown_method_and_unknown_user(slack: FakeSlack, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.api_call("pins.nothing")
    assert api_error(excinfo) == "unknown_method" and excinfo.value.response.status_code == 404

    with pytest.raises(SlackApiError) as excinfo:
        client.users_info(user="UNOBODY")
    assert api_error(excinfo) == "user_not_found"


def test_conversations_open_rules(slack: FakeSlack, client: WebClient) -> None:
    slack.add_user("UGONE", deleted=True)
    for users, error in [
        ("UROBOT", "cannot_dm_bot"),
        ("UNOBODY", "user_not_found"),
        ("UGONE", "user_disabled"),
    ]:
        with pytest.raises(SlackApiError) as excinfo:
            client.conversations_open(users=users)
        assert api_error(excinfo) == error
    # Posting into a deactivated user's existing DM still "succeeds" silently, like Slack.
    client.chat_postMessage(channel=slack.dm_channel("UGONE"), text="hello?")


def test_users_info_tz_offset_follows_the_clock(slack: FakeSlack, client: WebClient) -> None:
    with time_machine.travel(datetime(2026, 1, 15, 12, tzinfo=UTC), tick=False):
        winter = client.users_info(user="U1")["user"]
    with time_machine.travel(datetime(2026, 7, 15, 12, tzinfo=UTC), tick=False):
        summer = client.users_info(user="U1")["user"]
    assert (winter["tz_offset"], winter["tz_label"]) == (-18000, "Eastern Standard Time")
    assert (summer["tz_offset"], summer["tz_label"]) == (-14400, "Eastern Daylight Time")


# ----------------------------------------------------------------- messages


@pytest.mark.filterwarnings(MISSING_TEXT_WARNING)
def test_post_message_rejections(slack: FakeSlack, client: WebClient) -> None:
    cases: list[tuple[dict, str]] = [
        (
            {"channel": "CHR", "text": "x", "blocks": [section(str(i)) for i in range(51)]},
            "invalid_blocks",
        ),
        ({"channel": "CHR", "blocks": [section("no fallback")]}, "no_text"),
        ({"channel": "CHR", "text": "x", "blocks": [{"type": "nonsense"}]}, "invalid_blocks"),
        ({"channel": "CHR", "text": "x", "blocks": [section("a" * 3001)]}, "invalid_blocks"),
        (
            {"channel": "CHR", "text": "x", "blocks": [section("a", block_id="b")] * 2},
            "invalid_blocks",
        ),
        ({"channel": "CNOPE", "text": "x"}, "channel_not_found"),
        ({"channel": "CHR", "text": "x", "metadata": {"event_type": "e"}}, "invalid_metadata"),
        ({"channel": "CHR", "text": "x" * 40001}, "msg_too_long"),
    ]
    for kwargs, error in cases:
        with pytest.raises(SlackApiError) as excinfo:
            client.chat_postMessage(**kwargs)
        assert api_error(excinfo) == error, kwargs
    assert slack.messages("CHR") == []
    assert len(slack.calls_to("chat.postMessage")) == len(cases)  # rejected calls are recorded

    fifty = [section(str(i)) for i in range(50)]
    assert client.chat_postMessage(channel="CHR", text="ok", blocks=fifty)["ok"]


def test_post_to_user_id_lands_in_dm_and_ts_increase(slack: FakeSlack, client: WebClient) -> None:
    with time_machine.travel(T0, tick=False):
        first = client.chat_postMessage(channel="U1", text="one")
        second = client.chat_postMessage(channel="U1", text="two")
    assert first["channel"] == slack.dm_channel("U1")
    assert first["ts"] == "1768489200.000100" and second["ts"] == "1768489200.000200"
    assert [m["text"] for m in slack.messages(slack.dm_channel("U1"))] == ["one", "two"]


def test_history_filters_and_threads(slack: FakeSlack, client: WebClient) -> None:
    ts = [client.chat_postMessage(channel="CHR", text=f"m{i}")["ts"] for i in range(3)]
    reply = client.chat_postMessage(channel="CHR", text="reply", thread_ts=ts[0])["ts"]

    history = client.conversations_history(channel="CHR")["messages"]
    assert [m["text"] for m in history] == ["m2", "m1", "m0"]  # newest first, no replies
    assert history[2]["reply_count"] == 1

    window = client.conversations_history(channel="CHR", oldest=ts[0], latest=ts[2])
    assert [m["text"] for m in window["messages"]] == ["m1"]
    inclusive = client.conversations_history(
        channel="CHR", oldest=ts[0], latest=ts[2], inclusive=True
    )
    assert [m["text"] for m in inclusive["messages"]] == ["m2", "m1", "m0"]

    page = client.conversations_history(channel="CHR", limit=2)
    assert page["has_more"] is True
    rest = client.conversations_history(
        channel="CHR", limit=2, cursor=page["response_metadata"]["next_cursor"]
    )
    assert [m["text"] for m in rest["messages"]] == ["m0"] and rest["has_more"] is False

    thread = client.conversations_replies(channel="CHR", ts=ts[0])["messages"]
    assert [m["ts"] for m in thread] == [ts[0], reply]


@pytest.mark.filterwarnings(MISSING_TEXT_WARNING)
def test_update_delete_permalink_and_ephemeral(slack: FakeSlack, client: WebClient) -> None:
    ts = client.chat_postMessage(channel="CHR", text="hi")["ts"]
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_update(channel="CHR", ts="1.000001", text="x")
    assert api_error(excinfo) == "message_not_found"
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_update(channel="CHR", ts=ts, blocks=[section("no text")])
    assert api_error(excinfo) == "no_text"

    link = client.chat_getPermalink(channel="CHR", message_ts=ts)["permalink"]
    assert link.endswith("/archives/CHR/p" + ts.replace(".", ""))

    eph = client.chat_postEphemeral(channel="CELSEWHERE", user="U1", text="only you")
    assert eph["message_ts"] and slack.messages("CELSEWHERE") == []
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postEphemeral(channel="XYZ", user="U1", text="x")
    assert api_error(excinfo) == "channel_not_found"

    client.chat_delete(channel="CHR", ts=ts)
    assert slack.messages("CHR") == []


# ----------------------------------------------------------------- views


def test_slack_sdk_view_model_already_checks_title_length() -> None:
    # Documents why the fake's own title check is a second line of defence, not the only one.
    with pytest.raises(SlackObjectFormationError):
        View(**modal(title="x" * 30)).to_dict()


def test_views_open_rejects_long_title_and_accepts_valid(
    slack: FakeSlack, client: WebClient
) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.views_open(trigger_id=slack.new_trigger_id(), view=modal(title="x" * 30))
    assert api_error(excinfo) == "invalid_arguments"
    messages = excinfo.value.response["response_metadata"]["messages"]
    assert "title must be at most 24 characters, got 30" in messages

    view = client.views_open(trigger_id=slack.new_trigger_id(), view=modal())["view"]
    assert view["id"].startswith("V") and view["hash"]
    assert view["root_view_id"] == view["id"] and view["state"] == {"values": {}}
    assert slack.view(view["id"])["title"]["text"] == "New plan"


@pytest.mark.parametrize(
    ("view", "fragment"),
    [
        (modal(blocks=[section(str(i)) for i in range(101)]), "at most 100 blocks"),
        (modal(private_metadata="x" * 3001), "private_metadata"),
        (modal(callback_id="c" * 256), "callback_id"),
        (modal(blocks=[section("a", block_id="b"), section("c", block_id="b")]), "block_id"),
        ({**modal(blocks=[text_input("b1", "a")]), "submit": None}, "submit"),
        ({**modal(), "type": "home"}, "view type must be 'modal'"),
    ],
)
def test_views_open_enforces_limits(
    slack: FakeSlack, client: WebClient, view: dict, fragment: str
) -> None:
    view = {k: v for k, v in view.items() if v is not None}
    with pytest.raises(SlackApiError) as excinfo:
        client.views_open(trigger_id=slack.new_trigger_id(), view=view)
    assert api_error(excinfo) == "invalid_arguments"
    assert any(fragment in m for m in excinfo.value.response["response_metadata"]["messages"])


def test_trigger_ids_expire_are_single_use_and_must_exist(
    slack: FakeSlack, client: WebClient
) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        stale = slack.new_trigger_id()
        fresh = slack.new_trigger_id()
        traveller.shift(2.9)
        assert client.views_open(trigger_id=fresh, view=modal())["ok"]
        traveller.shift(1.1)  # 4 s after issue
        with pytest.raises(SlackApiError) as excinfo:
            client.views_open(trigger_id=stale, view=modal())
        assert api_error(excinfo) == "expired_trigger_id"

    reused = slack.new_trigger_id()
    client.views_open(trigger_id=reused, view=modal())
    with pytest.raises(SlackApiError) as excinfo:
        client.views_open(trigger_id=reused, view=modal())
    assert api_error(excinfo) == "expired_trigger_id"

    with pytest.raises(SlackApiError) as excinfo:
        client.views_open(trigger_id="123.456.made-up", view=modal())
    assert api_error(excinfo) == "invalid_trigger_id"


def test_views_update_hash_and_push_limit(slack: FakeSlack, client: WebClient) -> None:
    root = client.views_open(trigger_id=slack.new_trigger_id(), view=modal(external_id="plan-1"))[
        "view"
    ]

    with pytest.raises(SlackApiError) as excinfo:
        client.views_update(view_id=root["id"], view=modal("Stale"), hash="0.stale")
    assert api_error(excinfo) == "hash_conflict"
    updated = client.views_update(view_id=root["id"], view=modal("Fresh"), hash=root["hash"])
    assert updated["view"]["id"] == root["id"] and updated["view"]["hash"] != root["hash"]
    by_external = client.views_update(external_id="plan-1", view=modal("Again"))["view"]
    assert by_external["id"] == root["id"] and slack.view(root["id"])["title"]["text"] == "Again"
    with pytest.raises(SlackApiError) as excinfo:
        client.views_update(view_id="VNOPE", view=modal())
    assert api_error(excinfo) == "not_found"

    second = client.views_push(trigger_id=slack.new_trigger_id(view_id=root["id"]), view=modal())
    third = client.views_push(trigger_id=slack.new_trigger_id(), view=modal())
    assert second["view"]["root_view_id"] == root["id"]
    assert third["view"]["previous_view_id"] == second["view"]["id"]
    assert len(slack.view_stack(root["id"])) == 3
    with pytest.raises(SlackApiError) as excinfo:
        client.views_push(trigger_id=slack.new_trigger_id(), view=modal())
    assert api_error(excinfo) == "push_limit_reached"


def test_views_publish_home(slack: FakeSlack, client: WebClient) -> None:
    home = {"type": "home", "blocks": [section(str(i)) for i in range(101)]}
    with pytest.raises(SlackApiError) as excinfo:
        client.views_publish(user_id="U1", view=home)
    assert api_error(excinfo) == "invalid_arguments"
    with pytest.raises(SlackApiError) as excinfo:
        client.views_publish(user_id="U1", view=modal())
    assert api_error(excinfo) == "invalid_arguments"

    home["blocks"] = home["blocks"][:100]
    published = client.views_publish(user_id="U1", view=home)["view"]
    assert slack.home_view("U1")["id"] == published["id"]
    assert len(slack.home_view("U1")["blocks"]) == 100


# ----------------------------------------------------------------- failures


def test_fail_next_429_with_retry_after(slack: FakeSlack, client: WebClient) -> None:
    slack.fail_next("chat.postMessage", status=429, headers={"Retry-After": "3"})
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="CHR", text="hi")
    response = excinfo.value.response
    assert response.status_code == 429 and response.headers["Retry-After"] == "3"
    assert response["error"] == "ratelimited"
    assert slack.messages("CHR") == []
    assert slack.calls[-1].status == 429

    assert client.chat_postMessage(channel="CHR", text="hi")["ok"]  # only the next call fails


def test_fail_next_after_accept_keeps_the_message(slack: FakeSlack, client: WebClient) -> None:
    slack.fail_next("chat.postMessage", status=503, after_accept=True)
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="CHR", text="hi")
    assert excinfo.value.response.status_code == 503
    assert [m["text"] for m in slack.messages("CHR")] == ["hi"]

    slack.fail_next("chat.postMessage", error="internal_error", times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError):
            client.chat_postMessage(channel="CHR", text="again")
    assert len(slack.messages("CHR")) == 1


def test_fail_next_disconnect_and_hang(slack: FakeSlack, client: WebClient) -> None:
    slack.fail_next("chat.postMessage", after_accept=True, disconnect=True)
    with pytest.raises(ConnectionError):
        client.chat_postMessage(channel="CHR", text="dropped")
    assert [m["text"] for m in slack.messages("CHR")] == ["dropped"]
    assert slack.calls[-1].status == 0

    impatient = WebClient(token=TOKEN, base_url=slack.url, retry_handlers=[], timeout=0.1)
    slack.fail_next("chat.postMessage", after_accept=True, hang=True)
    with pytest.raises(TimeoutError):
        impatient.chat_postMessage(channel="CHR", text="hung")
    assert [m["text"] for m in slack.messages("CHR")] == ["dropped", "hung"]


def test_reset_keeps_users(slack: FakeSlack, client: WebClient) -> None:
    client.chat_postMessage(channel="CHR", text="hi")
    slack.fail_next("auth.test", error="account_inactive")
    slack.reset()
    assert slack.calls == [] and slack.messages("CHR") == []
    assert client.auth_test()["ok"]
    assert client.users_info(user="U1")["ok"]


def test_concurrent_calls_are_all_recorded(slack: FakeSlack, client: WebClient) -> None:
    def post(i: int) -> None:
        client.chat_postMessage(channel="CHR", text=f"m{i}")

    threads = [threading.Thread(target=post, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(slack.calls) == 20
    assert len({m["ts"] for m in slack.messages("CHR")}) == 20


# ----------------------------------------------------------------- files


def test_files_upload_v2(slack: FakeSlack, client: WebClient) -> None:
    result = client.files_upload_v2(
        channel="CHR",
        content="hello",
        filename="plan.txt",
        title="The plan",
        initial_comment="Exported",
    )
    assert result["file"]["title"] == "The plan"
    (upload,) = slack.uploads
    assert upload["content"] == b"hello"
    assert (upload["filename"], upload["title"], upload["channel_id"]) == (
        "plan.txt",
        "The plan",
        "CHR",
    )
    assert upload["initial_comment"] == "Exported" and upload["thread_ts"] is None
    assert [c.method for c in slack.calls] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]
    assert slack.calls[-1].args["files"] == [{"id": upload["id"], "title": "The plan"}]


def test_files_upload_v2_binary_bytes_survive(slack: FakeSlack, client: WebClient) -> None:
    data = bytes(range(256)) * 4 + b"\r\n--x\r\n"
    client.files_upload_v2(channel=slack.dm_channel("U1"), content=data, filename="a.bin")
    assert slack.uploads[0]["content"] == data


def test_a_failed_upload_post_keeps_nothing(slack: FakeSlack, client: WebClient) -> None:
    slack.fail_next("upload", status=500)
    with pytest.raises(urllib.error.HTTPError) as failed:
        client.files_upload_v2(channel=slack.dm_channel("U1"), content=b"x", filename="a.txt")
    assert failed.value.code == 500
    assert slack.calls_to("files.completeUploadExternal") == [] and slack.uploads == []
    client.files_upload_v2(channel=slack.dm_channel("U1"), content=b"y", filename="b.txt")
    assert [u["content"] for u in slack.uploads] == [b"y"]


# ----------------------------------------------------------------- response_url


@pytest.mark.filterwarnings(MISSING_TEXT_WARNING)
def test_response_url_records_responds_and_expires(slack: FakeSlack) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        url = slack.response_url()
        hook = WebhookClient(url)
        assert hook.send(text="Only you can see this", response_type="ephemeral").status_code == 200
        assert slack.responses == [
            {"url": url, "text": "Only you can see this", "response_type": "ephemeral"}
        ]
        assert hook.send(blocks=[section("no fallback")]).status_code == 400
        assert slack.calls_to("response_url")[-1].response["error"] == "no_text"
        for _ in range(4):
            hook.send(text="again")
        used = hook.send(text="sixth")
        assert (used.status_code, json.loads(used.body)["error"]) == (404, "used_url")

        late = WebhookClient(slack.response_url())
        traveller.shift(31 * 60)
        assert json.loads(late.send(text="late").body)["error"] == "expired_url"


def test_the_same_action_id_in_two_input_blocks_is_accepted(slack: FakeSlack) -> None:
    """Slack keys state by block id, then action id: repeated rows may share action ids."""
    client = WebClient(token=slack.bot_token, base_url=slack.url)
    view = modal(blocks=[text_input("b1", "same"), text_input("b2", "same")])
    assert client.views_open(trigger_id=slack.new_trigger_id(), view=view)["ok"]


def test_opt_in_rate_limits_answer_429_with_retry_after(
    slack: FakeSlack, client: WebClient
) -> None:
    slack.add_channel("C1")
    slack.add_channel("C2")
    slack.limit_per_channel("chat.postMessage", 1.0)
    client.chat_postMessage(channel="C1", text="first")
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="C1", text="too soon in C1")
    assert refused.value.response.status_code == 429
    assert refused.value.response.headers["Retry-After"] == "1"
    client.chat_postMessage(channel="C2", text="another channel is fine")
    [limited] = [c for c in slack.calls_to("chat.postMessage") if c.status == 429]
    assert limited.retry_after == 1.0
    assert [m["text"] for m in slack.messages("C1")] == ["first"]
    # A post inside the announced window is what a polite sender never makes.
    assert [c.args["channel"] for c in slack.inside_retry_after("chat.postMessage")] == ["C2"]

    slack.limit("users.info", 2.0, burst=2)
    slack.add_user("U1")
    answers = []
    for _ in range(3):
        try:
            answers.append(client.users_info(user="U1")["ok"])
        except SlackApiError as error:
            answers.append(error.response.status_code)
    assert answers == [True, True, 429]


def test_slow_and_hanging_methods_take_effect_and_answer_late_or_never(
    slack: FakeSlack,
) -> None:
    slack.add_channel("C1")
    slack.slow("chat.postMessage", 0.3)
    client = WebClient(token="xoxb-test-token", base_url=slack.url, timeout=1)
    started = time.monotonic()
    client.chat_postMessage(channel="C1", text="slow")
    assert time.monotonic() - started >= 0.3
    slack.slow("chat.postMessage", 0)
    slack.hang("chat.postMessage")
    with pytest.raises(TimeoutError):
        client.chat_postMessage(channel="C1", text="taken, never answered")
    assert [m["text"] for m in slack.messages("C1")] == ["slow", "taken, never answered"]
    slack.hang("chat.postMessage", enabled=False)
    assert client.chat_postMessage(channel="C1", text="answered again")["ok"]
