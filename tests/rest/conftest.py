"""Fixtures for the API tests: the app on the test database, users, tokens, diagrams."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest

from supervision import clock
from supervision import identity
from tests.factories import PASSWORD
from tests.factories import deploy
from tests.factories import make_org
from tests.factories import user
from web import create_app

DATA = Path(__file__).resolve().parent / "data"
# Thursday 2026-11-26 10:00 in Guangyuan.
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)

# Beyond tests.factories.make_org: a county bureau in 利州区 with a handler, so that
# "a county user never sees another county's case" can be checked for bureaus too.
EXTRA_GROUPS = [("lizhou_market", "利州区市场监管局", "county", "510802", "bureau")]
EXTRA_USERS = [("lizhou_market1", ("bureau_handler",), ("lizhou_market",))]


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


@pytest.fixture
def org(runtime):
    clock.freeze(NOW)
    with runtime.sessions.begin() as s:
        make_org(s)
        make_org(s, EXTRA_GROUPS, EXTRA_USERS)
    return runtime


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
)


@pytest.fixture
def api(org) -> Api:
    tokens = {}
    with org.sessions.begin() as s:
        for name in USERS:
            tokens[name] = identity.create_token(s, user(s, name), "tests", actor="admin")[1]
    return Api(tokens)


@pytest.fixture
def deployed(org):
    """The Modeler-style review process and the hotline stub, deployed by the designer."""
    with org.sessions.begin() as s:
        deploy(s, org.engine, ("modeler_review.bpmn", rest_file("modeler_review.bpmn")))
        deploy(s, org.engine, ("hotline_stub.bpmn", rest_file("hotline_stub.bpmn")))
    return org


@pytest.fixture
def frozen() -> Iterator[None]:
    clock.freeze(NOW)
    yield
