"""Failures the user did not cause: a busy database is a 503 to retry, anything else a 500,
neither with a stack trace nor with anything saved."""

from __future__ import annotations

import base64
import sqlite3

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from db.models import Group
from supervision import identity
from tests.factories import PASSWORD


def _busy() -> OperationalError:
    return OperationalError(
        "UPDATE process_instances ...", {}, sqlite3.OperationalError("database is locked")
    )


@pytest.fixture
def failing_app(app):
    """The app with views that write, then fail the way a busy or broken database does."""
    from web.database import get_session

    def write_then(exc: Exception):
        def view():
            session = get_session()
            identity.create_group(
                session, "half_written", name="半截", level="city", region="510800"
            )
            session.flush()
            raise exc

        return view

    app.add_url_rule("/boom/busy", "boom_busy", write_then(_busy()))
    app.add_url_rule("/api/boom/busy", "api_boom_busy", write_then(_busy()))
    app.add_url_rule("/boom/bug", "boom_bug", write_then(RuntimeError("secret detail")))
    return app


def _groups_named_half_written(runtime) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).where(Group.code == "half_written"))


def test_a_busy_database_is_a_503_page_to_retry_and_saves_nothing(failing_app, runtime):
    response = failing_app.test_client().get("/boom/busy")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    page = response.get_data(as_text=True)
    assert "系统繁忙" in page and "未被保存" in page
    assert "Traceback" not in page and "database is locked" not in page
    assert _groups_named_half_written(runtime) == 0


def test_a_busy_database_is_a_json_503_on_the_apis(failing_app, runtime):
    response = failing_app.test_client().get("/api/boom/busy")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert response.get_json()["type"] == "ServiceUnavailable"
    assert _groups_named_half_written(runtime) == 0


def test_a_busy_database_is_a_camunda_style_503_on_engine_rest(app, runtime):
    def busy_version():
        raise _busy()

    app.view_functions["engine_rest.version"] = busy_version
    credentials = base64.b64encode(f"sup1:{PASSWORD}".encode()).decode()
    response = app.test_client().get(
        "/engine-rest/version", headers={"Authorization": f"Basic {credentials}"}
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert response.get_json() == {
        "type": "ServiceUnavailable",
        "message": "the database is busy; nothing was saved, retry shortly",
        "code": 0,
        "reason": "busy",
    }


def test_any_other_failure_is_a_500_without_details_and_saves_nothing(failing_app, runtime):
    response = failing_app.test_client().get("/boom/bug")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "系统错误" in page
    assert "secret detail" not in page and "Traceback" not in page
    assert _groups_named_half_written(runtime) == 0
