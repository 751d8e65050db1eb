"""The dispatcher: claims due deliveries from the outbox and posts them, exactly once."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from logs import bind_delivery_kind, delivery_context
from models import Delivery, DeliveryKind, DeliveryStatus, Plan, utcnow
from scheduler import (  # noqa: F401 - register renderers
    approval_messages,
    checkin_messages,
    close_messages,
    pause_messages,
    voice_messages,
)
from scheduler.messages import (
    DELIVERY_EVENT_TYPES,
    Outgoing,
    Postpone,
    RenderContext,
    Skip,
    message_metadata,
    render_delivery,
)
from services import outbox, users
from services.schedule import retime_for_zone
from slackio.directory import Directory
from slackio.status import refresh_statuses

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
BATCH = 10
MAX_ATTEMPTS = 6
PAUSE_FOR = timedelta(minutes=15)
REFRESH_BATCH = 20
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


class Dispatcher:
    """Sends what the outbox owes; safe to run in many threads, processes and replicas."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        client: WebClient,
        settings: Settings,
        *,
        lease: timedelta = LEASE,
        batch: int = BATCH,
    ) -> None:
        self.sessions = session_factory
        self.client = client
        self.settings = settings
        self.directory = Directory(client, on_zone_change=self._follow_zone)
        self.lease = lease
        self.batch = batch
        self.paused_until: datetime | None = None
        self._name = f"{socket.gethostname()}:{os.getpid()}"

    def tick(self) -> int:
        """Refresh stale profiles, then send every delivery due now; returns how many posted."""
        now = utcnow()
        if self.paused_until and now < self.paused_until:
            return 0
        self.refresh_profiles(now)
        refresh_statuses(self.sessions, self.client, now)  # away statuses, at most 1 hour old
        owner = f"{self._name}:{uuid.uuid4().hex[:8]}"
        with self.sessions() as db:
            ids = outbox.claim_due(db, owner, now, self.lease, self.batch)
            db.commit()
        posted = 0
        for delivery_id in ids:
            if self.paused_until and utcnow() < self.paused_until:
                with self.sessions() as db:
                    outbox.retry_later(
                        db, delivery_id, owner, self.paused_until, "paused", count_attempt=False
                    )
                    db.commit()
                continue
            with delivery_context(delivery_id):
                try:
                    posted += self._deliver(delivery_id, owner)
                except Exception:
                    # The rest of the batch still goes; this one is retried when its lease ends.
                    logger.exception("delivery %s failed unexpectedly", delivery_id)
        return posted

    def refresh_profiles(self, now: datetime, limit: int = REFRESH_BATCH) -> int:
        """Re-read a few plan participants whose cached profile is old (time zones move)."""
        with self.sessions() as db:
            stale = users.stale_participants(db, now, limit)
            db.commit()
        refreshed = 0
        for user_id in stale:
            with self.sessions() as db:
                try:
                    self.directory.profile(db, user_id, fresh=True)
                except (SlackApiError, OSError) as error:
                    logger.warning("could not refresh %s: %s", user_id, error)
                    db.rollback()
                    continue
                db.commit()
                refreshed += 1
        return refreshed

    def _follow_zone(self, db: Session, user_id: str, tz: str) -> None:
        moved = retime_for_zone(db, user_id, tz, self.settings.checkin_time)
        logger.info("%s moved to %s; %d pending prompts follow", user_id, tz, moved)

    def kick(self) -> None:
        """Send what is due now, from a listener after it changed what is owed.

        Never raises: what the listener recorded is committed, and anything this tick could
        not send stays owed for the ticker.
        """
        if not self.settings.scheduler_enabled:
            return
        try:
            self.tick()
        except Exception:
            logger.exception("sending right away failed; the ticker will retry")

    # -- one delivery

    def _deliver(self, delivery_id: int, owner: str) -> int:
        """Render and post one claimed delivery; returns 1 if it was posted."""
        with self.sessions() as db:
            delivery = db.get(Delivery, delivery_id)
            if delivery is None or delivery.lease_owner != owner:
                return 0
            bind_delivery_kind(delivery.kind)
            plan = db.get(Plan, delivery.plan_id) if delivery.plan_id else None
            now = utcnow()
            try:
                outcome = render_delivery(RenderContext(db, delivery, plan, self.settings, now))
            except LookupError as error:
                logger.error("delivery %s cannot be rendered: %s", delivery_id, error)
                db.rollback()
                outbox.mark_final(db, delivery_id, owner, DeliveryStatus.FAILED, str(error))
                db.commit()
                return 0
            if isinstance(outcome, Skip):
                db.rollback()
                outbox.mark_final(db, delivery_id, owner, DeliveryStatus.SKIPPED, outcome.reason)
                db.commit()
                return 0
            if isinstance(outcome, Postpone):
                # Keep what the renderer moved along; this delivery waits without an attempt.
                if outbox.retry_later(
                    db, delivery_id, owner, outcome.until, outcome.reason, count_attempt=False
                ):
                    db.commit()
                else:
                    db.rollback()  # the lease passed to another sender, which decides
                return 0
            # End the transaction before talking to Slack: SQLite's write lock must not be
            # held across a network call.
            db.commit()
            return self._post(db, delivery, outcome, owner)

    def _post(self, db: Session, delivery: Delivery, message: Outgoing, owner: str) -> int:
        delivery_id = delivery.id
        owed = Owed.of(delivery)
        # A channel remembered by an earlier attempt means that attempt got as far as posting
        # (or crashed around it): whatever it said since, look before posting again.
        maybe_posted = delivery.channel_id is not None
        try:
            channel = delivery.channel_id or self._channel_for(db, delivery.recipient_id)
            if not outbox.remember_channel(db, delivery_id, owner, channel, utcnow() + self.lease):
                db.rollback()
                logger.warning(
                    "delivery %s: lease lost before posting; left to its new owner", delivery_id
                )
                return 0
            db.commit()
            if message.attachments:
                # Files carry no message metadata to look for after a failure; an upload is
                # retried as a whole (a rare duplicate file beats a lost record).
                return self._upload(db, owed, owner, channel, message)
            if maybe_posted:
                found = self._already_posted(channel, delivery, message)
                if found is not None:
                    outbox.mark_sent(db, delivery_id, owner, channel, found, utcnow())
                    db.commit()
                    logger.info("delivery %s was already posted (ts %s)", delivery_id, found)
                    return 0
            answer = self.client.chat_postMessage(
                channel=channel,
                text=message.text,
                blocks=message.blocks or None,
                thread_ts=message.thread_ts,
                metadata=message_metadata(delivery_id, delivery.kind.value, message),
                unfurl_links=False,
                unfurl_media=False,
            )
        except RecipientGone as gone:
            db.rollback()
            self._give_up(db, owed, owner, gone.error)
            return 0
        except SlackApiError as error:
            db.rollback()
            self._handle_api_error(db, owed, owner, error)
            return 0
        except (TimeoutError, OSError) as error:
            # Includes socket timeouts and urllib's URLError: Slack may have posted it.
            db.rollback()
            self._retry(db, owed, owner, AMBIGUOUS + repr(error), count_attempt=True)
            return 0
        posted = outbox.mark_sent(
            db, delivery_id, owner, str(answer["channel"]), str(answer["ts"]), utcnow()
        )
        if not posted:
            logger.warning("delivery %s was posted after its lease passed to another", delivery_id)
            db.rollback()
            return 0
        db.commit()
        return 1

    def _upload(self, db: Session, owed: Owed, owner: str, channel: str, message: Outgoing) -> int:
        """Post `message` as file uploads with its text as the comment."""
        answer = self.client.files_upload_v2(
            channel=channel,
            initial_comment=message.text,
            thread_ts=message.thread_ts,
            file_uploads=[
                {"content": a.content, "filename": a.filename, "title": a.title}
                for a in message.attachments
            ],
        )
        file_ids = ",".join(str(f.get("id")) for f in answer.get("files", []))
        if not outbox.mark_sent(db, owed.id, owner, channel, file_ids[:32], utcnow()):
            db.rollback()
            return 0
        db.commit()
        return 1

    def _channel_for(self, db: Session, recipient: str) -> str:
        if not recipient.startswith(("U", "W")):
            return recipient
        profile = self.directory.profile(db, recipient, fresh=True)
        db.commit()  # the profile is cached; hold no write lock over the next network call
        if profile is None:
            raise RecipientGone("user_not_found")
        if profile.deleted:
            raise RecipientGone("user_disabled")
        if profile.is_bot:
            raise RecipientGone("cannot_dm_bot")
        return self.directory.dm_channel(recipient)

    def _already_posted(self, channel: str, delivery: Delivery, message: Outgoing) -> str | None:
        """The ts of a message in `channel` that carries this delivery's metadata, if any."""
        oldest = f"{(delivery.created_at - timedelta(minutes=1)).timestamp():.6f}"
        if message.thread_ts:
            answer = self.client.conversations_replies(
                channel=channel, ts=message.thread_ts, include_all_metadata=True, limit=200
            )
        else:
            answer = self.client.conversations_history(
                channel=channel, oldest=oldest, include_all_metadata=True, limit=200
            )
        for item in answer.get("messages", []):
            metadata: dict[str, Any] = item.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") in DELIVERY_EVENT_TYPES and str(
                payload.get("delivery_id")
            ) == str(delivery.id):
                return str(item["ts"])
        return None

    # -- failures: each runs in the delivery's own session, after its rollback

    def _handle_api_error(self, db: Session, owed: Owed, owner: str, error: SlackApiError) -> None:
        code = str(error.response.get("error") or "")
        status = error.response.status_code
        if status == 429 or code == "ratelimited":
            wait = int(error.response.headers.get("Retry-After", "1") or 1)
            self._release(db, owed, owner, f"rate limited {wait}s", wait=wait)
        elif code in PERMANENT:
            self._give_up(db, owed, owner, code)
        elif code in PAUSING:
            logger.error("Slack refused our token (%s); pausing deliveries", code)
            self.paused_until = utcnow() + PAUSE_FOR
            self._release(db, owed, owner, f"paused: {code}", wait=int(PAUSE_FOR.total_seconds()))
        elif status >= 500 or code in MAYBE_POSTED or not code:
            self._retry(db, owed, owner, AMBIGUOUS + (code or f"HTTP {status}"), count_attempt=True)
        else:
            logger.error("delivery %s refused by Slack: %s", owed.id, code)
            self._retry(db, owed, owner, code, count_attempt=True)

    def _retry(
        self, db: Session, owed: Owed, owner: str, reason: str, *, count_attempt: bool
    ) -> None:
        attempts = owed.attempts + (1 if count_attempt else 0)
        if attempts >= MAX_ATTEMPTS:
            self._give_up(db, owed, owner, reason.removeprefix(AMBIGUOUS))
            return
        outbox.retry_later(
            db, owed.id, owner, utcnow() + _backoff(attempts), reason, count_attempt=count_attempt
        )
        db.commit()

    def _release(self, db: Session, owed: Owed, owner: str, reason: str, *, wait: int) -> None:
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
