"""The tamper-evident audit trail: append-only records chained by SHA-256.

Every record hashes its own content together with the previous record's hash in the same
stream (one stream per case, plus 'system' for deployments and administration). The
stream's head row holds the last sequence number and hash, and appending locks it, so a
chain never forks and a record removed from the end is noticed too.

A chain kept in the same database cannot, alone, catch someone who rewrites it whole: with
write access one can recompute every hash after an edit, or drop the last records and
rewind the head, or delete a case's stream outright. So `verify` also checks that every
case has its stream, and `checkpoint` gives the operator the current heads to keep
outside the database (printed, mailed, in the monthly report); `verify(anchor=...)` then
proves that every record up to that checkpoint is still the one that was there.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import AuditEvent
from db.models import AuditStream
from db.models import ProcessInstance
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


_BATCH = "supervision.audit.batch"


@contextlib.contextmanager
def batch(session: Session) -> Iterator[None]:
    """Collect the appends made inside and write them together when the block ends.

    An engine operation records several events (the completion, a timer, the end of the
    case); written together they cost one stream lock and one multi-row insert instead
    of three of each. Nested batches on the same session write with the outermost one.
    Nothing is written if the block raises.
    """
    if _BATCH in session.info:
        yield
        return
    session.info[_BATCH] = []
    try:
        yield
        pending = session.info[_BATCH]
        session.info.pop(_BATCH, None)
        _write(session, pending)
    finally:
        session.info.pop(_BATCH, None)


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
) -> AuditEvent | None:
    """Append one record to its stream inside the caller's transaction.

    Inside `batch(session)` the record is queued and written when the batch ends (the
    return value is then None).
    """
    # Stored as UTC and read back as UTC: hash the same form, or a record written with a
    # local-time `at` would look edited on the first verify.
    entry = {
        "stream_key": stream_for(instance_id),
        "at": (at or clock.now()).astimezone(UTC),
        "actor": actor,
        "action": action,
        "instance_id": instance_id,
        "task_id": task_id,
        "activity_id": activity_id,
        "details": _canonical(details or {}),
    }
    pending = session.info.get(_BATCH)
    if pending is not None:
        pending.append(entry)
        return None
    return _write(session, [entry])[0]


def _write(session: Session, entries: list[dict[str, Any]]) -> list[AuditEvent]:
    """Chain and insert `entries`: lock each stream's head once, then one insert."""
    if not entries:
        return []
    heads: dict[str, AuditStream] = {}
    for key in dict.fromkeys(e["stream_key"] for e in entries):
        head = session.scalars(
            select(AuditStream).where(AuditStream.key == key).with_for_update()
        ).one_or_none()
        if head is None:
            head = AuditStream(key=key, seq=0, head_hash=GENESIS)
            session.add(head)
        heads[key] = head
    events = []
    for entry in entries:
        head = heads[entry["stream_key"]]
        event = AuditEvent(seq=head.seq + 1, prev_hash=head.head_hash, **entry)
        event.hash = record_hash(head.head_hash, event)
        head.seq = event.seq
        head.head_hash = event.hash
        head.updated_at = entry["at"]
        events.append(event)
    session.add_all(events)
    return events


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
        record = f"record id={self.broken_id}" if self.broken_id is not None else "record"
        return (
            f"audit chain BROKEN at {record} (stream {self.broken_stream}, "
            f"seq {self.broken_seq}): {self.reason}"
        )


class _Broken(Exception):
    def __init__(self, event_id: int | None, stream: str, seq: int | None, reason: str):
        super().__init__(reason)
        self.event_id = event_id
        self.stream = stream
        self.seq = seq
        self.reason = reason


def _events(session: Session, key: str) -> Iterator[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.stream_key == key).order_by(AuditEvent.seq)
    result = session.scalars(stmt.execution_options(yield_per=1000))
    try:
        yield from result
    finally:
        # Stopping at a broken record leaves PostgreSQL's server-side cursor open otherwise.
        result.close()


def _check_stream(session: Session, stream: AuditStream, anchored: tuple[int, str] | None) -> int:
    """Walk one chain from genesis; return its record count or raise _Broken."""
    prev = GENESIS
    expected_seq = 1
    last = None
    with contextlib.closing(_events(session, stream.key)) as events:
        for event in events:
            if event.seq != expected_seq:
                raise _Broken(
                    event.id,
                    stream.key,
                    event.seq,
                    f"sequence gap: record {expected_seq} is missing",
                )
            if event.prev_hash != prev:
                raise _Broken(
                    event.id, stream.key, event.seq, "does not link to the previous record"
                )
            if record_hash(prev, event) != event.hash:
                raise _Broken(
                    event.id, stream.key, event.seq, "content does not match its hash (edited)"
                )
            if anchored is not None and event.seq == anchored[0] and event.hash != anchored[1]:
                raise _Broken(
                    event.id,
                    stream.key,
                    event.seq,
                    "differs from the checkpoint (the chain was rewritten from here or earlier)",
                )
            prev = event.hash
            expected_seq += 1
            last = event
    end = last.seq if last else 0
    if end != stream.seq or prev != stream.head_hash:
        if end < stream.seq:
            reason = f"stream head says {stream.seq} records but the chain ends at {end}"
            raise _Broken(None, stream.key, end + 1, f"{reason} (records removed)")
        raise _Broken(
            last.id if last else None,
            stream.key,
            end,
            "the stream head does not match the last record",
        )
    if anchored is not None and end < anchored[0]:
        raise _Broken(
            None,
            stream.key,
            end + 1,
            f"the checkpoint saw {anchored[0]} records, the chain now ends at {end} "
            "(records removed and the head rewound)",
        )
    return end


def _missing_case_stream(session: Session, known: set[str]) -> str | None:
    """A case without its stream: every case is audited from its start."""
    for instance_id in session.scalars(select(ProcessInstance.id).order_by(ProcessInstance.id)):
        if stream_for(instance_id) not in known:
            return instance_id
    return None


def verify(session: Session, anchor: Mapping[str, Any] | None = None) -> VerifyResult:
    """Recompute every chain; report the first record that does not fit.

    `anchor` is a `checkpoint()` kept outside the database: each stream it names must
    still exist and still hold, at the checkpoint's sequence number, the same hash.
    """
    streams = session.scalars(select(AuditStream).order_by(AuditStream.key)).all()
    known = {s.key for s in streams}
    anchored = {key: (int(seq), str(h)) for key, (seq, h) in _anchor_heads(anchor).items()}
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
            False, 0, len(streams), first.id, orphan, first.seq, "record belongs to no known stream"
        )
    for key in sorted(set(anchored) - known):
        return VerifyResult(
            False, 0, len(streams), None, key, 1, "the checkpoint has this stream; it is gone"
        )
    missing = _missing_case_stream(session, known)
    if missing is not None:
        return VerifyResult(
            False,
            0,
            len(streams),
            None,
            stream_for(missing),
            1,
            f"case {missing} exists but its audit stream is gone",
        )
    records = 0
    for stream in streams:
        try:
            records += _check_stream(session, stream, anchored.get(stream.key))
        except _Broken as broken:
            return VerifyResult(
                False,
                records,
                len(streams),
                broken.event_id,
                broken.stream,
                broken.seq,
                broken.reason,
            )
    return VerifyResult(True, records, len(streams))


# ---------------------------------------------------------------- checkpoints


def checkpoint(session: Session) -> dict[str, Any]:
    """The current head of every stream, to be kept outside the database.

    `digest` fingerprints the whole checkpoint, so a printed or mailed copy can be
    compared by its first characters.
    """
    heads = {
        s.key: [s.seq, s.head_hash]
        for s in session.scalars(select(AuditStream).order_by(AuditStream.key))
    }
    return {
        "taken_at": clock.now().astimezone(UTC).isoformat(),
        "streams": heads,
        "digest": _heads_digest(heads),
    }


def _heads_digest(heads: Mapping[str, Any]) -> str:
    text = json.dumps(heads, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class CheckpointError(ValueError):
    """The checkpoint given to verify is not one that `checkpoint()` wrote."""


def _anchor_heads(anchor: Mapping[str, Any] | None) -> dict[str, Any]:
    if anchor is None:
        return {}
    heads = anchor.get("streams") if isinstance(anchor, Mapping) else None
    if not isinstance(heads, Mapping) or anchor.get("digest") != _heads_digest(heads):
        raise CheckpointError("the checkpoint is damaged (its digest does not match)")
    for key, value in heads.items():
        if not (
            isinstance(key, str)
            and isinstance(value, list | tuple)
            and len(value) == 2
            and isinstance(value[0], int)
            and isinstance(value[1], str)
        ):
            raise CheckpointError(f"the checkpoint entry for {key!r} is not [seq, hash]")
    return dict(heads)
