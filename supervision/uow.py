"""Units of work for the CLI, the worker and services called outside a web request."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from db.session import begin_writing
from supervision.errors import StaleCaseError

T = TypeVar("T")
log = logging.getLogger(__name__)


def is_retryable(exc: BaseException) -> bool:
    """A lost optimistic lock, a SQLite writer collision or a PostgreSQL deadlock."""
    # StaleDataError: the same lost lock, met by an autoflush before the engine's final
    # flush could translate it into StaleCaseError.
    if isinstance(exc, StaleCaseError | StaleDataError):
        return True
    if isinstance(exc, OperationalError):
        text = str(exc.orig if exc.orig is not None else exc).lower()
        return (
            "database is locked" in text
            or "deadlock detected" in text
            or ("could not serialize" in text)
        )
    return False


def run(sessions: sessionmaker[Session], work: Callable[[Session], T], *, retries: int = 5) -> T:
    """Run `work` in one transaction; on a concurrency conflict, start over (fresh state)."""
    for attempt in range(retries + 1):
        try:
            with sessions.begin() as session:
                if attempt:
                    begin_writing(session)  # queue for SQLite's write lock this time
                return work(session)
        except Exception as exc:
            if attempt >= retries or not is_retryable(exc):
                raise
            log.info("conflict (%s), retrying (%d)", type(exc).__name__, attempt + 1)
            time.sleep(random.uniform(0.005, 0.05) * (attempt + 1))
    raise AssertionError("unreachable")
