"""PIP Bot: build the Slack app (`create_app`) and run it (`main`)."""

from __future__ import annotations

import json
import logging
import signal
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ThreadPoolExecutor
from types import FrameType
from typing import Any

from dotenv import find_dotenv, load_dotenv
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

import handlers
from config import ConfigError, Settings
from db import database_ok, make_engine, make_session_factory, migrate
from handlers.context import install as install_context
from scheduler.dispatcher import Dispatcher
from scheduler.ticker import start_ticker

logger = logging.getLogger("pipbot")
EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
WSGI_THREADS = 8
LISTENER_THREADS = 16
# A post that gets no answer gives up after this long; shutting down waits for it to.
DELIVERY_TIMEOUT = 10
SHUTDOWN_GRACE = DELIVERY_TIMEOUT + 2

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def make_client(settings: Settings) -> WebClient:
    """A Web API client on `SLACK_API_URL` that retries rate limits and dropped connections."""
    return WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=2),
        ],
    )


def make_delivery_client(settings: Settings) -> WebClient:
    """A client for the dispatcher with no automatic retries: a retried post could post twice,
    so the dispatcher decides itself (see scheduler/dispatcher.py)."""
    return WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=DELIVERY_TIMEOUT,
        retry_handlers=[],
    )


def create_app(
    settings: Settings,
    session_factory: sessionmaker[Session],
    client: WebClient | None = None,
    *,
    listener_executor: Executor | None = None,
    dispatcher: Dispatcher | None = None,
) -> App:
    """Build the Bolt app with every listener; no network or database work happens here."""
    dispatcher = dispatcher or Dispatcher(session_factory, make_delivery_client(settings), settings)
    app = App(
        client=client or make_client(settings),
        signing_secret=settings.slack_signing_secret or "",
        request_verification_enabled=not settings.socket_mode,
        token_verification_enabled=False,
        listener_executor=listener_executor or ThreadPoolExecutor(max_workers=LISTENER_THREADS),
        logger=logging.getLogger("pipbot.bolt"),
    )
    install_context(app, settings, session_factory, dispatcher)
    handlers.register_listeners(app)
    return app


def make_wsgi_app(app: App, engine: Engine) -> WSGIApp:
    """The HTTP front door: Slack traffic at /slack/events, a health check at /healthz."""
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        if environ.get("PATH_INFO") == HEALTH_PATH and method in {"GET", "HEAD"}:
            healthy = database_ok(engine)
            body = json.dumps({"status": "ok" if healthy else "unavailable", "database": healthy})
            status = "200 OK" if healthy else "503 Service Unavailable"
            start_response(status, [("Content-Type", "application/json")])
            return [body.encode()]
        return slack(environ, start_response)

    return application


def _stop_on_sigterm(dispatcher: Dispatcher) -> Callable[[int, FrameType | None], None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        # No new post starts from here on; the main thread then stops serving and waits
        # for the posts in flight (see main).
        dispatcher.stop_claiming()
        raise KeyboardInterrupt

    return handler


def main(argv: list[str] | None = None) -> int:
    """Read the configuration, migrate the database and serve Slack until told to stop."""
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    load_dotenv(find_dotenv(usecwd=True))
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        print(f"pipbot: configuration error: {error}", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    migrate(engine)
    session_factory = make_session_factory(engine)
    dispatcher = Dispatcher(session_factory, make_delivery_client(settings), settings)
    app = create_app(settings, session_factory, dispatcher=dispatcher)
    signal.signal(signal.SIGTERM, _stop_on_sigterm(dispatcher))
    ticker = None
    if settings.scheduler_enabled:
        dispatcher.start()
        ticker = start_ticker(dispatcher)
    try:
        if settings.socket_mode:
            _serve_socket_mode(app, settings)
        else:
            _serve_http(app, engine, settings)
    except KeyboardInterrupt:
        logger.info("shutting down")
    finally:
        if ticker is not None:
            ticker.shutdown(wait=False)
        if not dispatcher.stop(grace=SHUTDOWN_GRACE):
            logger.warning(
                "posts still in flight after %ss; their leases will expire", SHUTDOWN_GRACE
            )
        engine.dispose()
    return 0


def _serve_socket_mode(app: App, settings: Settings) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    handler = SocketModeHandler(app, settings.slack_app_token)
    logger.info("PIP Bot running in Socket Mode")
    try:
        handler.start()
    finally:
        handler.close()


def _serve_http(app: App, engine: Engine, settings: Settings) -> None:
    from waitress.server import create_server

    server = create_server(
        make_wsgi_app(app, engine), host="0.0.0.0", port=settings.port, threads=WSGI_THREADS
    )
    logger.info("PIP Bot listening on port %s (%s, %s)", settings.port, EVENTS_PATH, HEALTH_PATH)
    try:
        server.run()
    finally:
        server.close()


if __name__ == "__main__":
    sys.exit(main())
