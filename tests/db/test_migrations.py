"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import make_url

import db.models  # noqa: F401
from db.base import Base
from db.migrate import current_revision
from db.migrate import upgrade
from db.session import make_engine
from tests.conftest import POSTGRES_URL
from tests.conftest import REQUIRE_POSTGRES
from tests.conftest import _postgres_available


def _diff(engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def test_sqlite_migrations_match_the_models(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    try:
        upgrade(engine)
        upgrade(engine)  # safe to repeat
        assert current_revision(engine) == "0001"
        assert _diff(engine) == []
    finally:
        engine.dispose()


def test_postgresql_migrations_match_the_models():
    if not _postgres_available():
        if REQUIRE_POSTGRES:
            pytest.fail("PostgreSQL required but not available")
        pytest.skip("no PostgreSQL server (set SUPERVISION_TEST_POSTGRES_URL)")
    name = f"sv_migrate_{uuid.uuid4().hex[:8]}"
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin.url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        upgrade(engine)
        assert _diff(engine) == []
    finally:
        # Dispose first: a pooled connection left open would block DROP DATABASE
        # and, garbage-collected later, fail an unrelated test with a ResourceWarning.
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
