"""Shared fixtures: a fresh database per test on SQLite and PostgreSQL, the engine, users.

Database-backed tests take the `runtime` fixture and run once per backend. PostgreSQL runs
when SUPERVISION_TEST_POSTGRES_URL names a server (a maintenance database such as
postgresql://user:pw@127.0.0.1/postgres); each test session creates and drops its own
database there. Locally the PostgreSQL variant is skipped when no server is given; with
SUPERVISION_REQUIRE_POSTGRES=1 (as in .ci/run) a missing server fails instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

import db.models  # noqa: F401
from db.base import Base
from db.session import make_engine
from db.session import make_sessionmaker
from supervision import clock
from supervision.bootstrap import Runtime
from supervision.bootstrap import build_engine
from supervision.calendar import calendar_cache
from supervision.calendar import seed_from_chinese_calendar
from supervision.settings import settings_cache

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
WORKFLOWS = ROOT / "workflows"
POSTGRES_URL = os.environ.get("SUPERVISION_TEST_POSTGRES_URL")
REQUIRE_POSTGRES = os.environ.get("SUPERVISION_REQUIRE_POSTGRES") == "1"
CALENDAR_YEARS = (2025, 2026)


def _postgres_available() -> bool:
    if not POSTGRES_URL:
        return False
    try:
        engine = make_engine(POSTGRES_URL)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str | None]:
    """A throw-away PostgreSQL database for this test session (None if unavailable)."""
    if not _postgres_available():
        if REQUIRE_POSTGRES:
            pytest.fail(
                "SUPERVISION_REQUIRE_POSTGRES=1 but no PostgreSQL server answers at "
                f"SUPERVISION_TEST_POSTGRES_URL={POSTGRES_URL!r}"
            )
        yield None
        return
    name = f"sv_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin.url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
            {"n": name},
        )
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def _truncate_all(url: str) -> None:
    engine = make_engine(url)
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path, postgres_database) -> Iterator[str]:
    """A fresh, empty database per test: a SQLite file, or the truncated PostgreSQL one."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
        yield url
        return
    if postgres_database is None:
        pytest.skip("no PostgreSQL server (set SUPERVISION_TEST_POSTGRES_URL)")
    _truncate_all(postgres_database)
    yield postgres_database


@pytest.fixture(autouse=True)
def _reset_clock_and_caches() -> Iterator[None]:
    clock.reset()
    calendar_cache.clear()
    settings_cache.clear()
    yield
    clock.reset()


@dataclass
class TestRuntime(Runtime):
    url: str = ""

    @property
    def backend(self) -> str:
        return "postgresql" if self.url.startswith("postgres") else "sqlite"


@pytest.fixture
def runtime(database_url) -> Iterator[TestRuntime]:
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        seed_from_chinese_calendar(session, CALENDAR_YEARS)
    rt = TestRuntime(db=engine, sessions=sessions, engine=build_engine(), url=database_url)
    yield rt
    engine.dispose()


@pytest.fixture
def session(runtime) -> Iterator:
    with runtime.sessions() as s:
        yield s


def data_file(*parts: str) -> Path:
    return DATA.joinpath(*parts)


def read_workflow(name: str) -> bytes:
    return data_file("workflows", name).read_bytes()
