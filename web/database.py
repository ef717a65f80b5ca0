"""One session and one transaction per request: committed when the response is a success,
rolled back otherwise, so a refused request never leaves half a change behind."""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask import Response
from flask import current_app
from flask import g
from sqlalchemy.orm import Session

from db.session import begin_writing
from db.session import make_engine
from db.session import make_sessionmaker
from supervision.uow import is_retryable

RETRIES = 5


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["db.engine"] = engine
    app.extensions["db.sessionmaker"] = make_sessionmaker(engine)
    app.after_request(_commit_if_ok)
    app.teardown_appcontext(_close)


def get_session() -> Session:
    if "db_session" not in g:
        g.db_session = current_app.extensions["db.sessionmaker"]()
    return g.db_session


def _commit_if_ok(response: Response) -> Response:
    session: Session | None = g.get("db_session")
    if session is None:
        return response
    if response.status_code < 400:
        try:
            session.commit()
        except Exception:
            session.rollback()
            raise
    else:
        session.rollback()
    return response


def _close(_exc: BaseException | None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.close()


def retry_on_conflict(view: Callable[..., Any]) -> Callable[..., Any]:
    """Run the view again, on a fresh session, when a concurrent change made it fail.

    Two people completing the two parallel branches of one case collide on the case's
    version; the loser's work is still valid, so it is simply done again on the new state.
    A change that is no longer valid (the same task completed twice) fails on the retry
    with its own clear error.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        for attempt in range(RETRIES + 1):
            try:
                if attempt:
                    # The retry queues for SQLite's write lock instead of colliding again.
                    begin_writing(get_session())
                result = view(*args, **kwargs)
                # Write now, inside the retry: on SQLite the write lock is taken at the
                # first write, and a collision there must be retried, not hit at commit.
                session = g.get("db_session")
                if session is not None:
                    session.flush()
                return result
            except Exception as exc:
                if attempt >= RETRIES or not is_retryable(exc):
                    raise
                session = g.pop("db_session", None)
                if session is not None:
                    session.rollback()
                    session.close()
                # Back off a random, growing while: retrying at once under load (SQLite's
                # single writer, a busy case) meets the same collision again and again.
                time.sleep(random.uniform(0.005, 0.05) * (attempt + 1))
        raise AssertionError("unreachable")

    return wrapper
