"""Fixtures for view tests: the app on the per-test database (SQLite and PostgreSQL),
the full organisation, and a client that logs in as any of its users."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.factories import PASSWORD
from tests.web.org import make_full_org


@pytest.fixture
def app(runtime, tmp_path, monkeypatch):
    from web import create_app

    monkeypatch.setenv("SUPERVISION_ATTACHMENTS_DIR", str(tmp_path / "attachments"))
    with runtime.sessions.begin() as session:
        make_full_org(session)
    app = create_app(
        {
            "DATABASE_URL": runtime.url,
            "SECRET_KEY": "view-tests",
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
        }
    )
    # Share the engine's spec cache with the test's own service calls.
    app.extensions["supervision.engine"] = runtime.engine
    yield app
    app.extensions["db.engine"].dispose()


class Client:
    """A test client that knows how to log in."""

    def __init__(self, app) -> None:
        self.app = app
        self.http = app.test_client()

    def login(self, username: str, password: str = PASSWORD) -> Client:
        self.http.post("/logout")
        response = self.http.post("/login", data={"username": username, "password": password})
        assert response.status_code == 302, f"login as {username}: {response.status_code}"
        return self

    def get(self, *args, **kwargs):
        return self.http.get(*args, **kwargs)

    def post(self, *args, **kwargs):
        return self.http.post(*args, **kwargs)


@pytest.fixture
def client(app) -> Iterator[Client]:
    yield Client(app)


@pytest.fixture
def login(app):
    """login("sup1") -> a client logged in as sup1 (each call a separate browser)."""

    def make(username: str) -> Client:
        return Client(app).login(username)

    return make
