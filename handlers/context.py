"""Per-request plumbing: a database session, the settings and the actor in Bolt's context."""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from slack_bolt import Ack, App, BoltContext, BoltResponse, Respond
from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from edge.frontdoor import SHAPE
from edge.shapes import Malformed, kind_of, parse
from handlers.errors import VERIFIED, handle_error
from models import Plan
from scheduler.dispatcher import Dispatcher
from services.access import Actor
from services.schedule import Recipients
from slackio.directory import Directory
from slackio.groups import Groups

F = TypeVar("F", bound=Callable[..., Any])
logger = logging.getLogger(__name__)
_OUTBOX = "outbox"
_DELIVER = "deliver_after_commit"
_REQUEST = "request"
FORM_KEY = "form_key"
PLAN_INTAKE = "plan_intake"  # worker.intake.PlanIntake, when plans are written by a process


class Intake(Protocol):
    """Where acknowledged plan forms go to be written (worker.intake.PlanIntake)."""

    def submit(self, job: Any) -> None:
        """Queue `job` (a handlers.plan_intake.PlanJob); never blocks, never raises."""


def form_key(settings: Settings) -> bytes:
    """The key that signs our forms' private_metadata.

    Derived from the signing secret (HTTP) or the bot token (Socket Mode, which has no
    signing secret): configured secrets, so every replica signs and checks alike.
    """
    secret = settings.slack_signing_secret or settings.slack_bot_token
    return hmac.new(secret.encode(), b"pipbot form private_metadata v1", hashlib.sha256).digest()


def deliver_soon(db: Session) -> None:
    """Ask for what the outbox owes to be sent as soon as this request's session is closed.

    The listener only wakes the dispatcher's own thread; it never sends on its thread.
    """
    db.info[_DELIVER] = True


def install(
    app: App,
    settings: Settings,
    session_factory: sessionmaker[Session],
    dispatcher: Dispatcher,
    intake: Intake | None = None,
) -> None:
    """Put `settings`, `groups`, `actor` and a fresh (lazy) `db` session into every context,
    with an `ack`, `client` and `respond` that commit that session before Slack hears from
    us. HR rights come from HR_USER_IDS and HR_GROUP; MANAGER_GROUP limits who may open
    plans (group membership is cached for a few minutes, see slackio/groups.py). With an
    `intake`, the plan form hands its plans to it (handlers/plan_intake.py)."""
    groups = Groups(app.client)
    key = form_key(settings)

    @app.middleware
    def request_shape(
        context: BoltContext, body: dict[str, Any], next: Callable[[], None]
    ) -> BoltResponse | None:
        # The HTTP front door checked the shape already; Socket Mode (and any other way in)
        # is checked here, so no listener ever sees a payload of the wrong shape.
        if SHAPE not in context:
            try:
                context[SHAPE] = parse(kind_of(body), body)
            except Malformed as error:
                logger.info("refused a malformed %s request: %s", error.kind, error.reason)
                return BoltResponse(status=400, body="")
        next()
        return None

    @app.middleware
    def request_context(
        context: BoltContext, body: dict[str, Any], next: Callable[[], None]
    ) -> None:
        # Bolt's request verification (HTTP) ran before this middleware, or the request came
        # over Socket Mode's authenticated connection: from here on the body is Slack's.
        context[VERIFIED] = True
        context["settings"] = settings
        context[FORM_KEY] = key
        context["groups"] = groups
        if intake is not None:
            context[PLAN_INTAKE] = intake
        session = session_factory()
        session.info[_OUTBOX] = dispatcher
        session.info[_REQUEST] = (body, context)
        context["db"] = session
        bind_to_session(context, session)
        if context.user_id:
            user = context.user_id
            hr = settings.hr_user_ids | groups.members(settings.hr_group)
            opens = settings.manager_group is None or groups.is_member(settings.manager_group, user)
            context["actor"] = Actor.of(user, hr, may_open_plans=opens)
        next()


def hr_recipients(context: BoltContext, *, besides: str | None = None) -> tuple[str, ...]:
    """Where HR's messages go: the HR channel, or else each person with HR rights by DM
    (`besides`, say the manager of the plan concerned, excepted)."""
    settings: Settings = context["settings"]
    if settings.hr_channel_id:
        return (settings.hr_channel_id,)
    people = settings.hr_user_ids | context["groups"].members(settings.hr_group)
    return tuple(sorted(p for p in people if p != besides))


class CommittingAck(Ack):
    """Bolt's `ack`, committing the request's session before it answers Slack."""

    def __init__(self, db: Session) -> None:
        super().__init__()
        self._db = db

    def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        """Commit, then acknowledge (the answer may depend on what was just written)."""
        self._db.commit()
        return super().__call__(*args, **kwargs)


class CommittingRespond(Respond):
    """Bolt's `respond`, committing the request's session before it posts to response_url."""

    def __init__(self, respond: Respond, db: Session) -> None:
        super().__init__(response_url=respond.response_url, proxy=respond.proxy, ssl=respond.ssl)
        self._db = db

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Commit, then respond."""
        self._db.commit()
        return super().__call__(*args, **kwargs)


class CommittingClient(WebClient):
    """The request's Web API client: every call commits the request's session first."""

    def __init__(self, client: WebClient, db: Session) -> None:
        self.__dict__.update(vars(client))  # the same token, URL, timeouts and retries
        self._client = client
        self._db = db

    def api_call(self, api_method: str, **kwargs: Any) -> Any:  # type: ignore[override]
        """Commit, then call Slack through the client Bolt gave this request."""
        self._db.commit()
        return self._client.api_call(api_method, **kwargs)


def off_thread(client: WebClient) -> WebClient:
    """The client under a request's `CommittingClient`, for Slack calls on other threads.

    A session belongs to one thread: calls made beside the listener (say on a pool) must not
    commit it. The listener commits first itself, so that the rule still holds.
    """
    return client._client if isinstance(client, CommittingClient) else client


def bind_to_session(context: BoltContext, db: Session) -> None:
    """Make `ack`, `client` and `respond` commit `db` before Slack hears from us.

    This is the transaction rule, applied once for every listener: whatever a listener wrote
    is committed before any Slack call and before `ack` answers, so no write lock (SQLite)
    or row lock (PostgreSQL) is ever held across the network, and an answer never shows
    what a rollback could still undo. What a listener reads after that starts a new
    transaction, committed at its next Slack call or when it returns (`transactional`).
    """
    context["ack"] = CommittingAck(db)
    context["client"] = CommittingClient(context.client, db)
    if context.response_url is not None:
        context["respond"] = CommittingRespond(context.respond, db)


def transactional(func: F) -> F:
    """Commit the request's `db` when the listener returns, roll back when it raises.

    Every listener runs in this (see `Listeners`). Bolt runs listeners on a worker thread
    after the middleware chain has returned, so the session is closed here, at the end of
    the listener, not in the middleware. Deliveries asked for with `deliver_soon` wake the
    dispatcher after the close (it sends them on its own thread), so the dispatcher's session
    never waits on this one.
    """

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:
        db: Session = kwargs["db"]
        try:
            result = func(**kwargs)
            db.commit()
        except Exception as error:
            db.rollback()
            body, context = db.info.get(_REQUEST, ({}, None))
            if context is None or context.ack is None or context.ack.response is None:
                raise  # not acknowledged yet: the error handler's answer is the ack
            # Already acknowledged: tell the user here. Raising would make Bolt forget the
            # ack it already has, leaving its dispatcher waiting out the 3-second timeout.
            handle_error(error, body, context, context.client)
            return None
        except BaseException:
            db.rollback()
            raise
        finally:
            deliver = db.info.pop(_DELIVER, False)
            db.close()
        if deliver and _OUTBOX in db.info:
            db.info[_OUTBOX].kick()
        return result

    wrapper.transactional = True  # type: ignore[attr-defined]  # checked by a test
    return wrapper  # type: ignore[return-value]


class Listeners:
    """What handler modules register on: Bolt's listener decorators, each listener wrapped in
    `transactional`, so that no listener can forget the transaction rule."""

    def __init__(self, app: App) -> None:
        self.app = app

    def action(self, *args: Any, **kwargs: Any) -> Callable[[F], F]:
        """`app.action`, transactional."""
        return self._wrapped(self.app.action(*args, **kwargs))

    def view(self, *args: Any, **kwargs: Any) -> Callable[[F], F]:
        """`app.view`, transactional."""
        return self._wrapped(self.app.view(*args, **kwargs))

    def command(self, *args: Any, **kwargs: Any) -> Callable[[F], F]:
        """`app.command`, transactional."""
        return self._wrapped(self.app.command(*args, **kwargs))

    def event(self, *args: Any, **kwargs: Any) -> Callable[[F], F]:
        """`app.event`, transactional."""
        return self._wrapped(self.app.event(*args, **kwargs))

    def middleware(self, *args: Any, **kwargs: Any) -> Any:
        """`app.middleware`, as it is: middleware is no listener (it commits its own work)."""
        return self.app.middleware(*args, **kwargs)

    def error(self, *args: Any, **kwargs: Any) -> Any:
        """`app.error`, as it is."""
        return self.app.error(*args, **kwargs)

    @staticmethod
    def _wrapped(register: Callable[..., Any]) -> Callable[[F], F]:
        def decorate(func: F) -> F:
            register(transactional(func))
            return func

        return decorate


def open_modal(ack: Callable[..., Any], client: Any, trigger_id: str, view: dict[str, Any]) -> None:
    """Acknowledge, then open `view` (the trigger lives 3 seconds)."""
    ack()
    client.views_open(trigger_id=trigger_id, view=view)


def plan_recipients(db: Session, client: WebClient, plan: Plan, context: BoltContext) -> Recipients:
    """Where and when `plan`'s messages go: both parties' zones, the HR channel, the clock."""
    directory = Directory(client)
    settings = context["settings"]
    return Recipients.of(
        directory.tz(db, plan.employee_id),
        directory.tz(db, plan.manager_id),
        settings.hr_channel_id,
        settings.checkin_time,
        settings.holiday_rules,
    )
