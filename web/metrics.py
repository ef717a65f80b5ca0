"""Prometheus metrics at /metrics, computed from the database at each scrape.

Any web process answers for every worker: the figures come from supervision.health
(heartbeats, the indexed timer column, incidents, the outbox), not from process memory.
Who may scrape: with SUPERVISION_METRICS_TOKEN set, a request with
"Authorization: Bearer <token>"; without it, requests from this machine that did not
come through a proxy (no X-Forwarded-For / Forwarded / X-Real-IP). A logged-in
administrator may always look.
"""

from __future__ import annotations

import hmac
import ipaddress
import os

from flask import current_app
from flask import request
from flask_login import current_user
from prometheus_client import CollectorRegistry
from prometheus_client import generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from supervision import authz
from supervision import health
from supervision.permissions import Permission

PROXY_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")
STATUS_VALUES = {"ok": 0, "warning": 1, "critical": 2}
WORKER_COUNTERS = (
    ("ticks", "ticks", "Ticks done"),
    ("timers_fired", "timers_fired", "Cases whose due timers were fired"),
    ("timer_errors", "timer_errors", "Firings that failed outside the engine"),
    ("cases_started", "cases_started", "Cases started by timer start events"),
    ("outbox_sent", "outbox_sent", "Outbox messages sent"),
    ("outbox_failed", "outbox_failed", "Outbox sends that failed"),
    ("alerts_raised", "alerts_raised", "Alert notifications made"),
    ("messages_expired", "messages_expired", "Early messages dropped as expired"),
)


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


class HealthCollector:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def collect(self):
        with self.sessions() as session:
            r = health.report(session)
        yield _gauge(
            "supervision_health_status", "0 ok, 1 warning, 2 critical", STATUS_VALUES[r.status]
        )
        yield _gauge("supervision_timers_due", "Cases with a timer due now", r.timers_due)
        yield _gauge(
            "supervision_timer_lag_seconds",
            "How long the oldest due timer has waited",
            r.lag.total_seconds(),
        )
        yield _gauge(
            "supervision_timers_parked", "Cases left alone after failed firings", r.timers_parked
        )
        yield _gauge("supervision_incidents_open", "Unresolved incidents", r.incidents_open)
        yield _gauge(
            "supervision_pending_messages", "Early messages kept for cases", r.pending_messages
        )
        yield _gauge(
            "supervision_workers_alive", "Workers with a recent heartbeat", r.workers_alive
        )
        yield _gauge(
            "supervision_calendar_year_missing",
            "1 when this or (from November) next year's holidays are not entered",
            1 if r.calendar_warning else 0,
        )
        yield _gauge(
            "supervision_timer_start_errors",
            "Timer start events whose schedule cannot be computed",
            sum(1 for s in r.schedules if s.last_error),
        )
        yield from self._outbox(r)
        yield from self._workers(r)
        tasks = GaugeMetricFamily(
            "supervision_open_tasks_alert", "Open tasks by alert level", labels=["level"]
        )
        for level in ("yellow", "red", "escalated"):
            tasks.add_metric([level], r.alert_levels.get(level, 0))
        yield tasks

    @staticmethod
    def _outbox(r: health.Report):
        families = {
            "pending": GaugeMetricFamily(
                "supervision_outbox_pending", "Unsent outbox messages", labels=["channel"]
            ),
            "failing": GaugeMetricFamily(
                "supervision_outbox_failing",
                "Unsent outbox messages that failed at least once",
                labels=["channel"],
            ),
            "dead": GaugeMetricFamily(
                "supervision_outbox_dead", "Outbox messages given up on", labels=["channel"]
            ),
            "age": GaugeMetricFamily(
                "supervision_outbox_oldest_pending_seconds",
                "Age of the oldest unsent outbox message",
                labels=["channel"],
            ),
        }
        for backlog in r.outbox:
            label = [backlog.channel]
            families["pending"].add_metric(label, backlog.pending)
            families["failing"].add_metric(label, backlog.failing)
            families["dead"].add_metric(label, backlog.dead)
            age = (r.now - backlog.oldest_pending_at).total_seconds() if backlog.pending else 0
            families["age"].add_metric(label, max(age, 0.0))
        yield from families.values()

    @staticmethod
    def _workers(r: health.Report):
        running = [w for w in r.workers if w.row.stopped_at is None]
        silence = GaugeMetricFamily(
            "supervision_worker_heartbeat_age_seconds",
            "Seconds since the worker's last heartbeat",
            labels=["worker", "host"],
        )
        tick = GaugeMetricFamily(
            "supervision_worker_last_tick_milliseconds",
            "Duration of the worker's last tick",
            labels=["worker", "host"],
        )
        counters = {
            attr: CounterMetricFamily(f"supervision_worker_{name}", doc, labels=["worker", "host"])
            for attr, name, doc in WORKER_COUNTERS
        }
        for w in running:
            labels = [w.row.id, w.row.hostname]
            silence.add_metric(labels, w.silent_seconds)
            tick.add_metric(labels, w.row.last_tick_ms or 0)
            for attr, counter in counters.items():
                counter.add_metric(labels, getattr(w.row, attr) or 0)
        yield silence
        yield tick
        yield from counters.values()


def exposition(sessions: sessionmaker[Session]) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HealthCollector(sessions))
    return generate_latest(registry)


def _token() -> str | None:
    return current_app.config.get("METRICS_TOKEN") or os.environ.get("SUPERVISION_METRICS_TOKEN")


def allowed() -> bool:
    if getattr(current_user, "is_authenticated", False) and authz.has(
        current_user, Permission.ADMIN_SETTINGS
    ):
        return True
    token = _token()
    if token:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    if any(h in request.headers for h in PROXY_HEADERS):
        return False  # came through a proxy: the client is not on this machine
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def challenge() -> dict[str, str]:
    return {"WWW-Authenticate": 'Bearer realm="metrics"'} if _token() else {}
