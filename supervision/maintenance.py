"""Housekeeping the worker does on the side: expired early messages, old outbox rows,
heartbeats of workers long gone."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import PendingMessage
from db.models import WorkerHeartbeat
from supervision import audit
from supervision import clock
from supervision.outbox import is_postgres

HEARTBEAT_RETENTION = timedelta(days=7)


def expire_pending_messages(session: Session, *, batch: int = 200) -> int:
    """Drop early messages nobody came to take before they expired; audit each one.

    The record goes to the case's own audit stream (the message was kept for that case),
    so the case history shows what arrived, when, and that it was never delivered.
    """
    now = clock.now()
    stmt = (
        select(PendingMessage)
        .where(
            PendingMessage.active.is_(True),
            PendingMessage.expires_at.is_not(None),
            PendingMessage.expires_at <= now,
        )
        .order_by(PendingMessage.expires_at)
        .limit(batch)
    )
    if is_postgres(session):
        stmt = stmt.with_for_update(skip_locked=True)
    expired = session.scalars(stmt).all()
    for message in expired:
        message.active = False
        audit.append(
            session,
            "message_expired",
            actor="timer",
            instance_id=message.instance_id,
            details={
                "name": message.name,
                "business_key": message.business_key,
                "received_at": message.received_at,
                "expires_at": message.expires_at,
                "sender": message.sender,
                "variables": message.variables,
            },
            at=now,
        )
    return len(expired)


def prune_heartbeats(session: Session) -> int:
    cutoff = clock.now() - HEARTBEAT_RETENTION
    result = session.execute(
        delete(WorkerHeartbeat).where(
            (WorkerHeartbeat.stopped_at.is_not(None) & (WorkerHeartbeat.stopped_at < cutoff))
            | (WorkerHeartbeat.beat_at < cutoff)
        )
    )
    return int(result.rowcount or 0)
