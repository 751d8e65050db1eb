"""Prometheus metrics: Slack API calls, request handling time, and the outbox read at scrape time.

Counters live in prometheus_client's default registry (one per process). The outbox and plan
figures are read from the database when /metrics is scraped, so every replica reports the
same shared truth and no code that sends or stores has to remember to count.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.request.internals import extract_user_id
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from sqlalchemy import Engine, func, select

from db import database_ok
from logs import request_context
from models import Delivery, DeliveryStatus, Plan, PlanStatus, utcnow
from scheduler.foreground import Foreground

logger = logging.getLogger(__name__)

SLACK_CALLS = Counter("pipbot_slack_api_calls", "Slack Web API calls made, by method.", ["method"])
SLACK_ERRORS = Counter(
    "pipbot_slack_api_errors",
    "Slack Web API calls that failed, by method and Slack's error code.",
    ["method", "error"],
)
SLACK_RATE_LIMITED = Counter(
    "pipbot_slack_rate_limited", "HTTP 429 answers from Slack, by method.", ["method"]
)
REQUEST_SECONDS = Histogram(
    "pipbot_request_seconds",
    "Time to handle a Slack request until it is acknowledged, by surface.",
    ["surface"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0),
)
# Deliveries not yet ended; the oldest of these that is due shows a stuck outbox.
_OWED = (DeliveryStatus.PENDING, DeliveryStatus.CLAIMED)
SENT_WINDOW = timedelta(minutes=1)


def _error_code(error: SlackApiError) -> str:
    response = error.response
    data = response.data if isinstance(response.data, dict) else {}
    code = data.get("error")
    return str(code) if code else f"http_{response.status_code}"


class MeteredWebClient(WebClient):
    """A WebClient that counts its calls, errors and 429s in the metrics."""

    def api_call(self, api_method: str, **kwargs: Any) -> Any:
        """Call Slack and count the call and its outcome."""
        SLACK_CALLS.labels(api_method).inc()
        try:
            return super().api_call(api_method, **kwargs)
        except SlackApiError as error:
            SLACK_ERRORS.labels(api_method, _error_code(error)).inc()
            if error.response.status_code == 429:
                SLACK_RATE_LIMITED.labels(api_method).inc()
            raise
        except OSError:
            SLACK_ERRORS.labels(api_method, "connection").inc()
            raise


class CountingRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """slack_sdk's 429 retry handler, counting each 429 it retries (the client never sees it)."""

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        """Count the 429, then wait as Slack asked."""
        if response is not None:
            method = request.url.rsplit("/", 1)[-1].split("?", 1)[0]
            SLACK_RATE_LIMITED.labels(method).inc()
        super().prepare_for_next_attempt(
            state=state, request=request, response=response, error=error
        )


def surface_of(body: dict[str, Any]) -> str:
    """Which Slack surface a request body comes from: command, action, view, event, ..."""
    if "command" in body:
        return "command"
    kind = body.get("type")
    if kind in {"block_actions", "interactive_message"}:
        return "action"
    if kind in {"view_submission", "view_closed"}:
        return "view"
    if kind == "event_callback":
        return "event"
    if kind == "block_suggestion":
        return "options"
    if kind in {"shortcut", "message_action"}:
        return "shortcut"
    return "other"


class ObservedApp(App):
    """Bolt's App, timing each request by surface and naming it on every log line.

    Bolt's middleware does not wrap the listeners (each `next()` only lets the chain go on),
    so the measure is taken around `dispatch`, which returns once the request is acknowledged.
    Listeners that run on after the ack inherit the log context through `ContextExecutor`.
    Each request is marked on `foreground` until then, so that deliveries give way to it.
    """

    def __init__(self, *args: Any, foreground: Foreground | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.foreground = foreground or Foreground()

    def _init_context(self, req: BoltRequest) -> None:
        # Bolt gives each request a fresh plain WebClient copied from app.client
        # (slack_bolt/app/app.py, App._init_context); make it a metered one.
        super()._init_context(req)
        plain = req.context.client
        req.context["client"] = MeteredWebClient(
            token=plain.token,
            base_url=plain.base_url,
            timeout=plain.timeout,
            ssl=plain.ssl,
            proxy=plain.proxy,
            headers=plain.headers,
            team_id=req.context.team_id,
            logger=plain.logger,
            retry_handlers=plain.retry_handlers,
        )

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        """Dispatch `req` inside its log context and record how long it took."""
        body = req.body if isinstance(req.body, dict) else {}
        surface = surface_of(body)
        user_id = req.context.user_id or extract_user_id(body)
        started = time.perf_counter()
        try:
            with request_context(surface, user_id), self.foreground.request():
                return super().dispatch(req)
        finally:
            REQUEST_SECONDS.labels(surface).observe(time.perf_counter() - started)


class OutboxCollector(Collector):
    """Deliveries by kind and status, the oldest due delivery's age, sends in the last minute,
    and plans by status, read from the database at each scrape."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        """Query the database and yield the gauges (only `pipbot_database_up` if it is away)."""
        up = GaugeMetricFamily("pipbot_database_up", "1 when the database answered this scrape.")
        try:
            families = self._read()
        except Exception:  # noqa: BLE001 - a scrape must answer even with the database away
            logger.warning("metrics: the database did not answer")
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _read(self) -> list[Metric]:
        now = utcnow()
        deliveries = GaugeMetricFamily(
            "pipbot_deliveries",
            "Deliveries in the outbox, by kind and status.",
            labels=["kind", "status"],
        )
        plans = GaugeMetricFamily("pipbot_plans", "Plans, by status.", labels=["status"])
        oldest = GaugeMetricFamily(
            "pipbot_oldest_due_delivery_age_seconds",
            "How long the oldest delivery that is due and not yet sent has been due (0: none).",
        )
        sent = GaugeMetricFamily(
            "pipbot_deliveries_sent_last_minute",
            "Deliveries sent in the last 60 seconds, by every process.",
        )
        with self.engine.connect() as conn:
            for kind, status, count in conn.execute(
                select(Delivery.kind, Delivery.status, func.count()).group_by(
                    Delivery.kind, Delivery.status
                )
            ):
                deliveries.add_metric([str(kind), str(status)], count)
            # Every status is present, at 0 when no plan has it, so that alerts see a series.
            by_status = {str(status): 0 for status in PlanStatus}
            for plan_status, count in conn.execute(
                select(Plan.status, func.count()).group_by(Plan.status)
            ):
                by_status[str(plan_status)] = count
            for plan_status, count in by_status.items():
                plans.add_metric([plan_status], count)
            first_due = conn.scalar(
                select(func.min(Delivery.due_at)).where(
                    Delivery.status.in_(_OWED), Delivery.due_at <= now
                )
            )
            sent_count = conn.scalar(
                select(func.count()).where(
                    Delivery.status == DeliveryStatus.SENT, Delivery.sent_at >= now - SENT_WINDOW
                )
            )
        age = 0.0
        if first_due is not None:
            if first_due.tzinfo is None:  # SQLite hands back naive UTC
                first_due = first_due.replace(tzinfo=now.tzinfo)
            age = max(0.0, (now - first_due).total_seconds())
        oldest.add_metric([], age)
        sent.add_metric([], int(sent_count or 0))
        return [deliveries, plans, oldest, sent]


class _ProcessMetrics(Collector):
    """prometheus_client's default registry (our counters, process and GC figures)."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def make_registry(engine: Engine) -> CollectorRegistry:
    """A registry with this process's counters and the database's outbox and plan gauges."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_ProcessMetrics())
    registry.register(OutboxCollector(engine))
    return registry


StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
OPS_PATHS = (HEALTH_PATH, METRICS_PATH)


def ops_app(engine: Engine) -> WSGIApp:
    """A WSGI app for GET /healthz (cheap: one trivial query, no Slack) and GET /metrics."""
    registry = make_registry(engine)

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO")
        if environ.get("REQUEST_METHOD") not in {"GET", "HEAD"} or path not in OPS_PATHS:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found\n"]
        if path == METRICS_PATH:
            start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
            return [generate_latest(registry)]
        healthy = database_ok(engine)
        body = json.dumps({"status": "ok" if healthy else "unavailable", "database": healthy})
        status = "200 OK" if healthy else "503 Service Unavailable"
        start_response(status, [("Content-Type", "application/json")])
        return [body.encode()]

    return application
