"""Per-request plumbing: a database session, the settings and the actor in Bolt's context."""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from slack_bolt import App, BoltContext, BoltResponse
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
    app: App, settings: Settings, session_factory: sessionmaker[Session], dispatcher: Dispatcher
) -> None:
    """Put `settings`, `outbox`, `groups`, `actor` and a fresh (lazy) `db` session into every
    context. HR rights come from HR_USER_IDS and HR_GROUP; MANAGER_GROUP limits who may open
    plans (group membership is cached for a few minutes, see slackio/groups.py)."""
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
        context["outbox"] = dispatcher
        context["groups"] = groups
        session = session_factory()
        session.info[_OUTBOX] = dispatcher
        session.info[_REQUEST] = (body, context)
        context["db"] = session
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


def transactional(func: F) -> F:
    """Commit the request's `db` when the listener returns, roll back when it raises.

    Bolt runs listeners on a worker thread after the middleware chain has returned, so the
    session is closed here, at the end of the listener, not in the middleware. Deliveries
    asked for with `deliver_soon` wake the dispatcher after the close (it sends them on its
    own thread), so the dispatcher's session never waits on this one.
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


def open_modal(
    ack: Callable[..., Any], client: Any, db: Session, trigger_id: str, view: dict[str, Any]
) -> None:
    """Commit what was read, acknowledge, then open `view` (the trigger lives 3 seconds)."""
    db.commit()  # no transaction is held across the Slack call
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
