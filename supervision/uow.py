"""Units of work for the CLI, the worker and services called outside a web request."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
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
    if isinstance(exc, IntegrityError):
        # Two operations on one case (the two parallel branches completed at once) both
        # record the same new task; the loser's history rows can reach the database before
        # its case row's version check. A retry reloads the case and records nothing twice.
        text = str(exc.orig if exc.orig is not None else exc).lower()
        return any(name in text for name in PROJECTION_KEYS)
    return False


# The projection rows keyed by workflow task ids (constraint names on PostgreSQL,
# table.column on SQLite).
PROJECTION_KEYS = (
    "uq_historic_activities_task_id",
    "historic_activities.task_id",
    "pk_open_tasks",
    "open_tasks.id",
    "pk_historic_tasks",
    "historic_tasks.id",
)


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
