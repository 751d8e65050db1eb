"""When Slack does not take a delivery: retry it later, pause, or fail it for good and say so.

Each path runs in the delivery's own session, after its rollback.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from config import Settings
from models import Delivery, DeliveryKind, DeliveryStatus, Plan, utcnow
from scheduler.pacing import Pacer, Paused, Stopping, is_rate_limited, paced, retry_after
from services import outbox, users
from slackio.directory import Directory

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
PAUSE_FOR = timedelta(minutes=15)
AMBIGUOUS = "ambiguous: "
# The recipient cannot be reached; trying again will not help.
PERMANENT = {
    "user_not_found",
    "user_disabled",
    "cannot_dm_bot",
    "channel_not_found",
    "is_archived",
    "not_in_channel",
    "user_deleted",
}
# Errors that say the person is gone: their cached profile is refreshed at once.
PERSON_GONE = {"user_not_found", "user_disabled", "user_deleted", "account_inactive"}
# Our own token no longer works, or lacks a scope: stop sending until someone fixes it.
PAUSING = {"token_revoked", "account_inactive", "invalid_auth", "not_authed", "missing_scope"}
# Slack may or may not have posted the message.
MAYBE_POSTED = {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2**attempts, 3600))


@dataclass(frozen=True)
class Owed:
    """What the failure paths need of a delivery, read before any rollback expires it."""

    id: int
    attempts: int
    kind: DeliveryKind
    recipient_id: str
    occurrence_key: str
    plan_id: int | None

    @classmethod
    def of(cls, delivery: Delivery) -> Owed:
        """Copy the fields out of `delivery`."""
        return cls(
            delivery.id,
            delivery.attempts,
            delivery.kind,
            delivery.recipient_id,
            delivery.occurrence_key,
            delivery.plan_id,
        )


class RecipientGone(Exception):
    """The recipient is deactivated, unknown or a bot."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class Failures:
    """The failure paths of `Sender`: what a refusal from Slack means for the delivery."""

    client: WebClient
    settings: Settings
    pacer: Pacer
    directory: Directory
    paused_until: datetime | None

    def _call(self, method: str, call: Any, channel: str | None = None) -> Any:
        return paced(self.pacer, method, call, channel)

    def _handle_api_error(
        self, db: Session, owed: Owed, owner: str, error: SlackApiError, *, maybe_posted: bool
    ) -> None:
        code = str(error.response.get("error") or "")
        status = error.response.status_code
        if is_rate_limited(error):
            wait = retry_after(error)
            self._release(db, owed, owner, f"rate limited {wait:g}s", wait=wait)
            if not maybe_posted:
                # Refused outright: nothing to look for in the history next time.
                outbox.forget_channel(db, owed.id)
                db.commit()
        elif code == "account_inactive" and self._token_works():
            # Our token is fine, so it is the recipient who is gone.
            self._recipient_gone(db, owed, owner, code)
        elif code in PERMANENT:
            self._recipient_gone(db, owed, owner, code)
        elif code in PAUSING:
            logger.error("Slack refused our token (%s); pausing deliveries", code)
            self.paused_until = utcnow() + PAUSE_FOR
            self._release(db, owed, owner, f"paused: {code}", wait=PAUSE_FOR.total_seconds())
        elif status >= 500 or code in MAYBE_POSTED or not code:
            self._retry(db, owed, owner, AMBIGUOUS + (code or f"HTTP {status}"), count_attempt=True)
        else:
            logger.error("delivery %s refused by Slack: %s", owed.id, code)
            self._retry(db, owed, owner, code, count_attempt=True)

    def _token_works(self) -> bool:
        try:
            return bool(self._call("auth.test", self.client.auth_test).get("ok"))
        except (SlackApiError, OSError, Stopping, Paused):
            return False

    def _recipient_gone(self, db: Session, owed: Owed, owner: str, code: str) -> None:
        """Fail for good; re-read the person's profile at once so later deliveries know."""
        self._give_up(db, owed, owner, code)
        person = owed.recipient_id
        if not person.startswith(("U", "W")):
            return
        if code == "channel_not_found":
            users.remember_dm_channel(db, person, None)  # opened again next time
            db.commit()
        if code not in PERSON_GONE:
            return
        try:
            profile = self.directory.profile(db, person, fresh=True)
            if profile is None:
                users.remember(db, users.Profile(user_id=person, deleted=True))
            db.commit()
        except (SlackApiError, OSError, Stopping, Paused) as error:
            db.rollback()
            logger.warning("could not re-read %s after %s: %s", person, code, error)

    def _retry(
        self, db: Session, owed: Owed, owner: str, reason: str, *, count_attempt: bool
    ) -> None:
        attempts = owed.attempts + (1 if count_attempt else 0)
        if attempts >= MAX_ATTEMPTS:
            self._give_up(db, owed, owner, reason.removeprefix(AMBIGUOUS))
            return
        # Shutting down: due again at once; the next process looks in the history first.
        at = utcnow() if self.pacer.stop.is_set() else utcnow() + _backoff(attempts)
        outbox.retry_later(db, owed.id, owner, at, reason, count_attempt=count_attempt)
        db.commit()

    def _release(self, db: Session, owed: Owed, owner: str, reason: str, *, wait: float) -> None:
        """Give the delivery back without using an attempt (rate limits, pauses)."""
        at = utcnow() + timedelta(seconds=wait)
        outbox.retry_later(db, owed.id, owner, at, reason, count_attempt=False)
        db.commit()

    def _give_up(self, db: Session, owed: Owed, owner: str, error: str) -> None:
        """Fail the delivery for good and tell the manager and HR, who can act on it."""
        if not outbox.mark_final(db, owed.id, owner, DeliveryStatus.FAILED, error):
            db.rollback()
            return
        plan = db.get(Plan, owed.plan_id) if owed.plan_id else None
        if plan is not None and owed.kind != DeliveryKind.NOTICE:
            told = {owed.recipient_id}
            for recipient in (plan.manager_id, self.settings.hr_channel_id):
                if recipient and recipient not in told:
                    told.add(recipient)
                    outbox.enqueue(
                        db,
                        key=f"{owed.occurrence_key}:undeliverable:{recipient}",
                        kind=DeliveryKind.NOTICE,
                        recipient_id=recipient,
                        due_at=utcnow(),
                        plan_id=plan.id,
                        payload={
                            "notice": "undeliverable",
                            "recipient": owed.recipient_id,
                            "what": _WHAT.get(owed.kind, "a message"),
                            "error": error,
                        },
                    )
        db.commit()
        logger.warning("delivery %s failed for good: %s", owed.id, error)


_WHAT = {
    DeliveryKind.ACK_REQUEST: "the plan",
    DeliveryKind.ACK_REMINDER: "the acknowledgement reminder",
    DeliveryKind.CHECKIN_PROMPT: "a check-in prompt",
    DeliveryKind.CHECKIN_REMINDER: "a check-in reminder",
    DeliveryKind.REVIEW_PROMPT: "a review prompt",
    DeliveryKind.REVIEW_REMINDER: "a review reminder",
    DeliveryKind.END_OF_PLAN: "the end-of-plan prompt",
    DeliveryKind.PLAN_CONFIRMATION: "the plan confirmation",
    DeliveryKind.NOT_ACKNOWLEDGED: "the not-acknowledged notice",
    DeliveryKind.HR_NOTICE: "an HR notice",
}
