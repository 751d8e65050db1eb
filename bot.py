"""PIP Bot: build the Slack app (`create_app`) and run it (`main`)."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from pathlib import Path
from types import FrameType
from typing import Any, Protocol
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

import handlers
import logs
from config import Settings
from db import make_engine, make_session_factory, migrate
from edge.frontdoor import FrontDoor
from handlers.context import Intake
from handlers.context import install as install_context
from metrics import (
    HEALTH_PATH,
    METRICS_PATH,
    OPS_PATHS,
    CountingRateLimitRetryHandler,
    MeteredWebClient,
    ObservedApp,
    ops_app,
)
from scheduler.dispatcher import Dispatcher
from scheduler.ticker import start_ticker
from services.export import warm_up
from startup import OK, check_client, slack_checks
from views import prose
from worker.intake import PlanIntake

logger = logging.getLogger("pipbot")
EVENTS_PATH = "/slack/events"
WSGI_THREADS = 8
LISTENER_THREADS = 16
# A post that gets no answer gives up after this long; shutting down waits for it to.
DELIVERY_TIMEOUT = 10
SHUTDOWN_GRACE = DELIVERY_TIMEOUT + 2

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def make_client(settings: Settings) -> WebClient:
    """A Web API client on `SLACK_API_URL` that retries rate limits and dropped connections."""
    return MeteredWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            CountingRateLimitRetryHandler(max_retry_count=2),
        ],
    )


def make_delivery_client(settings: Settings) -> WebClient:
    """A client for the dispatcher with no automatic retries: a retried post could post twice,
    so the dispatcher decides itself (see scheduler/dispatcher.py)."""
    return MeteredWebClient(
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
    intake: Intake | None = None,
) -> App:
    """Build the Bolt app with every listener; no network or database work happens here."""
    dispatcher = dispatcher or Dispatcher(session_factory, make_delivery_client(settings), settings)
    app = ObservedApp(
        client=client or make_client(settings),
        signing_secret=settings.slack_signing_secret or "",
        request_verification_enabled=not settings.socket_mode,
        token_verification_enabled=False,
        # A ContextExecutor, so that log lines from listeners name the request (see logs.py).
        listener_executor=listener_executor or logs.ContextExecutor(max_workers=LISTENER_THREADS),
        logger=logging.getLogger("pipbot.bolt"),
        foreground=dispatcher.foreground,  # its deliveries give way to the requests
    )
    install_context(app, settings, session_factory, dispatcher, intake)
    handlers.register_listeners(app)
    return app


def make_wsgi_app(app: App, engine: Engine, signing_secret: str | None = None) -> WSGIApp:
    """The HTTP front door: Slack traffic at /slack/events, /healthz and /metrics.

    Slack requests pass `edge.frontdoor.FrontDoor` (signature, then shape) before Bolt;
    without a signing secret every one of them is refused.
    """
    foreground = app.foreground if isinstance(app, ObservedApp) else None
    slack = FrontDoor(app, signing_secret or "", path=EVENTS_PATH, foreground=foreground)
    ops = ops_app(engine)

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        if environ.get("PATH_INFO") in OPS_PATHS and method in {"GET", "HEAD"}:
            return ops(environ, start_response)
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
    """Run the command line (`serve` by default): see cli.py and `python bot.py --help`."""
    from cli import main as cli_main

    return cli_main(argv)


M_ARENA_MAX = -8  # glibc's mallopt() parameter for MALLOC_ARENA_MAX (malloc.h)
MALLOC_ARENAS = 2


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas at `arenas`, as MALLOC_ARENA_MAX does, unless that variable
    is set; True when capped. Call it before the first thread starts.

    glibc gives threads that allocate at the same time arenas of their own, up to eight per
    core, and each arena keeps the high-water mark of what its threads once held: with the
    request, listener, dispatcher, upload and report threads, the bot's RSS rose about 60 MB
    over eleven `/pip report`s at 100,000 plans; with two arenas, 35 MB, at the same speed
    (bench/README.md). Anywhere but glibc on Linux, nothing happens.
    """
    if os.environ.get("MALLOC_ARENA_MAX") or not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):  # no C library by that name, or one without mallopt
        return False
    return bool(mallopt(M_ARENA_MAX, arenas))


def serve(settings: Settings) -> int:
    """Check Slack, migrate the database and serve Slack until told to stop."""
    limit_malloc_arenas()
    logs.configure(settings.log_format, settings.log_level)
    if settings.template_overrides:
        prose.use_overrides(Path(settings.template_overrides))
    broken = prose.check_overrides()
    if broken:
        for problem in broken:
            if settings.log_format == "json":
                logger.critical("template override %s", problem)
            else:
                print(f"pipbot: template override {problem}", file=sys.stderr)
        return 2
    checks = slack_checks(settings, check_client(settings))
    fatal = next((c for c in checks if c.fatal), None)
    if fatal is not None:
        if settings.log_format == "json":  # collectors expect every line to be JSON
            logger.critical("%s: %s", fatal.name, fatal.detail)
        else:
            print(f"pipbot: {fatal.name}: {fatal.detail}", file=sys.stderr)
        return 2
    logger.info(settings.approval_description())
    for problem in (c for c in checks if c.status != OK):
        logger.warning("%s: %s", problem.name, problem.detail)
    engine = make_engine(settings.database_url)
    migrate(engine)
    session_factory = make_session_factory(engine)
    dispatcher = Dispatcher(session_factory, make_delivery_client(settings), settings)
    intake = PlanIntake(settings, dispatcher.kick) if settings.plan_writer == "process" else None
    app = create_app(settings, session_factory, dispatcher=dispatcher, intake=intake)
    # The first /pip export would otherwise read the fonts and compile the templates itself.
    warm_up(org_name=settings.org_name, paper_size=settings.paper_size)
    # What start-up built (modules, mappers, the app) lasts as long as the process: frozen,
    # the collector's full passes stop walking it on every request (they showed as p99s).
    gc.freeze()
    signal.signal(signal.SIGTERM, _stop_on_sigterm(dispatcher))
    health = ticker = web = None
    status = 0
    try:
        if intake is not None:  # before Slack's port is bound: forms go to it at once
            intake.start()
        # Slack's port is bound before HEALTH_PORT answers (if it is set in HTTP mode too): a
        # load balancer that sees /healthz say yes there may send Slack's requests at once.
        web = None if settings.socket_mode else _http_server(app, engine, settings)
        if settings.health_port:
            health = start_health_server(engine, settings.health_port)
        if settings.scheduler_enabled:
            dispatcher.start()
            ticker = start_ticker(dispatcher)
        if web is None:
            _serve_socket_mode(app, settings)
        else:
            _run_http(web, settings)
    except KeyboardInterrupt:
        logger.info("shutting down")
    except (SlackApiError, OSError) as error:
        # Socket Mode lost Slack for good; or a port could not be bound, or the HTTP server
        # failed (OSErrors).
        logger.error("stopped: %s: %s", type(error).__name__, error)
        status = 1
    finally:
        if health is not None:  # first: it must not say yes once Slack's port is closed
            health.shutdown()
            health.server_close()
        if web is not None:
            web.close()
        if ticker is not None:
            ticker.shutdown(wait=False)
        if intake is not None:  # it says so itself if it had to stop the writer
            intake.stop(grace=SHUTDOWN_GRACE)
        if not dispatcher.stop(grace=SHUTDOWN_GRACE):
            logger.warning(
                "posts still in flight after %ss; their leases will expire", SHUTDOWN_GRACE
            )
        engine.dispose()
    return status


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes and health probes are not worth a log line each."""


def start_health_server(engine: Engine, port: int, host: str = "0.0.0.0") -> WSGIServer:
    """Serve /healthz and /metrics on `port` from a daemon thread (for Socket Mode)."""
    try:
        server = make_server(host, port, ops_app(engine), handler_class=_QuietHandler)
    except OSError as error:  # the log line then says which port
        raise OSError(error.errno, f"health port {port}: {error.strerror}") from error
    threading.Thread(target=server.serve_forever, name="health", daemon=True).start()
    logger.info("health and metrics on port %s (%s, %s)", port, HEALTH_PATH, METRICS_PATH)
    return server


def _serve_socket_mode(app: App, settings: Settings) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    handler = SocketModeHandler(app, settings.slack_app_token)
    logger.info("PIP Bot running in Socket Mode")
    try:
        handler.start()
    finally:
        handler.close()


class _Server(Protocol):
    """What serve needs of waitress's server (its own class depends on how many sockets)."""

    def run(self) -> None: ...
    def close(self) -> None: ...


def _http_server(app: App, engine: Engine, settings: Settings) -> _Server:
    """Waitress on `settings.port`, bound (connections queue) but not yet serving."""
    from waitress.server import create_server

    try:
        server: _Server = create_server(
            make_wsgi_app(app, engine, settings.slack_signing_secret),
            host="0.0.0.0",
            port=settings.port,
            threads=WSGI_THREADS,
        )
    except OSError as error:  # the log line then says which port
        raise OSError(error.errno, f"port {settings.port}: {error.strerror}") from error
    return server


def _run_http(server: _Server, settings: Settings) -> None:
    logger.info(
        "PIP Bot listening on port %s (%s, %s, %s)",
        settings.port,
        EVENTS_PATH,
        HEALTH_PATH,
        METRICS_PATH,
    )
    server.run()


if __name__ == "__main__":
    sys.exit(main())
