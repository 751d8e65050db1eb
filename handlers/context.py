"""Per-request plumbing: a database session, the settings and the actor in Bolt's context."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from slack_bolt import App, BoltContext
from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from handlers.errors import handle_error
from scheduler.dispatcher import Dispatcher
from services.access import Actor

F = TypeVar("F", bound=Callable[..., Any])
_OUTBOX = "outbox"
_DELIVER = "deliver_after_commit"
_REQUEST = "request"


def deliver_soon(db: Session) -> None:
    """Ask for what the outbox owes to be sent as soon as this request's session is closed.

    The listener only wakes the dispatcher's own thread; it never sends on its thread.
    """
    db.info[_DELIVER] = True


def install(
    app: App, settings: Settings, session_factory: sessionmaker[Session], dispatcher: Dispatcher
) -> None:
    """Put `settings`, `outbox`, `actor` and a fresh (lazy) `db` session into every context."""

    @app.middleware
    def request_context(
        context: BoltContext, body: dict[str, Any], next: Callable[[], None]
    ) -> None:
        context["settings"] = settings
        context["outbox"] = dispatcher
        session = session_factory()
        session.info[_OUTBOX] = dispatcher
        session.info[_REQUEST] = (body, context)
        context["db"] = session
        if context.user_id:
            context["actor"] = Actor.of(context.user_id, settings.hr_user_ids)
        next()


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

    return wrapper  # type: ignore[return-value]


def open_modal(
    ack: Callable[..., Any], client: Any, db: Session, trigger_id: str, view: dict[str, Any]
) -> None:
    """Commit what was read, acknowledge, then open `view` (the trigger lives 3 seconds)."""
    db.commit()  # no transaction is held across the Slack call
    ack()
    client.views_open(trigger_id=trigger_id, view=view)
