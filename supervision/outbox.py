"""The outbox: messages to the outside world, written in the transaction that caused them.

A change that must be reported outside (a reminder e-mail, an SMS, the hotline feedback)
adds an OutboxMessage row in the same transaction as the change itself. The worker later
claims rows, sends them and marks them sent, each step in its own short transaction:

- claiming sets a lease (`locked_until`) and counts the attempt, then commits, so a
  worker that dies after claiming holds the row only until the lease runs out; another
  worker (or the same one, restarted) then sends it: nothing is lost;
- sending passes the row's `dedupe_key` as the idempotency key, and a resend (after a
  crash between sending and marking) carries the same key, so a receiver that remembers
  keys keeps one copy: nothing is doubled at the receiver (docs/operations.md says
  precisely what that promises);
- failures are retried with exponential backoff; a permanent refusal, or too many
  failures, parks the row as dead for an administrator to look at and queue again.

Rows of a channel this process has no sender for are never claimed: hotline feedback with
no webhook configured stays here until the hotline API pulls and acknowledges it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy import and_
from sqlalchemy import delete
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from db.models import OutboxMessage
from supervision import audit
from supervision import clock
from supervision import uow
from supervision.channels import ChannelSet
from supervision.channels import DeliveryError
from supervision.channels import Outgoing
from supervision.errors import NotFoundError

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 12
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=6)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at 6 h: about two days of trying before giving up."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_RETRY)


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# ---------------------------------------------------------------- writing


def enqueue(
    session: Session,
    *,
    channel: str,
    recipient: str,
    dedupe_key: str,
    subject: str | None = None,
    body: str | None = None,
    payload: dict[str, Any] | None = None,
    available_at: datetime | None = None,
) -> OutboxMessage | None:
    """Queue a message in the caller's transaction; None if its dedupe key is queued already."""
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)):
        return None
    now = clock.now()
    row = OutboxMessage(
        channel=channel,
        recipient=recipient,
        subject=subject,
        body=body,
        payload=dict(payload or {}),
        dedupe_key=dedupe_key[:200],
        created_at=now,
        available_at=available_at or now,
    )
    try:
        # Another transaction may queue the same key at the same moment: keep theirs.
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row


# ---------------------------------------------------------------- delivering


@dataclass
class DeliveryStats:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    dead: int = 0


def _deliverable_filter(channels: ChannelSet):
    always, webhook_names = channels.deliverable()
    options = []
    if always:
        options.append(OutboxMessage.channel.in_(sorted(always)))
    if webhook_names:
        options.append(
            and_(
                OutboxMessage.channel == "message",
                OutboxMessage.recipient.in_(sorted(webhook_names)),
            )
        )
    return or_(*options) if options else None


def claim(
    session: Session, channels: ChannelSet, *, worker_id: str, batch: int, now: datetime
) -> list[Outgoing]:
    """Lease up to `batch` sendable rows to this worker (commit before sending them)."""
    deliverable = _deliverable_filter(channels)
    if deliverable is None:
        return []
    stmt = (
        select(OutboxMessage)
        .where(
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.dead_at.is_(None),
            OutboxMessage.available_at <= now,
            or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until <= now),
            deliverable,
        )
        .order_by(OutboxMessage.available_at, OutboxMessage.id)
        .limit(batch)
    )
    if is_postgres(session):
        stmt = stmt.with_for_update(skip_locked=True)
    claimed = []
    for row in session.scalars(stmt):
        row.locked_until = now + LEASE
        row.locked_by = worker_id
        row.attempts = (row.attempts or 0) + 1
        claimed.append(
            Outgoing(
                id=row.id,
                channel=row.channel,
                recipient=row.recipient,
                subject=row.subject,
                body=row.body,
                idempotency_key=row.dedupe_key,
                payload=dict(row.payload or {}),
            )
        )
    return claimed


def mark_sent(session: Session, message_id: int, now: datetime) -> bool:
    # Whoever sent it, it is sent: a second sender after a lease ran out changes nothing.
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None))
        .values(sent_at=now, locked_until=None, last_error=None)
    )
    return bool(result.rowcount)


def mark_failed(
    session: Session,
    message_id: int,
    worker_id: str,
    error: str,
    *,
    permanent: bool,
    now: datetime,
) -> bool:
    """Record a failure and schedule the retry; True when the row is now dead."""
    row = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.id == message_id,
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.locked_by == worker_id,
        )
    ).one_or_none()
    if row is None:
        return False  # the lease ran out and someone else has it now
    row.last_error = error[:2000]
    row.locked_until = None
    row.locked_by = None
    if permanent or row.attempts >= MAX_ATTEMPTS:
        row.dead_at = now
        return True
    row.available_at = now + backoff(row.attempts)
    return False


def deliver(
    sessions: sessionmaker[Session],
    channels: ChannelSet,
    *,
    worker_id: str,
    batch: int = 50,
) -> DeliveryStats:
    """Claim, send and settle one batch. Each step commits on its own (see the module doc)."""
    stats = DeliveryStats()
    now = clock.now()
    claimed = uow.run(
        sessions, lambda s: claim(s, channels, worker_id=worker_id, batch=batch, now=now)
    )
    stats.claimed = len(claimed)
    for message in claimed:
        sender = channels.sender_for(message.channel, message.recipient)
        error: DeliveryError | None = None
        try:
            if sender is None:
                raise DeliveryError(f"no sender for channel {message.channel}", permanent=True)
            sender.send(message)
        except DeliveryError as exc:
            error = exc
        except Exception as exc:  # a sender bug must not stop the others
            log.exception("outbox message %s: sender crashed", message.id)
            error = DeliveryError(f"{type(exc).__name__}: {exc}")
        settled = clock.now()
        if error is None:
            uow.run(sessions, lambda s, m=message, at=settled: mark_sent(s, m.id, at))
            stats.sent += 1
            continue
        log.warning("outbox message %s (%s) failed: %s", message.id, message.channel, error)
        dead = uow.run(
            sessions,
            lambda s, m=message, e=error, at=settled: mark_failed(
                s, m.id, worker_id, str(e), permanent=e.permanent, now=at
            ),
        )
        stats.failed += 1
        stats.dead += int(dead)
    return stats


# ---------------------------------------------------------------- administration and pull


def requeue(session: Session, message_id: int, *, actor: str) -> OutboxMessage:
    """Give a dead (or failing) message a fresh set of attempts, now."""
    row = session.get(OutboxMessage, message_id)
    if row is None or row.sent_at is not None:
        raise NotFoundError("没有这条待发送消息 (no such unsent message)")
    previous = {"attempts": row.attempts, "dead_at": row.dead_at, "last_error": row.last_error}
    row.dead_at = None
    row.attempts = 0
    row.available_at = clock.now()
    row.locked_until = None
    row.locked_by = None
    audit.append(
        session,
        "outbox_requeue",
        actor=actor,
        details={"message_id": row.id, "channel": row.channel, "previous": previous},
    )
    return row


def pull(session: Session, recipient: str, *, limit: int = 100) -> list[OutboxMessage]:
    """Unsent 'message' rows for an outside system that reads them itself (hotline API)."""
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.channel == "message",
                OutboxMessage.recipient == recipient,
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.dead_at.is_(None),
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    )


def acknowledge(session: Session, recipient: str, ids: Iterable[int], *, actor: str) -> int:
    """The outside system confirms it stored these rows: they count as delivered."""
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        return 0
    now = clock.now()
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(wanted),
            OutboxMessage.channel == "message",
            OutboxMessage.recipient == recipient,
            OutboxMessage.sent_at.is_(None),
        )
        .values(sent_at=now, locked_until=None, locked_by=actor[:120])
    )
    return int(result.rowcount or 0)


def purge_sent(session: Session, *, older_than: timedelta) -> int:
    """Forget delivered rows after the retention period (the audit trail keeps the facts)."""
    cutoff = clock.now() - older_than
    result = session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.sent_at.is_not(None), OutboxMessage.sent_at < cutoff
        )
    )
    return int(result.rowcount or 0)
