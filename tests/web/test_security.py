"""CSRF on every form, login rate limiting (also behind a proxy), and the page headers."""

from __future__ import annotations

import re

import pytest

from supervision import clock
from tests.factories import PASSWORD
from tests.web.scenario import NOW
from tests.web.scenario import deploy_review
from tests.web.scenario import open_task
from tests.web.scenario import start_review


def _app(runtime, **config):
    from web import create_app

    app = create_app(
        {"DATABASE_URL": runtime.url, "SECRET_KEY": "security-tests", "TESTING": True, **config}
    )
    app.extensions["supervision.engine"] = runtime.engine
    return app


@pytest.fixture
def csrf_app(app, runtime):
    """The same organisation, with CSRF protection switched on as in production."""
    protected = _app(runtime)
    yield protected
    protected.extensions["db.engine"].dispose()


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_every_form_needs_the_csrf_token(csrf_app, runtime):
    clock.freeze(NOW)
    with runtime.sessions.begin() as session:
        deploy_review(session, runtime.engine)
        case_id = start_review(session, runtime.engine)
        task_id = open_task(session, case_id, "register").id
    client = csrf_app.test_client()
    refused = client.post("/login", data={"username": "sup1", "password": PASSWORD})
    assert refused.status_code == 400
    assert "页面已过期" in refused.text

    token = _token(client.get("/login").text)
    login = client.post(
        "/login", data={"username": "sup1", "password": PASSWORD, "csrf_token": token}
    )
    assert login.status_code == 302

    forged = client.post(f"/tasks/{task_id}/claim")
    assert forged.status_code == 400
    with runtime.sessions() as session:
        assert open_task(session, case_id, "register").assignee is None

    page = client.get(f"/tasks/{task_id}")
    forms = re.findall(r'<form method="post".*?</form>', page.text, re.S)
    assert forms and all('name="csrf_token"' in f for f in forms)
    claimed = client.post(f"/tasks/{task_id}/claim", data={"csrf_token": _token(page.text)})
    assert claimed.status_code == 302
    with runtime.sessions() as session:
        assert open_task(session, case_id, "register").assignee == "sup1"


def test_repeated_failed_logins_are_blocked_even_with_the_right_password(client):
    for _ in range(5):
        assert (
            client.post("/login", data={"username": "sup1", "password": "nope"}).status_code == 401
        )
    blocked = client.post("/login", data={"username": "sup1", "password": PASSWORD})
    assert blocked.status_code == 429
    assert "登录失败次数过多" in blocked.text
    assert client.post("/login", data={"username": "sup2", "password": PASSWORD}).status_code == 302


def test_behind_a_trusted_proxy_failures_count_per_client(app, runtime):
    def attempts(flask_app, forwarded_for: str, username: str, times: int) -> int:
        client = flask_app.test_client()
        status = 0
        for _ in range(times):
            status = client.post(
                "/login",
                data={"username": username, "password": "nope"},
                headers={"X-Forwarded-For": forwarded_for},
            ).status_code
        return status

    proxied = _app(runtime, WTF_CSRF_ENABLED=False, TRUSTED_PROXIES=1)
    direct = _app(runtime, WTF_CSRF_ENABLED=False)
    try:
        # 20 failures from one address block that address (for every user name) ...
        for n in range(4):
            attempts(proxied, "203.0.113.7", f"nobody{n}", 5)
        assert attempts(proxied, "203.0.113.7", "someone", 1) == 429
        # ... but not the other clients behind the same proxy,
        assert attempts(proxied, "198.51.100.9", "someone", 1) == 401
        # and without a trusted proxy the header is ignored (it could be forged).
        for n in range(4):
            attempts(direct, f"192.0.2.{n}", f"other{n}", 5)
        assert attempts(direct, "192.0.2.200", "someone-else", 1) == 429
    finally:
        proxied.extensions["db.engine"].dispose()
        direct.extensions["db.engine"].dispose()


def test_pages_carry_security_headers(login):
    page = login("sup1").get("/tasks")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Cache-Control"] == "no-store"
    assert "<script>" not in page.text  # no inline script: the CSP would refuse it


def test_logout_ends_the_session(login):
    sup = login("sup1")
    assert sup.get("/tasks").status_code == 200
    assert sup.post("/logout").status_code == 302
    again = sup.get("/tasks")
    assert again.status_code == 302
    assert again.headers["Location"].startswith("/login?next=")


def test_login_returns_only_to_pages_of_this_site(client):
    for target, expected in (
        ("/cases", "/cases"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
    ):
        response = client.post(
            "/login?next=" + target, data={"username": "sup1", "password": PASSWORD}
        )
        assert response.headers["Location"] == expected, target
        client.post("/logout")
