"""运行监控: how the background work is doing, for administrators; /metrics for Prometheus.

The page shows the oldest overdue timer and the lag, parked cases, incidents (retryable
here), the outbox backlog per channel with dead messages (queued again here), early
messages kept, timer start schedules, the workers' heartbeats and the calendar warning.
"""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import flash
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from db.models import Incident
from supervision import cases
from supervision import health
from supervision import outbox
from supervision.channels.sms import mask_phone
from supervision.errors import NotFoundError
from supervision.permissions import Permission
from web import current_engine
from web import metrics
from web.database import get_session
from web.database import retry_on_conflict
from web.navigation import NavItem
from web.navigation import register
from web.security import acting_user
from web.security import require

bp = Blueprint("operations", __name__)
register(NavItem("operations.index", _l("运行"), (Permission.ADMIN_SETTINGS,), 75))

STATUS_LABELS = {"ok": _l("运行正常"), "warning": _l("需要关注"), "critical": _l("严重")}
STATUS_BADGES = {"ok": "green", "warning": "yellow", "critical": "red"}
PROBLEM_TEXTS = {
    "no_worker": _l("有到期的定时器，但没有正在运行的后台进程（worker）。"),
    "lagging": _l("定时器处理滞后：最早到期的定时器已等待超过 5 分钟。"),
    "parked": _l("有案件的定时器多次触发失败，已暂缓重试，请查看故障。"),
    "incidents": _l("有未处理的故障（流程步骤出错），请查看并重试。"),
    "outbox_dead": _l("有消息多次发送失败后已停止发送，请检查后重新发送。"),
    "timer_start_error": _l("有定时启动的流程无法计算启动时间。"),
    "calendar": _l("节假日安排未录入，涉及工作日的期限将无法计算。"),
}
KIND_LABELS = {"date": _l("指定时间"), "duration": _l("部署后一段时间"), "cycle": _l("周期")}


def recipient_label(channel: str, recipient: str) -> str:
    """Enough to recognise a message; a phone number is masked."""
    return mask_phone(recipient) if channel == "sms" else recipient


@bp.get("/admin/operations")
@require(Permission.ADMIN_SETTINGS)
def index():
    report = health.report(get_session())
    if request.accept_mimetypes.best == "application/json":
        return jsonify(_summary(report))
    return render_template(
        "operations/index.html",
        r=report,
        status_label=STATUS_LABELS[report.status],
        status_badge=STATUS_BADGES[report.status],
        problem_texts=PROBLEM_TEXTS,
        kind_labels=KIND_LABELS,
        recipient_label=recipient_label,
    )


def _summary(r: health.Report) -> dict:
    return {
        "status": r.status,
        "problems": r.problems,
        "timers_due": r.timers_due,
        "oldest_due_at": r.oldest_due_at.isoformat() if r.oldest_due_at else None,
        "lag_seconds": r.lag.total_seconds(),
        "timers_parked": r.timers_parked,
        "incidents_open": r.incidents_open,
        "workers_alive": r.workers_alive,
        "outbox": {
            b.channel: {"pending": b.pending, "failing": b.failing, "dead": b.dead}
            for b in r.outbox
        },
        "pending_messages": r.pending_messages,
    }


@bp.post("/admin/operations/incidents/<int:incident_id>/retry")
@require(Permission.ADMIN_SETTINGS, Permission.INCIDENT_RETRY)
@retry_on_conflict
def retry(incident_id: int):
    session = get_session()
    incident = session.get(Incident, incident_id)
    if incident is None or incident.resolved_at is not None:
        flash(_("故障不存在或已处理。"), "warning")
        return redirect(url_for("operations.index"))
    cases.retry_incident(session, current_engine(), acting_user(), incident_id)
    flash(_("已重试出错的步骤。"), "success")
    return redirect(url_for("operations.index"))


@bp.post("/admin/operations/outbox/requeue")
@require(Permission.ADMIN_SETTINGS)
def requeue():
    try:
        message_id = int(request.form.get("id", ""))
        outbox.requeue(get_session(), message_id, actor=acting_user().username)
    except (ValueError, NotFoundError):
        flash(_("消息不存在或已发送。"), "warning")
        return redirect(url_for("operations.index"))
    flash(_("消息已重新排队发送。"), "success")
    return redirect(url_for("operations.index"))


@bp.get("/metrics")
def prometheus():
    if not metrics.allowed():
        challenge = metrics.challenge()
        return Response("forbidden\n", status=401 if challenge else 403, headers=challenge)
    body = metrics.exposition(current_app.extensions["db.sessionmaker"])
    return Response(body, mimetype="text/plain; version=0.0.4; charset=utf-8")
