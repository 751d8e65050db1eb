"""Sending one claimed delivery: render it, find its channel, post it once, settle the outcome.

A normal delivery is one Slack call, `chat.postMessage`. The recipient's profile (time zone,
deactivation) comes from the cache the background refresh keeps (only a person never seen is
looked up). The bot's DM with a person is addressed by its remembered channel id; to a person
never written to, we post to their user id, which Slack accepts for the app's DM, and
remember the DM channel id its answer names. So `conversations.open` is not needed at all in
the normal path; it is asked once, ever, only when a first post's answer was lost and its
DM's history must be read. Either way the channel is written on the delivery *before* the
post, so that after a lost answer or a crash the next attempt knows to look for the message
instead of posting it again.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from logs import bind_delivery_kind
from models import Delivery, DeliveryStatus, Plan, utcnow
from scheduler.failures import AMBIGUOUS, Failures, Owed, RecipientGone
from scheduler.messages import (
    DELIVERY_EVENT_TYPES,
    Outgoing,
    Postpone,
    RenderContext,
    Skip,
    message_metadata,
)
from scheduler.pacing import POST, Pacer, Paused, Stopping, paced
from scheduler.renderers import prepare_delivery, render_delivery
from services import locks, outbox, users
from services.schedule import retime_for_zone
from slackio.directory import Directory

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
# Reconciliation reads history from this long before the first attempt (clock skew).
HISTORY_MARGIN = timedelta(minutes=1)
HISTORY_PAGE = 200


class PacedLookups:
    """The client's `users.info` in slots of the pacer, for helpers that take a client."""

    def __init__(self, client: WebClient, pacer: Pacer) -> None:
        self.client = client
        self.pacer = pacer

    def users_info(self, **kwargs: Any) -> Any:
        """`users.info`, paced; a pause or a shutdown reads as an OSError (try again later)."""
        try:
            return paced(self.pacer, "users.info", lambda: self.client.users_info(**kwargs))
        except (Stopping, Paused) as error:
            raise OSError(str(error) or "stopping") from error


class Sender(Failures):
    """Posts single claimed deliveries; shared by the dispatcher's worker threads."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        client: WebClient,
        settings: Settings,
        pacer: Pacer,
        *,
        lease: timedelta = LEASE,
    ) -> None:
        self.sessions = session_factory
        self.client = client
        self.settings = settings
        self.pacer = pacer
        self.directory = Directory(client, on_zone_change=self._follow_zone, pacer=pacer)
        self.lease = lease
        self.paused_until: datetime | None = None

    def _follow_zone(self, db: Session, user_id: str, tz: str) -> None:
        moved = retime_for_zone(db, user_id, tz, self.settings.checkin_time)
        logger.info("%s moved to %s; %d pending prompts follow", user_id, tz, moved)

    # -- one delivery

    def deliver(self, delivery_id: int, owner: str) -> int:
        """Render and post one claimed delivery; returns 1 if it was posted."""
        with self.sessions() as db:
            delivery = db.get(Delivery, delivery_id)
            if delivery is None or delivery.lease_owner != owner:
                return 0
            bind_delivery_kind(delivery.kind)
            # The plan is locked while its message is prepared and drawn (until the commit
            # before posting), as every click locks it first: a reply or a close arriving
            # meanwhile waits, then reads what preparing changed (say, a check-in marked
            # missed) instead of overwriting it from what it read before.
            plan = (
                db.scalar(locks.for_update(select(Plan).where(Plan.id == delivery.plan_id)))
                if delivery.plan_id
                else None
            )
            now = utcnow()
            ctx = RenderContext(db, delivery, plan, self.settings, now)
            try:
                # What the message needs changes first (services); rendering only reads.
                outcome = prepare_delivery(ctx) or render_delivery(ctx)
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
                # Keep what preparing moved along; this delivery waits without an attempt.
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
                earlier = self._already_posted(channel, delivery, message)
                if earlier is not None:
                    where, found = earlier
                    outbox.mark_sent(db, delivery_id, owner, where, found, utcnow())
                    db.commit()
                    logger.info("delivery %s was already posted (ts %s)", delivery_id, found)
                    return 0
            answer = self._call(
                POST,
                lambda: self.client.chat_postMessage(
                    channel=channel,
                    text=message.text,
                    blocks=message.blocks or None,
                    thread_ts=message.thread_ts,
                    metadata=message_metadata(delivery_id, owed.kind.value, message),
                    unfurl_links=False,
                    unfurl_media=False,
                ),
                owed.recipient_id,  # paced per recipient: their user id and DM are one channel
            )
        except Stopping:
            db.rollback()
            outbox.release(db, [delivery_id], owner, utcnow())
            db.commit()
            return 0
        except Paused as paused:
            db.rollback()
            outbox.retry_later(db, delivery_id, owner, paused.until, "paused", count_attempt=False)
            db.commit()
            return 0
        except RecipientGone as gone:
            db.rollback()
            self._give_up(db, owed, owner, gone.error)
            return 0
        except SlackApiError as error:
            db.rollback()
            self._handle_api_error(db, owed, owner, error, maybe_posted=maybe_posted)
            return 0
        except (TimeoutError, OSError) as error:
            # Includes socket timeouts and urllib's URLError: Slack may have posted it.
            db.rollback()
            self._retry(db, owed, owner, AMBIGUOUS + repr(error), count_attempt=True)
            return 0
        posted = outbox.mark_sent(
            db, delivery_id, owner, str(answer["channel"]), str(answer["ts"]), utcnow()
        )
        if posted:
            self._learn_dm(db, owed.recipient_id, str(answer["channel"]))
        if not posted:
            logger.warning("delivery %s was posted after its lease passed to another", delivery_id)
            db.rollback()
            return 0
        db.commit()
        return 1

    def _upload(self, db: Session, owed: Owed, owner: str, channel: str, message: Outgoing) -> int:
        """Post `message` as file uploads with its text as the comment."""
        channel = self._dm_of(channel)
        answer = self._call(
            "files.completeUploadExternal",
            lambda: self.client.files_upload_v2(
                channel=channel,
                initial_comment=message.text,
                thread_ts=message.thread_ts,
                file_uploads=[
                    {"content": a.content, "filename": a.filename, "title": a.title}
                    for a in message.attachments
                ],
            ),
        )
        file_ids = ",".join(str(f.get("id")) for f in answer.get("files", []))
        if not outbox.mark_sent(db, owed.id, owner, channel, file_ids[:32], utcnow()):
            db.rollback()
            return 0
        db.commit()
        return 1

    def _channel_for(self, db: Session, recipient: str) -> str:
        """Where to post: a channel id as it is; a person's remembered DM, or their user id.

        Uses the cached profile whatever its age (the background refresh keeps it fresh);
        only a person never seen before is looked up.
        """
        if not recipient.startswith(("U", "W")):
            return recipient
        profile = users.last_known(db, recipient)
        if profile is None:
            db.commit()  # hold no write lock over users.info
            profile = self.directory.profile(db, recipient, fresh=True)
            db.commit()  # the profile is cached; hold no write lock over the next network call
        if profile is None:
            raise RecipientGone("user_not_found")
        if profile.deleted:
            raise RecipientGone("user_disabled")
        if profile.is_bot:
            raise RecipientGone("cannot_dm_bot")
        return users.dm_channel(db, recipient) or recipient

    def _learn_dm(self, db: Session, recipient: str, channel: str) -> None:
        """Remember the DM channel a post to a user id landed in."""
        if recipient.startswith(("U", "W")) and channel.startswith("D"):
            if users.dm_channel(db, recipient) != channel:
                users.remember_dm_channel(db, recipient, channel)

    def _dm_of(self, channel: str) -> str:
        """`channel`, or when it is a user id, the bot's DM with them (opened once, ever)."""
        if not channel.startswith(("U", "W")):
            return channel
        with self.sessions() as db:
            known = users.dm_channel(db, channel)
            db.commit()
        if known is not None:
            return known
        dm = self.directory.dm_channel(channel)  # no transaction is open over the network
        with self.sessions() as db:
            users.remember_dm_channel(db, channel, dm)
            db.commit()
        return dm

    def _already_posted(
        self, channel: str, delivery: Delivery, message: Outgoing
    ) -> tuple[str, str] | None:
        """The channel and ts of a message that carries this delivery's metadata, if any.

        Reads from just before the first attempt began, following the cursor page by page
        until the message is found or the history is exhausted: in a busy channel it may lie
        hundreds of messages back.
        """
        channel = self._dm_of(channel)  # a lost post to a user id: read their DM
        since = delivery.first_attempt_at or delivery.created_at
        oldest = f"{(since - HISTORY_MARGIN).timestamp():.6f}"
        cursor: str | None = None
        while True:
            args: dict[str, Any] = {
                "channel": channel,
                "oldest": oldest,
                "include_all_metadata": True,
                "limit": HISTORY_PAGE,
            }
            if cursor:
                args["cursor"] = cursor
            if message.thread_ts:
                answer = self._call(
                    "conversations.replies",
                    lambda a=args: self.client.conversations_replies(ts=message.thread_ts, **a),
                )
            else:
                answer = self._call(
                    "conversations.history",
                    lambda a=args: self.client.conversations_history(**a),
                )
            for item in answer.get("messages", []):
                metadata: dict[str, Any] = item.get("metadata") or {}
                payload = metadata.get("event_payload") or {}
                if metadata.get("event_type") in DELIVERY_EVENT_TYPES and str(
                    payload.get("delivery_id")
                ) == str(delivery.id):
                    return channel, str(item["ts"])
            cursor = (answer.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return None
