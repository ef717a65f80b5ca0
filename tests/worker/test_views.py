"""The notifications list, the operations page and /metrics: who may see what, what the
page shows, and what the buttons change in the database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from db.models import AuditEvent
from db.models import Incident
from db.models import Notification
from db.models import OutboxMessage
from supervision import clock
from supervision import notifications
from supervision import outbox
from tests.factories import PASSWORD
from tests.factories import user
from tests.worker.conftest import local
from tests.worker.conftest import start
from tests.worker.conftest import tick_at

NOON = local(2026, 3, 2, 12, 0)


def _app(rt, **config):
    from web import create_app

    app = create_app(
        {
            "DATABASE_URL": rt.url,
            "SECRET_KEY": "worker-view-tests",
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            **config,
        }
    )
    app.extensions["supervision.engine"] = rt.engine
    return app


@pytest.fixture
def app(deployed):
    app = _app(deployed)
    yield app
    app.extensions["db.engine"].dispose()


def client(app, username=None, headers=None):
    http = app.test_client()
    if username:
        response = http.post(
            "/login", data={"username": username, "password": PASSWORD}, headers=headers or {}
        )
        assert response.status_code == 302, username
    return http


def _notice(rt, username, title, dedupe, kind="notice", data=None, instance_id=None):
    with rt.sessions.begin() as s:
        (row,) = notifications.notify(
            s,
            [user(s, username)],
            kind=kind,
            title=title,
            body="正文",
            dedupe=dedupe,
            data=data,
            instance_id=instance_id,
        )
        return row.id


def _read_at(rt, notification_id):
    with rt.sessions() as s:
        return s.get(Notification, notification_id).read_at


# ---------------------------------------------------------------- notifications


def test_people_see_and_mark_only_their_own_notifications(deployed, app):
    rt = deployed
    clock.freeze(NOON)
    mine = _notice(rt, "sup1", "给sup1的通知", "a")
    other = _notice(rt, "sup2", "给sup2的通知", "b")
    http = client(app, "sup1")
    page = http.get("/notifications/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "给sup1的通知" in text and "给sup2的通知" not in text
    assert http.get("/notifications/count").get_json() == {"unread": 1}
    # Someone else's id changes nothing (and says nothing about it).
    response = http.post("/notifications/read", data={"id": str(other)})
    assert response.status_code == 302
    assert _read_at(rt, other) is None
    http.post("/notifications/read", data={"id": str(mine)})
    assert _read_at(rt, mine) is not None
    assert http.get("/notifications/count").get_json() == {"unread": 0}
    assert "给sup1的通知" not in http.get("/notifications/?show=unread").get_data(as_text=True)


def test_read_all_marks_every_own_unread(deployed, app):
    rt = deployed
    clock.freeze(NOON)
    ids = [_notice(rt, "sup1", f"第{i}条", f"n{i}") for i in range(3)]
    theirs = _notice(rt, "sup2", "别人的", "x")
    response = client(app, "sup1").post("/notifications/read-all")
    assert response.status_code == 302
    assert all(_read_at(rt, i) is not None for i in ids)
    assert _read_at(rt, theirs) is None


def test_alert_notices_are_shown_in_the_readers_language(deployed, app):
    rt = deployed
    clock.freeze(NOON)
    data = {
        "task_name": "核查并回复",
        "case_no": "JD-510800-2026-TS-00012",
        "case_title": "乱检查投诉",
        "due_at": "2026-03-13T15:59:59+00:00",
    }
    title, body = notifications.alert_text(notifications.OVERDUE, data, "zh")
    _notice(rt, "sup1", title, "alert", kind=notifications.OVERDUE, data=data)
    http = client(app, "sup1")
    assert "【红牌】核查并回复已逾期" in http.get("/notifications/").get_data(as_text=True)
    assert http.post("/lang", data={"lang": "en"}).status_code == 302
    english = http.get("/notifications/").get_data(as_text=True)
    assert "[Red card] 核查并回复 is overdue" in english
    assert "Red card" in english and "Mark as read" in english


def test_strangers_are_sent_to_log_in_and_forms_need_the_csrf_token(deployed):
    rt = deployed
    clock.freeze(NOON)
    mine = _notice(rt, "sup1", "通知", "a")
    anonymous = client(_app(rt))
    assert anonymous.get("/notifications/").status_code == 302
    assert anonymous.post("/notifications/read-all").status_code == 302
    strict = _app(rt, WTF_CSRF_ENABLED=True)
    http = client(strict)
    login_page = http.get("/login").get_data(as_text=True)
    token = login_page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    http.post("/login", data={"username": "sup1", "password": PASSWORD, "csrf_token": token})
    assert http.post("/notifications/read", data={"id": str(mine)}).status_code == 400
    assert _read_at(rt, mine) is None
    strict.extensions["db.engine"].dispose()


# ---------------------------------------------------------------- operations page


def test_the_operations_page_is_for_administrators(deployed, app):
    for username in ("sup1", "chief", "designer", "market1"):
        assert client(app, username).get("/admin/operations").status_code == 403
    assert client(app).get("/admin/operations").status_code == 302
    assert client(app, "admin").get("/admin/operations").status_code == 200


def test_the_page_shows_lag_workers_incidents_and_the_outbox(deployed, app, worker):
    rt = deployed
    tick_at(worker, NOON)
    start(rt, "failing_timer")
    waiting = start(rt, "wake_up", wake_at="2026-03-02T12:30:00+08:00", case_title="等待")
    with rt.sessions.begin() as s:
        outbox.enqueue(s, channel="sms", recipient="13912345521", subject="催办", dedupe_key="x")
        s.scalars(select(OutboxMessage)).one().dead_at = clock.now()
    tick_at(worker, NOON + timedelta(hours=1))  # the failing case fires: an incident
    clock.freeze(NOON + timedelta(hours=1, minutes=20))
    with rt.sessions.begin() as s:  # a second case due 20 minutes ago, not yet fired
        from db.models import ProcessInstance

        s.get(ProcessInstance, waiting).next_timer_at = NOON + timedelta(hours=1)
    http = client(app, "admin")
    text = http.get("/admin/operations").get_data(as_text=True)
    assert 'data-status="critical"' in text  # 20 minutes late and no worker running now
    assert 'data-problem="lagging"' in text or 'data-problem="no_worker"' in text
    assert 'data-kpi="timers_due">1<' in text
    assert 'data-kpi="incidents">1<' in text
    assert f'data-worker="{worker.id}"' in text
    assert "139****5521" in text and "13912345521" not in text  # phone masked
    assert 'data-problem="outbox_dead"' in text
    summary = http.get("/admin/operations", headers={"Accept": "application/json"}).get_json()
    assert summary["timers_due"] == 1 and summary["lag_seconds"] == 1200
    assert summary["outbox"] == {"sms": {"pending": 0, "failing": 0, "dead": 1}}


def test_retry_an_incident_and_requeue_a_message_from_the_page(deployed, app, worker):
    rt = deployed
    tick_at(worker, NOON)
    start(rt, "failing_timer")
    tick_at(worker, NOON + timedelta(hours=1))
    with rt.sessions() as s:
        incident = s.scalars(select(Incident)).one()
    with rt.sessions.begin() as s:
        row = outbox.enqueue(s, channel="email", recipient="a@b.example", dedupe_key="m1")
        row.dead_at = clock.now()
        row.attempts = 12
        message_id = row.id
    http = client(app, "admin")
    assert http.post(f"/admin/operations/incidents/{incident.id}/retry").status_code == 302
    with rt.sessions() as s:
        assert s.get(Incident, incident.id).resolved_at is not None
        assert s.scalar(select(AuditEvent.action).where(AuditEvent.action == "retry")) == "retry"
    assert http.post("/admin/operations/outbox/requeue", data={"id": message_id}).status_code == 302
    with rt.sessions() as s:
        row = s.get(OutboxMessage, message_id)
        assert (row.dead_at, row.attempts) == (None, 0)
    # Unknown ids are answered on the page, not with an error.
    assert http.post("/admin/operations/outbox/requeue", data={"id": "999"}).status_code == 302
    assert http.post("/admin/operations/incidents/999/retry").status_code == 302
    # Not for a designer, although designers may retry incidents on cases they see.
    assert client(app, "designer").post("/admin/operations/outbox/requeue").status_code == 403


# ---------------------------------------------------------------- /metrics


def test_metrics_from_this_machine(deployed, app, worker):
    rt = deployed
    tick_at(worker, NOON)
    start(rt, "wake_up", wake_at="2026-03-02T12:30:00+08:00", case_title="等待")
    clock.freeze(NOON + timedelta(hours=1))
    response = client(app).get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert "supervision_timers_due 1.0" in text
    assert "supervision_timer_lag_seconds 1800.0" in text
    assert "supervision_incidents_open 0.0" in text
    assert 'supervision_worker_ticks_total{host="' in text and worker.id in text
    # Through a proxy the request is not local: refused.
    proxied = client(app).get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert proxied.status_code == 403
    # A logged-in administrator may always look, from wherever.
    away = {"X-Forwarded-For": "203.0.113.9"}
    assert client(app, "admin", headers=away).get("/metrics", headers=away).status_code == 200
    assert client(app, "sup1", headers=away).get("/metrics", headers=away).status_code == 403


def test_metrics_with_a_token(deployed):
    app = _app(deployed, METRICS_TOKEN="scrape-me")
    http = client(app)
    refused = http.get("/metrics")
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert http.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    ok = http.get("/metrics", headers={"Authorization": "Bearer scrape-me", "X-Real-IP": "x"})
    assert ok.status_code == 200 and b"supervision_workers_alive" in ok.data
    app.extensions["db.engine"].dispose()
