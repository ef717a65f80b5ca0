"""Run an API call again, after a short random pause, when a concurrent change got in its way.

Like web.database.retry_on_conflict, but with backoff: on SQLite a transaction that has
read cannot wait for the write lock (SQLite refuses at once rather than risk a deadlock),
so retrying at once while another request holds the lock fails again. Pausing a little
longer each time lets the other request finish; the retry then works on the new state
(for example it finds the ticket the other request created). A lost optimistic lock on
PostgreSQL is retried the same way.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from typing import Any

from flask import g

from db.session import begin_writing
from supervision.uow import is_retryable
from web.database import get_session

ATTEMPTS = 8
FIRST_PAUSE = 0.02  # seconds, doubled each time
LONGEST_PAUSE = 1.0


def retrying(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        for attempt in range(ATTEMPTS):
            try:
                if attempt:
                    # Backing off alone is not enough under steady load: a deferred
                    # transaction keeps meeting a newer writer. Queue for the lock instead.
                    begin_writing(get_session())
                return view(*args, **kwargs)
            except Exception as exc:
                if attempt == ATTEMPTS - 1 or not is_retryable(exc):
                    raise
                session = g.pop("db_session", None)
                if session is not None:
                    session.rollback()
                    session.close()
                pause = min(FIRST_PAUSE * 2**attempt, LONGEST_PAUSE)
                time.sleep(random.uniform(pause / 2, pause))
        raise AssertionError("unreachable")

    return wrapper
