"""The outbox: every message the bot owes, with its lease and its outcome."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, str_enum, utcnow
from models.enums import DeliveryKind, DeliveryStatus


class Delivery(Base):
    """One owed message: due at a UTC instant, claimed under a lease, sent at most once."""

    __tablename__ = "deliveries"
    __table_args__ = (
        Index(None, "status", "next_attempt_at"),
        Index(None, "plan_id", "status"),
        # The prompt a plain DM reply answers: the channel's latest sent messages.
        Index(None, "channel_id", "sent_at"),
        # The claim's second half: leases that ran out.
        Index(None, "status", "lease_expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_key: Mapped[str] = mapped_column(String(200), unique=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    checkin_id: Mapped[int | None] = mapped_column(
        ForeignKey("checkins.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[DeliveryKind] = mapped_column(str_enum(DeliveryKind))
    recipient_id: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    due_at: Mapped[datetime]
    status: Mapped[DeliveryStatus] = mapped_column(
        str_enum(DeliveryStatus), default=DeliveryStatus.PENDING
    )
    next_attempt_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    channel_id: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[datetime | None]
    # When the first and the latest attempt to post began: history is read from just before
    # the first one when Slack's answer to a post was lost.
    first_attempt_at: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DispatcherHeartbeat(Base):
    """A running dispatcher, seen recently: the fleet shares Slack's rate limits by these."""

    __tablename__ = "dispatcher_heartbeats"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
