"""Property-based fuzzing of `POST /slack/events` through the real WSGI app and the fake Slack.

Every surface (slash commands, block_actions, view_submission, view_closed, url_verification,
app_home_opened, message.im, other events, raw bytes) is generated with plausible and hostile
values, then sent signed, unsigned, with a malformed or stale timestamp, or a wrong signature.
Whatever comes in: never a 5xx, an unverified request is always 401 and writes nothing, the
answer comes within a second, and no traceback (nor error line of ours) reaches the log.

A few hundred examples run in CI. For a long run, set PIP_FUZZ_EXAMPLES (e.g. 10000) and run
with `-s` to see the counts.
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot import make_wsgi_app
from config import Settings
from edge.logs import MAX_LINE, install_log_limits
from handlers.context import form_key
from models import Base
from tests.constants import EMPLOYEE, HR, MANAGER, OTHER_MANAGER, OUTSIDER, SIGNING_SECRET
from tests.fakeslack import FakeSlack
from tests.plan_helpers import open_form
from tests.slackdriver import API_APP_ID, TEAM_ID, SlackDriver
from tests.wsgiclient import FORM, JSON, WsgiClient, sign_bytes
from views.form_meta import FormMeta
from views.ids import Action, Block, Callback

EXAMPLES = int(os.environ.get("PIP_FUZZ_EXAMPLES", "300"))
ANSWER_SECONDS = 1.0
PEOPLE = [MANAGER, EMPLOYEE, HR, OTHER_MANAGER, OUTSIDER, "UNKNOWN01", "UGONE", "UBOTTY"]

junk = st.one_of(
    st.none(),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.text(max_size=30),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
texts = st.one_of(
    st.text(max_size=80),
    st.text(max_size=80).map(lambda t: f"<@U123|{t}> *{t}* <!channel> &amp;"),
    st.builds(lambda n: "x" * n, st.integers(0, 5000)),
)
people = st.sampled_from(PEOPLE)
dates = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.sampled_from(["9999-12-31", "0001-01-01", "2027-02-30", "2027-01-06", "", "tomorrow"]),
)


def sometimes(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly `strategy`, sometimes junk of any type."""
    return st.one_of(strategy, strategy, strategy, junk)


def command_text() -> st.SearchStrategy[str]:
    words = st.sampled_from(
        [
            "",
            "help",
            "new",
            "new <@UEMPLOYEE|eli>",
            "list",
            "list all",
            "show",
            "edit",
            "extend",
            "checkin",
            "close",
            "export",
            "report",
            "show PIP-ZZZZZZ",
            "payload",
        ]
    )
    return st.tuples(words, st.one_of(st.just(""), texts)).map(lambda p: f"{p[0]} {p[1]}".strip())


@st.composite
def commands(draw: st.DrawFn, slack: FakeSlack) -> tuple[bytes, str]:
    form: dict[str, Any] = {
        "team_id": TEAM_ID,
        "channel_id": "C0GENERAL",
        "user_id": draw(people),
        "command": draw(st.sampled_from(["/pip", "/pip", "/other", "pip"])),
        "text": draw(command_text()),
        "api_app_id": API_APP_ID,
        "response_url": draw(
            st.sampled_from(
                [slack.response_url(), "http://127.0.0.1:9/unreachable", "not a url", ""]
            )
        ),
        "trigger_id": draw(st.sampled_from([slack.new_trigger_id(), "1.2.bogus"])),
    }
    for key in draw(st.lists(st.sampled_from(sorted(form)), max_size=2, unique=True)):
        if draw(st.booleans()):
            del form[key]
        else:
            form[key] = draw(st.text(max_size=20))
    return urlencode(form).encode(), FORM


def state_values() -> st.SearchStrategy[Any]:
    element = st.fixed_dictionaries(
        {},
        optional={
            "type": st.sampled_from(["plain_text_input", "datepicker", "static_select"]),
            "value": sometimes(st.one_of(st.none(), texts)),
            "selected_date": sometimes(st.one_of(st.none(), dates)),
            "selected_user": sometimes(st.one_of(st.none(), people)),
            "selected_option": sometimes(
                st.one_of(st.none(), st.fixed_dictionaries({"value": sometimes(texts)}))
            ),
        },
    )
    block_ids = st.one_of(st.sampled_from([b.value for b in Block]), st.text(max_size=12))
    action_ids = st.one_of(st.sampled_from([a.value for a in Action]), st.text(max_size=12))
    return sometimes(
        st.dictionaries(block_ids, sometimes(st.dictionaries(action_ids, sometimes(element))))
    )


def views(real: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Views: the real plan form (with its signed metadata) or made-up ones."""
    signed = [real["private_metadata"], FormMeta([0, 3], 4).dump(real["key"])]
    return st.fixed_dictionaries(
        {
            "id": sometimes(st.sampled_from([real["id"], "VUNKNOWN"])),
            "type": st.just("modal"),
            "callback_id": sometimes(st.sampled_from([c.value for c in Callback])),
            "private_metadata": sometimes(
                st.one_of(
                    texts,
                    st.sampled_from(
                        [
                            "PIP-ZZZZZZ",
                            "1",
                            "[]",
                            "99999999999999999999",
                            '{"checkin": [1]}',
                            '{"plan": {"a": 1}}',
                            '{"checkin": "99999999999999"}',
                            json.dumps({"slots": [0], "next": 1}),
                        ]
                    ),
                    st.sampled_from(signed),
                    st.sampled_from(signed),
                )
            ),
            "blocks": sometimes(st.lists(st.fixed_dictionaries({"type": st.just("input")}))),
            "hash": sometimes(st.text(max_size=10)),
            "state": sometimes(st.fixed_dictionaries({"values": state_values()})),
        }
    )


@st.composite
def interactions(draw: st.DrawFn, slack: FakeSlack, real: dict[str, Any]) -> tuple[bytes, str]:
    kind = draw(st.sampled_from(["block_actions", "view_submission", "view_closed", "shortcut"]))
    payload: dict[str, Any] = {
        "type": kind,
        "user": draw(sometimes(st.fixed_dictionaries({"id": sometimes(people)}))),
        "team": {"id": TEAM_ID},
        "api_app_id": API_APP_ID,
        "trigger_id": draw(st.sampled_from([slack.new_trigger_id(), "1.2.bogus"])),
    }
    if kind == "block_actions":
        action = {
            "type": "button",
            "action_id": draw(sometimes(st.sampled_from([a.value for a in Action]))),
            "block_id": draw(sometimes(st.text(max_size=10))),
            "value": draw(sometimes(texts)),
        }
        payload["actions"] = draw(sometimes(st.just([action])))
        payload["response_url"] = draw(
            st.sampled_from([slack.response_url(), "http://127.0.0.1:9/unreachable"])
        )
        if draw(st.booleans()):
            payload["view"] = draw(views(real))
            payload["container"] = {"type": "view", "view_id": "V0001"}
        else:
            channel = slack.dm_channel(draw(people))
            payload["container"] = {
                "type": "message",
                "channel_id": channel,
                "message_ts": "1799999999.000100",
            }
            payload["channel"] = {"id": channel}
            payload["message"] = draw(
                sometimes(
                    st.fixed_dictionaries(
                        {
                            "ts": st.just("1799999999.000100"),
                            "text": sometimes(texts),
                            "blocks": sometimes(st.just([])),
                        }
                    )
                )
            )
    elif kind != "shortcut":
        payload["view"] = draw(sometimes(views(real)))
    body = urlencode({"payload": json.dumps(payload)})
    return body.encode(), FORM


@st.composite
def events(draw: st.DrawFn) -> tuple[bytes, str]:
    if draw(st.integers(0, 9)) == 0:
        body: dict[str, Any] = {"type": "url_verification", "challenge": draw(sometimes(texts))}
        return json.dumps(body).encode(), JSON
    event_type = draw(st.sampled_from(["app_home_opened", "message", "message", "reaction_added"]))
    event: dict[str, Any] = {"type": event_type, "user": draw(sometimes(people))}
    if event_type == "app_home_opened":
        event["tab"] = draw(sometimes(st.sampled_from(["home", "messages"])))
    else:
        event.update(
            channel_type="im",
            channel=draw(sometimes(st.sampled_from(["DNOWHERE", "D0001", "C0GENERAL"]))),
            text=draw(sometimes(texts)),
            ts="1799999999.000200",
        )
        if draw(st.booleans()):
            event["thread_ts"] = draw(sometimes(st.just("1799999999.000100")))
    body = {
        "type": "event_callback",
        "team_id": TEAM_ID,
        "api_app_id": API_APP_ID,
        "event_id": draw(st.text("Ev0123456789", min_size=3, max_size=12)),
        "event_time": 1799999999,
        "event": draw(sometimes(st.just(event))),
    }
    return json.dumps(body).encode(), JSON


def garbage() -> st.SearchStrategy[tuple[bytes, str]]:
    return st.tuples(
        st.one_of(st.binary(max_size=200), st.just(b"payload=hello"), st.just(b"[1]")),
        st.sampled_from([FORM, JSON, "text/plain", ""]),
    )


SIGNINGS = ["signed", "signed", "signed", "unsigned", "bad_timestamp", "stale", "wrong"]


def _headers(mode: str, body: bytes, timestamp: str) -> dict[str, str]:
    if mode == "signed":
        return sign_bytes(SIGNING_SECRET, body)
    if mode == "unsigned":
        return {}
    if mode == "bad_timestamp":
        return sign_bytes(SIGNING_SECRET, body, timestamp)
    if mode == "stale":
        return sign_bytes(SIGNING_SECRET, body, "1500000000")
    return sign_bytes("not-the-secret", body)


def _rows(session_factory: sessionmaker[Session]) -> int:
    with session_factory() as db:
        tables = Base.metadata.sorted_tables
        return sum(db.scalar(select(func.count()).select_from(t)) or 0 for t in tables)


@pytest.fixture
def settings_(settings: Settings) -> Settings:
    """The app's settings (hypothesis takes the name `settings`)."""
    return settings


@pytest.fixture
def tally() -> Iterator[Counter[str]]:
    counts: Counter[str] = Counter()
    yield counts
    print(f"\nfuzz: {dict(sorted(counts.items()))}")  # noqa: T201 - the long run's result


def test_no_request_gets_a_5xx_a_traceback_or_past_the_signature(
    driver: SlackDriver,
    engine: Engine,
    slack: FakeSlack,
    session_factory: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
    tally: Counter[str],
    settings_: Settings,
) -> None:
    http = WsgiClient(make_wsgi_app(driver.app, engine, SIGNING_SECRET), SIGNING_SECRET)
    real = {**open_form(driver), "key": form_key(settings_)}
    caplog.set_level(logging.INFO)
    limits = install_log_limits(logging.getLogger("fuzz-no-handlers"))
    caplog.handler.addFilter(limits)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        request=st.one_of(commands(slack), interactions(slack, real), events(), garbage()),
        mode=st.sampled_from(SIGNINGS),
        timestamp=st.sampled_from(["abc", "", "1.5", "-1", "1e9", "９", "99999999999999999999"]),
    )
    def one_request(request: tuple[bytes, str], mode: str, timestamp: str) -> None:
        body, content_type = request
        caplog.clear()
        before = _rows(session_factory) if mode != "signed" else 0
        answer = http.post(
            body, content_type=content_type, signed=False, headers=_headers(mode, body, timestamp)
        )
        driver.executor.wait_idle()
        tally["requests"] += 1
        tally[f"status {answer.status}"] += 1
        tracebacks = [r for r in caplog.records if r.exc_info or r.exc_text]
        ours = [
            r
            for r in caplog.records
            if r.levelno >= logging.ERROR and not r.name.startswith("slack_sdk")
        ]
        tally["tracebacks"] += len(tracebacks)
        tally["5xx"] += answer.status >= 500
        tally["unsigned not 401"] += mode != "signed" and answer.status != 401
        tally["slower than 1 s"] += answer.seconds >= ANSWER_SECONDS
        assert answer.status < 500, (mode, body[:300])
        assert not tracebacks and not ours, [r.getMessage() for r in tracebacks + ours]
        assert all(len(caplog.handler.format(r)) <= MAX_LINE for r in caplog.records)
        assert answer.seconds < ANSWER_SECONDS, (answer.seconds, body[:300])
        if mode != "signed":
            assert answer.status == 401, (mode, body[:300])
            assert _rows(session_factory) == before

    try:
        one_request()
    finally:
        caplog.handler.removeFilter(limits)  # one capture handler serves the whole run
