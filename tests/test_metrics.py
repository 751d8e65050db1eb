"""GET /metrics: Prometheus text with the outbox, plans, Slack calls, 429s and request times."""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from prometheus_client.parser import text_string_to_metric_families
from slack_sdk.http_retry import builtin_handlers
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot import make_client, make_wsgi_app, start_health_server
from config import Settings
from metrics import surface_of
from tests.constants import EMPLOYEE
from tests.fakeslack import FakeSlack
from tests.plan_helpers import open_plan
from tests.process import free_port
from tests.slackdriver import SlackDriver

OPENED = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)  # Monday
FAMILIES = {
    "pipbot_deliveries",
    "pipbot_oldest_due_delivery_age_seconds",
    "pipbot_deliveries_sent_last_minute",
    "pipbot_plans",
    "pipbot_database_up",
    "pipbot_slack_api_calls",
    "pipbot_slack_api_errors",
    "pipbot_slack_rate_limited",
    "pipbot_request_seconds",
}


def _get(app: Any, path: str) -> tuple[str, dict[str, str], bytes]:
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answer["status"], answer["headers"] = status, dict(headers)

    body = b"".join(app({"REQUEST_METHOD": "GET", "PATH_INFO": path}, start_response))
    return answer["status"], answer["headers"], body


def _samples(app: Any) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    status, headers, body = _get(app, "/metrics")
    assert status == "200 OK"
    assert headers["Content-Type"].startswith("text/plain; version=")
    families = list(text_string_to_metric_families(body.decode()))
    assert FAMILIES <= {f.name for f in families}
    return {(s.name, frozenset(s.labels.items())): s.value for f in families for s in f.samples}


def _value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def _sum(samples: dict, name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= set(ls))


def test_metrics_count_deliveries_429s_and_requests(
    clock: time_machine.Coordinates,
    driver: SlackDriver,
    slack: FakeSlack,
    engine: Engine,
    session_factory: sessionmaker[Session],
) -> None:
    app = make_wsgi_app(driver.app, engine)
    before = _samples(app)
    slack.fail_next("chat.postMessage", status=429)
    open_plan(driver, session_factory, OPENED.date())  # three deliveries; the first meets a 429

    clock.shift(timedelta(seconds=61))
    waiting = _samples(app)
    assert _sum(waiting, "pipbot_deliveries", status="sent") == 2
    pending = _sum(waiting, "pipbot_deliveries", status="pending")  # the 429 and later prompts
    assert _value(waiting, "pipbot_oldest_due_delivery_age_seconds") == 61
    driver.dispatcher.tick()
    after = _samples(app)

    assert _sum(after, "pipbot_deliveries", status="sent") == 3
    assert _sum(after, "pipbot_deliveries", status="pending") == pending - 1
    assert _value(after, "pipbot_oldest_due_delivery_age_seconds") == 0
    assert _value(after, "pipbot_deliveries_sent_last_minute") == 1  # two went 61 s ago
    assert _value(after, "pipbot_plans", status="active") == 1
    assert ("pipbot_plans", frozenset({("status", "closed")})) in after  # 0, but present
    assert _value(after, "pipbot_database_up") == 1

    def delta(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    post = {"method": "chat.postMessage"}
    assert delta("pipbot_slack_rate_limited_total", **post) == 1
    assert delta("pipbot_slack_api_errors_total", **post, error="ratelimited") == 1
    assert delta("pipbot_slack_api_calls_total", **post) == 4  # three sent, one refused
    assert delta("pipbot_slack_api_calls_total", method="views.open") == 1
    assert delta("pipbot_request_seconds_count", surface="command") == 1
    assert delta("pipbot_request_seconds_count", surface="view") == 1


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_socket_mode_health_port_serves_health_and_metrics_only(engine: Engine) -> None:
    port = free_port()
    server = start_health_server(engine, port, host="127.0.0.1")
    try:
        base = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
            assert response.status == 200
            assert response.read() == b'{"status": "ok", "database": true}'
        with urllib.request.urlopen(base + "/metrics", timeout=5) as response:
            assert b"pipbot_deliveries_sent_last_minute" in response.read()
        with pytest.raises(urllib.error.HTTPError) as raised:
            urllib.request.urlopen(base + "/slack/events", timeout=5)
        assert raised.value.code == 404
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("body", "surface"),
    [
        ({"command": "/pip"}, "command"),
        ({"type": "block_actions"}, "action"),
        ({"type": "view_submission"}, "view"),
        ({"type": "view_closed"}, "view"),
        ({"type": "event_callback"}, "event"),
        ({"type": "block_suggestion"}, "options"),
        ({"type": "shortcut"}, "shortcut"),
        ({}, "other"),
    ],
)
def test_surface_of(body: dict, surface: str) -> None:
    assert surface_of(body) == surface


def test_a_429_the_client_retries_is_counted(
    settings: Settings, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prometheus_client import REGISTRY

    def value(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    slept: list[float] = []
    monkeypatch.setattr(builtin_handlers.time, "sleep", slept.append)  # Slack's Retry-After
    method = {"method": "users.info"}
    before = [value("pipbot_slack_rate_limited_total", **method)]
    before.append(value("pipbot_slack_api_calls_total", **method))
    slack.fail_next("users.info", status=429)
    user = make_client(settings).users_info(user=EMPLOYEE)["user"]
    assert user["id"] == EMPLOYEE
    assert len(slept) == 1 and slept[0] >= 1  # it waited as Slack asked, then retried
    assert value("pipbot_slack_rate_limited_total", **method) == before[0] + 1
    assert value("pipbot_slack_api_calls_total", **method) == before[1] + 1
    assert [c.status for c in slack.calls_to("users.info")] == [429, 200]
