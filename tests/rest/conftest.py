"""Fixtures for the API tests: a seeded database per test, the app on it, users and tokens.

Seeding (working-day calendar, organisation, scrypt-hashed passwords, API tokens) costs
about two seconds, so it is done once per backend, and every test starts from that seeded
state: a copy of a SQLite template file, or the session's PostgreSQL database with its
rows put back. Every test runs on SQLite and on PostgreSQL (when a server is given in
SUPERVISION_TEST_POSTGRES_URL; required with SUPERVISION_REQUIRE_POSTGRES=1).
"""

from __future__ import annotations

import base64
import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.engine import make_url

import db.models  # noqa: F401
from db.base import Base
from db.models import OpenTask
from db.session import make_engine
from db.session import make_sessionmaker
from supervision import cases
from supervision import clock
from supervision import identity
from supervision.bootstrap import build_engine
from supervision.calendar import seed_from_chinese_calendar
from tests.conftest import CALENDAR_YEARS
from tests.conftest import POSTGRES_URL
from tests.conftest import REQUIRE_POSTGRES
from tests.conftest import TestRuntime
from tests.conftest import _postgres_available
from tests.factories import PASSWORD
from tests.factories import deploy
from tests.factories import make_org
from tests.factories import user
from web import create_app

DATA = Path(__file__).resolve().parent / "data"
# Thursday 2026-11-26 10:00 in Guangyuan.
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)

# Beyond tests.factories.make_org: a county bureau in 利州区 with a handler, so that
# "a county user never sees another county's case" can be checked for bureaus too, and a
# second hotline centre (a county's) that must not see the city centre's tickets.
EXTRA_GROUPS = [
    ("lizhou_market", "利州区市场监管局", "county", "510802", "bureau"),
    ("lizhou_hotline", "利州区12345分中心", "county", "510802", "hotline"),
]
EXTRA_USERS = [
    ("lizhou_market1", ("bureau_handler",), ("lizhou_market",)),
    ("lizhou_operator", ("hotline_operator",), ("lizhou_hotline",)),
]
USERS = (
    "sup1",
    "sup2",
    "chief",
    "market1",
    "lizhou1",
    "zhaohua1",
    "operator",
    "designer",
    "admin",
    "lizhou_market1",
    "lizhou_operator",
)
BACKENDS = ["sqlite", "postgresql"]


def rest_file(name: str) -> bytes:
    return (DATA / name).read_bytes()


class Api:
    """Credentials for the test users: bearer tokens (fast) and Basic (the Modeler's way)."""

    def __init__(self, tokens: dict[str, str]) -> None:
        self.tokens = tokens

    def bearer(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}", "Accept": "application/json"}

    @staticmethod
    def basic(username: str, password: str = PASSWORD) -> dict[str, str]:
        raw = base64.b64encode(f"{username}:{password}".encode()).decode()
        return {"Authorization": f"Basic {raw}", "Accept": "application/json"}


def _seed(url: str) -> dict[str, str]:
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    sessions = make_sessionmaker(engine)
    tokens = {}
    with clock.frozen_at(NOW), sessions.begin() as s:
        seed_from_chinese_calendar(s, CALENDAR_YEARS)
        make_org(s)
        make_org(s, EXTRA_GROUPS, EXTRA_USERS)
        for name in USERS:
            tokens[name] = identity.create_token(s, user(s, name), "tests", actor="admin")[1]
    engine.dispose()
    return tokens


class Templates:
    """A seeded database per backend, given to each test in its seeded state.

    SQLite: a template file, copied for each test. PostgreSQL: one database for the whole
    session whose rows are put back to the seeded state before each test (DELETE and
    INSERT take milliseconds where CREATE DATABASE ... TEMPLATE or TRUNCATE take seconds).
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.tokens: dict[str, dict[str, str]] = {}
        self._sqlite: Path | None = None
        self._pg_url: str | None = None
        self._pg_rows: dict[str, list[dict]] = {}
        self._admin = None

    def sqlite_copy(self, target: Path) -> str:
        if self._sqlite is None:
            self._sqlite = self.directory / "template.db"
            self.tokens["sqlite"] = _seed(f"sqlite:///{self._sqlite}")
        shutil.copyfile(self._sqlite, target)
        return f"sqlite:///{target}"

    def postgres_reset(self) -> str:
        if self._pg_url is None:
            self._admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
            name = f"sv_rest_{os.getpid()}_{uuid.uuid4().hex[:8]}"
            with self._admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            url = make_url(self._admin.url).set(database=name)
            self._pg_url = url.render_as_string(hide_password=False)
            self.tokens["postgresql"] = _seed(self._pg_url)
            engine = make_engine(self._pg_url)
            with engine.connect() as conn:
                for table in Base.metadata.sorted_tables:
                    rows = conn.execute(select(table)).mappings().all()
                    self._pg_rows[table.name] = [dict(r) for r in rows]
            engine.dispose()
            return self._pg_url
        engine = make_engine(self._pg_url)
        with engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())
            for table in Base.metadata.sorted_tables:
                rows = self._pg_rows[table.name]
                if rows:
                    conn.execute(table.insert(), rows)
            for table in Base.metadata.sorted_tables:
                for column in table.primary_key.columns:
                    if column.autoincrement is True or (
                        column.autoincrement == "auto" and column.type.python_type is int
                    ):
                        conn.execute(
                            text(
                                f"SELECT setval(pg_get_serial_sequence('{table.name}', "
                                f"'{column.name}'), COALESCE((SELECT MAX({column.name}) "
                                f'FROM "{table.name}"), 0) + 1, false)'
                            )
                        )
        engine.dispose()
        return self._pg_url

    def close(self) -> None:
        if self._pg_url is not None:
            name = make_url(self._pg_url).database
            with self._admin.connect() as conn:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                    ),
                    {"n": name},
                )
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        if self._admin is not None:
            self._admin.dispose()


@pytest.fixture(scope="session")
def templates(tmp_path_factory) -> Iterator[Templates]:
    found = Templates(tmp_path_factory.mktemp("rest-templates"))
    yield found
    found.close()


@pytest.fixture(scope="session")
def postgres_server() -> bool:
    available = _postgres_available()
    if not available and REQUIRE_POSTGRES:
        pytest.fail(
            "SUPERVISION_REQUIRE_POSTGRES=1 but no PostgreSQL server answers at "
            f"SUPERVISION_TEST_POSTGRES_URL={POSTGRES_URL!r}"
        )
    return available


@pytest.fixture(params=BACKENDS)
def backend(request, postgres_server) -> str:
    if request.param == "postgresql" and not postgres_server:
        pytest.skip("no PostgreSQL server (set SUPERVISION_TEST_POSTGRES_URL)")
    return request.param


@pytest.fixture
def org(backend, templates, tmp_path) -> Iterator[TestRuntime]:
    """A database of its own with the calendar, the organisation and API tokens."""
    clock.freeze(NOW)
    url = (
        templates.sqlite_copy(tmp_path / "test.db")
        if backend == "sqlite"
        else templates.postgres_reset()
    )
    engine = make_engine(url)
    rt = TestRuntime(db=engine, sessions=make_sessionmaker(engine), engine=build_engine(), url=url)
    yield rt
    engine.dispose()


@pytest.fixture
def app(org, tmp_path):
    flask_app = create_app(
        {
            "DATABASE_URL": org.url,
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "ATTACHMENTS_DIR": str(tmp_path / "attachments"),
        }
    )
    # Share the test runtime's engine object (handlers registered by a test are seen).
    flask_app.extensions["supervision.engine"] = org.engine
    yield flask_app
    flask_app.extensions["db.engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def api(org, backend, templates) -> Api:
    return Api(templates.tokens[backend])


@pytest.fixture
def deployed(org):
    """The test diagrams, deployed by the designer."""
    with org.sessions.begin() as s:
        for name in ("modeler_review.bpmn", "hotline_stub.bpmn", "county_review.bpmn"):
            deploy(s, org.engine, (name, rest_file(name)))
    return org


def start(rt, username: str, key: str, business_key: str | None = None, **variables) -> str:
    """Start a case through the service (as the web app would) and return its id."""
    with rt.sessions.begin() as s:
        result = cases.start_case(
            s, rt.engine, user(s, username), key=key, business_key=business_key, variables=variables
        )
        return result.instance.id


def county_case(rt, county: str = "lizhou", business_key: str | None = None) -> str:
    """A case owned by a county's supervisors whose bureau step goes to that county's bureau."""
    return start(
        rt,
        f"{county}1",
        "county_review",
        business_key,
        owner_unit_id=f"{county}_supervisors",
        target_agency_id=f"{county}_market" if county == "lizhou" else "city_market",
        complainant_name="周涛",
        complainant_phone="13800001111",
    )


def open_task_id(rt, instance_id: str, key: str | None = None) -> str:
    with rt.sessions() as s:
        stmt = select(OpenTask.id).where(OpenTask.instance_id == instance_id)
        if key:
            stmt = stmt.where(OpenTask.task_spec_id == key)
        return s.scalars(stmt).one()
