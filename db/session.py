"""Engine and session factories. No Flask here: the CLI, the worker and the web app share it."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

DEFAULT_DATABASE_URL = "sqlite:///instance/supervision.db"


def database_url_from_env() -> str:
    return os.environ.get("SUPERVISION_DATABASE_URL", DEFAULT_DATABASE_URL)


def _normalise(url: str) -> str:
    # Users write postgresql://; we ship psycopg 3, whose SQLAlchemy dialect needs naming.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str | None = None, **kwargs) -> Engine:
    """Create an engine for `url` (default: SUPERVISION_DATABASE_URL or the SQLite file)."""
    url = _normalise(url or database_url_from_env())
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the web server read while the worker writes; foreign keys are off by default
    # in SQLite; busy_timeout makes a second writer wait instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # Let SQLAlchemy, not pysqlite, decide when transactions begin; otherwise SAVEPOINT
    # (used to undo a failed service handler's writes) does not work.
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection) -> None:
    # A deferred transaction that read first and then writes fails at once with "database
    # is locked" when another writer committed meanwhile (its snapshot is stale; the busy
    # timeout does not help). Units of work that will write may ask to take the write
    # lock up front instead, and then simply wait their turn: see begin_writing().
    if connection.get_execution_options().get(IMMEDIATE_OPTION):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


IMMEDIATE_OPTION = "sqlite_begin_immediate"


def begin_writing(session: Session) -> None:
    """Start the session's transaction as a writer (SQLite: BEGIN IMMEDIATE; elsewhere a
    no-op). Call it before the first statement of a unit of work that will write."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection(execution_options={IMMEDIATE_OPTION: True})


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
