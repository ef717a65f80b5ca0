"""The tamper-evident audit trail: append-only records chained by SHA-256.

Every record hashes its own content together with the previous record's hash in the same
stream (one stream per case, plus 'system' for deployments and administration). The
stream's head row holds the last sequence number and hash, and appending locks it, so a
chain never forks and a record removed from the end is noticed too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import AuditEvent
from db.models import AuditStream
from supervision import clock

GENESIS = "0" * 64
SYSTEM_STREAM = "system"


def stream_for(instance_id: str | None) -> str:
    return f"case:{instance_id}" if instance_id else SYSTEM_STREAM


def _canonical(value: Any) -> Any:
    """The JSON form that survives a database round trip unchanged."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=str, sort_keys=True))


def record_hash(prev_hash: str, event: AuditEvent) -> str:
    content = {
        "stream": event.stream_key,
        "seq": event.seq,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "action": event.action,
        "instance_id": event.instance_id,
        "task_id": event.task_id,
        "activity_id": event.activity_id,
        "details": event.details,
    }
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((prev_hash + text).encode("utf-8")).hexdigest()


def append(
    session: Session,
    action: str,
    *,
    actor: str | None,
    instance_id: str | None = None,
    task_id: str | None = None,
    activity_id: str | None = None,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one record to its stream inside the caller's transaction."""
    key = stream_for(instance_id)
    head = session.scalars(
        select(AuditStream).where(AuditStream.key == key).with_for_update()
    ).one_or_none()
    if head is None:
        head = AuditStream(key=key, seq=0, head_hash=GENESIS)
        session.add(head)
    at = (at or clock.now()).replace(microsecond=(at or clock.now()).microsecond)
    event = AuditEvent(
        stream_key=key,
        seq=head.seq + 1,
        at=at,
        actor=actor,
        action=action,
        instance_id=instance_id,
        task_id=task_id,
        activity_id=activity_id,
        details=_canonical(details or {}),
        prev_hash=head.head_hash,
    )
    event.hash = record_hash(head.head_hash, event)
    head.seq = event.seq
    head.head_hash = event.hash
    head.updated_at = at
    session.add(event)
    return event


@dataclass
class VerifyResult:
    ok: bool
    records: int
    streams: int
    broken_id: int | None = None
    broken_stream: str | None = None
    broken_seq: int | None = None
    reason: str | None = None

    def describe(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.records} records in {self.streams} streams"
        return (
            f"audit chain BROKEN at record id={self.broken_id} (stream {self.broken_stream}, "
            f"seq {self.broken_seq}): {self.reason}"
        )


def _events(session: Session, key: str) -> Iterator[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.stream_key == key).order_by(AuditEvent.seq)
    yield from session.scalars(stmt.execution_options(yield_per=1000))


def verify(session: Session) -> VerifyResult:
    """Recompute every chain; report the first record that does not fit."""
    records = 0
    streams = session.scalars(select(AuditStream).order_by(AuditStream.key)).all()
    known = {s.key for s in streams}
    orphan = (
        session.scalars(
            select(AuditEvent.stream_key).where(AuditEvent.stream_key.not_in(known)).limit(1)
        ).first()
        if known
        else session.scalars(select(AuditEvent.stream_key).limit(1)).first()
    )
    if orphan is not None:
        first = session.scalars(
            select(AuditEvent).where(AuditEvent.stream_key == orphan).order_by(AuditEvent.seq)
        ).first()
        return VerifyResult(
            False,
            records,
            len(streams),
            first.id,
            orphan,
            first.seq,
            "record belongs to no known stream",
        )
    for stream in streams:
        prev = GENESIS
        expected_seq = 1
        last = None
        for event in _events(session, stream.key):
            records += 1
            if event.seq != expected_seq:
                return VerifyResult(
                    False,
                    records,
                    len(streams),
                    event.id,
                    stream.key,
                    event.seq,
                    f"sequence gap: expected {expected_seq}",
                )
            if event.prev_hash != prev:
                return VerifyResult(
                    False,
                    records,
                    len(streams),
                    event.id,
                    stream.key,
                    event.seq,
                    "does not link to the previous record",
                )
            if record_hash(prev, event) != event.hash:
                return VerifyResult(
                    False,
                    records,
                    len(streams),
                    event.id,
                    stream.key,
                    event.seq,
                    "content does not match its hash (edited)",
                )
            prev = event.hash
            expected_seq += 1
            last = event
        if (last.seq if last else 0) != stream.seq or prev != stream.head_hash:
            return VerifyResult(
                False,
                records,
                len(streams),
                last.id if last else None,
                stream.key,
                last.seq if last else 0,
                f"stream head says {stream.seq} records but the chain ends at "
                f"{last.seq if last else 0} (records removed)",
            )
    return VerifyResult(True, records, len(streams))
