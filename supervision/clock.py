"""The one source of "now" for the engine, timers and deadlines.

SpiffWorkflow reads the wall clock itself; our timer classes and deadline functions read
this module instead, so tests (and a support engineer replaying a case) can move time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

_frozen: datetime | None = None
_offset = timedelta(0)


def now() -> datetime:
    """Aware UTC now, honouring a frozen or shifted test clock."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC) + _offset


def local_now() -> datetime:
    return now().astimezone(LOCAL_TZ)


def freeze(at: datetime) -> None:
    global _frozen
    if at.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    _frozen = at.astimezone(UTC)


def shift(delta: timedelta) -> None:
    """Move time forward (or back) by `delta`, frozen or not."""
    global _frozen, _offset
    if _frozen is not None:
        _frozen += delta
    else:
        _offset += delta


def reset() -> None:
    global _frozen, _offset
    _frozen = None
    _offset = timedelta(0)


@contextlib.contextmanager
def frozen_at(at: datetime) -> Iterator[None]:
    global _frozen, _offset
    saved = (_frozen, _offset)
    freeze(at)
    try:
        yield
    finally:
        _frozen, _offset = saved
