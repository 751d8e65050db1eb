"""Per-request plumbing: a database session, the settings and the actor in Bolt's context."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from slack_bolt import App, BoltContext
from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from scheduler.dispatcher import Dispatcher
from services.access import Actor

F = TypeVar("F", bound=Callable[..., Any])


def install(
    app: App, settings: Settings, session_factory: sessionmaker[Session], dispatcher: Dispatcher
) -> None:
    """Put `settings`, `outbox`, `actor` and a fresh (lazy) `db` session into every context."""

    @app.middleware
    def request_context(context: BoltContext, next: Callable[[], None]) -> None:
        context["settings"] = settings
        context["outbox"] = dispatcher
        context["db"] = session_factory()
        if context.user_id:
            context["actor"] = Actor.of(context.user_id, settings.hr_user_ids)
        next()


def transactional(func: F) -> F:
    """Commit the request's `db` when the listener returns, roll back when it raises.

    Bolt runs listeners on a worker thread after the middleware chain has returned, so the
    session is closed here, at the end of the listener, not in the middleware.
    """

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:
        db: Session = kwargs["db"]
        try:
            result = func(**kwargs)
            db.commit()
            return result
        except BaseException:
            db.rollback()
            raise
        finally:
            db.close()

    return wrapper  # type: ignore[return-value]
