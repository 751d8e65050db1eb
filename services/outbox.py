"""The outbox: putting owed messages in, once, keyed by their occurrence."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from models import Delivery, DeliveryKind, DeliveryStatus, utcnow


def dialect_insert(db: Session) -> Any:
    """The INSERT construct of the session's dialect, which knows ON CONFLICT."""
    dialect = db.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


_BATCH = "outbox_batch"


@contextmanager
def batched(db: Session) -> Iterator[None]:
    """Inside, `enqueue` collects rows; on a clean exit they go in one multi-row INSERT.

    A new plan owes about fifty messages: one statement instead of fifty round trips.
    `enqueue` then answers True for every new key (the batch cannot see the table's).
    """
    rows: dict[str, dict[str, Any]] = {}  # by occurrence key
    db.info[_BATCH] = rows
    try:
        yield
    finally:
        db.info.pop(_BATCH, None)
    if rows:
        # One cached statement with every row as parameters: a multi-row INSERT on
        # PostgreSQL (SQLAlchemy's insertmanyvalues), one executemany on SQLite.
        table: Any = Delivery.__table__
        db.execute(
            dialect_insert(db)(table).on_conflict_do_nothing(index_elements=["occurrence_key"]),
            list(rows.values()),
        )


def enqueue(
    db: Session,
    *,
    key: str,
    kind: DeliveryKind,
    recipient_id: str,
    due_at: datetime,
    plan_id: int | None = None,
    checkin_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> bool:
    """Owe one message; an occurrence key already owed is left as it is. True if added."""
    row: dict[str, Any] = {
        "occurrence_key": key,
        "kind": kind,
        "recipient_id": recipient_id,
        "due_at": due_at,
        "next_attempt_at": due_at,
        "plan_id": plan_id,
        "checkin_id": checkin_id,
        "payload": payload or {},
        "status": DeliveryStatus.PENDING,
        "attempts": 0,
        "created_at": utcnow(),
    }
    batch = db.info.get(_BATCH)
    if batch is not None:
        if key in batch:
            return False
        batch[key] = row
        return True
    statement = dialect_insert(db)(Delivery).values(**row)
    # RETURNING tells inserted from skipped on both dialects (psycopg's rowcount does not).
    inserted = db.execute(
        statement.on_conflict_do_nothing(index_elements=["occurrence_key"]).returning(Delivery.id)
    ).scalar_one_or_none()
    return inserted is not None


def cancel_pending(db: Session, plan_id: int, kinds: set[DeliveryKind] | None = None) -> int:
    """Cancel every not-yet-sent delivery of a plan (of `kinds`, when given)."""
    statement = update(Delivery).where(
        Delivery.plan_id == plan_id, Delivery.status == DeliveryStatus.PENDING
    )
    if kinds:
        statement = statement.where(Delivery.kind.in_(kinds))
    result = db.execute(statement.values(status=DeliveryStatus.CANCELLED))
    return int(getattr(result, "rowcount", 0) or 0)


# Claimed first when much is due at once (after downtime, at 10:00 on a Monday): what people
# act on, and what a listener just made due, before the nudges and notices about lateness.
URGENT_KINDS = (
    DeliveryKind.ACK_REQUEST,
    DeliveryKind.END_OF_PLAN,
    DeliveryKind.PLAN_CONFIRMATION,
    DeliveryKind.NOTICE,
    DeliveryKind.HR_NOTICE,
    DeliveryKind.CHECKIN_PROMPT,
    DeliveryKind.REVIEW_PROMPT,
)


def claim_due(db: Session, owner: str, now: datetime, lease: timedelta, limit: int) -> list[int]:
    """Lease up to `limit` due deliveries to `owner`; returns their ids. The caller commits.

    Due means pending with its next attempt at or before `now`, or claimed by someone whose
    lease ran out (a crashed sender); a recipient someone is sending to now waits its turn.
    A recipient's deliveries due at one instant are claimed together.

    One statement: on PostgreSQL the inner SELECT locks with FOR UPDATE SKIP LOCKED, so
    concurrent dispatchers take disjoint rows; on SQLite the statement runs inside BEGIN
    IMMEDIATE (see db.py), which serialises writers.
    """
    busy = aliased(Delivery)
    due = (
        select(Delivery.id)
        .where(
            or_(
                and_(Delivery.status == DeliveryStatus.PENDING, Delivery.next_attempt_at <= now),
                and_(Delivery.status == DeliveryStatus.CLAIMED, Delivery.lease_expires_at < now),
            ),
            # One sender per recipient at a time across the fleet: Slack takes one post a
            # second per channel, and replicas do not share their pacing.
            ~exists().where(
                busy.recipient_id == Delivery.recipient_id,
                busy.id != Delivery.id,
                busy.status == DeliveryStatus.CLAIMED,
                busy.lease_expires_at >= now,
            ),
        )
        .order_by(
            case((Delivery.kind.in_(URGENT_KINDS), 0), else_=1),
            Delivery.next_attempt_at,
            Delivery.recipient_id,
            Delivery.id,
        )
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(Delivery)
        .where(Delivery.id.in_(due.scalar_subquery()))
        .values(
            status=DeliveryStatus.CLAIMED,
            lease_owner=owner,
            lease_expires_at=now + lease,
            # Taking over an expired lease means the last sender died mid-way: that counts
            # as an attempt, so a delivery that always kills its sender cannot loop forever.
            attempts=case(
                (Delivery.status == DeliveryStatus.CLAIMED, Delivery.attempts + 1),
                else_=Delivery.attempts,
            ),
        )
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(db.scalars(statement).all())


def _fenced(delivery_id: int, owner: str) -> Any:
    return update(Delivery).where(
        Delivery.id == delivery_id,
        Delivery.lease_owner == owner,
        Delivery.status == DeliveryStatus.CLAIMED,
    )


def _apply(db: Session, statement: Any) -> bool:
    result = db.execute(statement.execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0))


def mark_sent(
    db: Session, delivery_id: int, owner: str, channel_id: str, ts: str, now: datetime
) -> bool:
    """Record the delivery as sent, if `owner` still holds its lease. The caller commits."""
    return _apply(
        db,
        _fenced(delivery_id, owner).values(
            status=DeliveryStatus.SENT,
            channel_id=channel_id,
            message_ts=ts,
            sent_at=now,
            lease_owner=None,
            lease_expires_at=None,
        ),
    )


def mark_final(
    db: Session, delivery_id: int, owner: str, status: DeliveryStatus, reason: str | None = None
) -> bool:
    """End the delivery without sending (skipped, cancelled or failed), if `owner` holds it."""
    return _apply(
        db,
        _fenced(delivery_id, owner).values(
            status=status, last_error=reason, lease_owner=None, lease_expires_at=None
        ),
    )


def retry_later(
    db: Session,
    delivery_id: int,
    owner: str,
    at: datetime,
    reason: str,
    *,
    count_attempt: bool,
) -> bool:
    """Give the delivery back for another try at `at` (a rate limit does not count as one)."""
    values: dict[str, Any] = {
        "status": DeliveryStatus.PENDING,
        "next_attempt_at": at,
        "last_error": reason,
        "lease_owner": None,
        "lease_expires_at": None,
    }
    if count_attempt:
        values["attempts"] = Delivery.attempts + 1
    return _apply(db, _fenced(delivery_id, owner).values(**values))


def remember_channel(
    db: Session,
    delivery_id: int,
    owner: str,
    channel_id: str,
    lease_until: datetime,
    *,
    started_at: datetime | None = None,
) -> bool:
    """Note the channel a delivery is about to be posted in and when this attempt began, and
    renew the lease for the post.

    False when `owner` no longer holds the lease: the caller must not post.
    """
    started = started_at or utcnow()
    return _apply(
        db,
        _fenced(delivery_id, owner).values(
            channel_id=channel_id,
            lease_expires_at=lease_until,
            first_attempt_at=func.coalesce(Delivery.first_attempt_at, started),
            last_attempt_at=started,
        ),
    )


def forget_channel(db: Session, delivery_id: int) -> None:
    """Forget the channel of a pending delivery whose only attempt was refused (not posted)."""
    db.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == DeliveryStatus.PENDING)
        .values(channel_id=None)
        .execution_options(synchronize_session=False)
    )


def release(db: Session, delivery_ids: list[int], owner: str, at: datetime) -> int:
    """Give back claimed deliveries `owner` never started, due again at `at`, no attempt used."""
    if not delivery_ids:
        return 0
    result = db.execute(
        update(Delivery)
        .where(
            Delivery.id.in_(delivery_ids),
            Delivery.lease_owner == owner,
            Delivery.status == DeliveryStatus.CLAIMED,
        )
        .values(
            status=DeliveryStatus.PENDING,
            next_attempt_at=at,
            lease_owner=None,
            lease_expires_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def next_due(db: Session) -> datetime | None:
    """The earliest instant something becomes due (a pending row, or a lease running out)."""
    pending = db.scalar(
        select(func.min(Delivery.next_attempt_at)).where(Delivery.status == DeliveryStatus.PENDING)
    )
    leased = db.scalar(
        select(func.min(Delivery.lease_expires_at)).where(Delivery.status == DeliveryStatus.CLAIMED)
    )
    moments = [m for m in (pending, leased) if m is not None]
    if not moments:
        return None
    earliest = min(moments)
    # Aggregates bypass the column type: SQLite hands back a naive string or datetime.
    if isinstance(earliest, str):
        earliest = datetime.fromisoformat(earliest)
    return earliest if earliest.tzinfo else earliest.replace(tzinfo=UTC)


def sent_messages(db: Session, plan_id: int, kind: DeliveryKind) -> list[Delivery]:
    """The sent deliveries of one kind for a plan, oldest first (each has channel and ts)."""
    return list(
        db.scalars(
            select(Delivery)
            .where(
                Delivery.plan_id == plan_id,
                Delivery.kind == kind,
                Delivery.status == DeliveryStatus.SENT,
                Delivery.message_ts.is_not(None),
            )
            .order_by(Delivery.sent_at, Delivery.id)
        )
    )


def sent_for_checkin(db: Session, checkin_id: int, kind: DeliveryKind) -> Delivery | None:
    """The sent message of `kind` that belongs to a check-in (its prompt, say)."""
    return db.scalar(
        select(Delivery)
        .where(
            Delivery.checkin_id == checkin_id,
            Delivery.kind == kind,
            Delivery.status == DeliveryStatus.SENT,
        )
        .order_by(Delivery.sent_at.desc())
        .limit(1)
    )


PLAIN_REPLY_WINDOW = timedelta(days=2)


def prompt_for_message(
    db: Session, channel_id: str, user_id: str, *, thread_ts: str | None, ts: str
) -> Delivery | None:
    """The check-in prompt a DM from `user_id` answers, if it answers one.

    A reply in a prompt's thread answers that prompt; a plain message answers the prompt
    only when the prompt is the last thing the bot posted in the DM before it, and was
    posted less than two days before it.
    """
    if thread_ts:
        return db.scalar(
            select(Delivery).where(
                Delivery.channel_id == channel_id,
                Delivery.message_ts == thread_ts,
                Delivery.kind == DeliveryKind.CHECKIN_PROMPT,
                Delivery.recipient_id == user_id,
            )
        )
    sent = db.scalars(
        select(Delivery)
        .where(
            Delivery.channel_id == channel_id,
            Delivery.status == DeliveryStatus.SENT,
            Delivery.message_ts.is_not(None),
        )
        .order_by(Delivery.sent_at.desc())
        .limit(20)
    ).all()
    earlier = [d for d in sent if d.message_ts and float(d.message_ts) < float(ts)]
    if not earlier:
        return None
    last = max(earlier, key=lambda d: float(d.message_ts or 0))
    recent = float(ts) - float(last.message_ts or 0) <= PLAIN_REPLY_WINDOW.total_seconds()
    if last.kind == DeliveryKind.CHECKIN_PROMPT and last.recipient_id == user_id and recent:
        return last
    return None
