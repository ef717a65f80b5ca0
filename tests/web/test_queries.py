"""No page costs queries per row: the inbox with 200 tasks needs as many queries as with 10.

Queries are counted with a SQLAlchemy event on the app's engine while the page renders.
"""

from __future__ import annotations

import contextlib
import re

import pytest
from sqlalchemy import event

from supervision import cases
from supervision import clock
from tests.factories import user
from tests.web.scenario import NOW
from tests.web.scenario import deploy_review
from tests.web.scenario import open_task
from tests.web.scenario import start_review

MANY = 200
FEW = 10


@contextlib.contextmanager
def counting(app):
    statements: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many):
        statements.append(statement)

    engine = app.extensions["db.engine"]
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def many_cases(app, runtime):
    """200 cases waiting at 登记; sup1 holds every other one (to vary the rows)."""
    clock.freeze(NOW)
    ids = []
    with runtime.sessions.begin() as session:
        deploy_review(session, runtime.engine)
        for n in range(MANY):
            ids.append(
                start_review(session, runtime.engine, case_no=f"GY-{n:04d}", title=f"案件{n}")
            )
        sup1 = user(session, "sup1")
        for case_id in ids[::2]:
            cases.claim_task(session, sup1, open_task(session, case_id, "register").id)
    return ids


def _rows(html: str) -> int:
    return len(re.findall(r'data-task="[0-9a-f-]{36}"', html))


def _queries(client, app, path: str) -> tuple[int, str]:
    client.get(path)  # warm caches (spec cache, user loader) so both runs compare alike
    with counting(app) as statements:
        response = client.get(path)
    assert response.status_code == 200
    return len(statements), response.text


@pytest.mark.slow
def test_inbox_queries_do_not_grow_with_rows(app, login, many_cases):
    chief = login("chief")  # the chief's list also offers each row's assignable people
    few, html = _queries(chief, app, f"/tasks?tab=team&sort=case&per_page={FEW}")
    assert _rows(html) == FEW
    many, html = _queries(chief, app, f"/tasks?tab=team&sort=case&per_page={MANY}")
    assert _rows(html) == MANY
    assert many == few, f"{few} queries for {FEW} rows but {many} for {MANY}"
    assert many <= 20

    sup = login("sup1")
    few, _html = _queries(sup, app, f"/tasks?tab=mine&per_page={FEW}")
    many, html = _queries(sup, app, f"/tasks?tab=mine&per_page={MANY}")
    assert _rows(html) == MANY // 2
    assert many == few


@pytest.mark.slow
def test_case_list_queries_do_not_grow_with_rows(app, login, many_cases):
    sup = login("sup1")
    few, _html = _queries(sup, app, "/cases?q=GY-000")  # 10 cases
    many, html = _queries(sup, app, "/cases")  # a full page of 25
    assert html.count('href="/cases/') >= 25
    assert many == few
