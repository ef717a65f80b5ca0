"""Cases (案件): the list, the case page with its live diagram and history, and the
actions on a case (comment, share, cancel, retry a failed step, download a file)."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from urllib.parse import quote

from flask import Blueprint
from flask import Response
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import or_
from sqlalchemy import select

from db.models import Attachment
from db.models import Document
from db.models import Incident
from db.models import Observation
from db.models import ProcessDefinition
from db.models import ProcessInstance
from supervision import attachments
from supervision import audit
from supervision import authz
from supervision import cases
from supervision import clock
from supervision import identity
from supervision import inbox
from supervision.permissions import Permission
from web import case_view
from web import current_engine
from web.database import get_session
from web.database import retry_on_conflict
from web.forms import page_number
from web.lookups import bureaus
from web.lookups import display_names
from web.lookups import group_names
from web.lookups import process_names
from web.lookups import share_targets
from web.security import acting_user
from web.security import require

bp = Blueprint("cases", __name__)

PER_PAGE = 25
OBSERVATION_STATUS = {
    "submitted": ("已提交", "Submitted"),
    "triaged": ("已研判", "Assessed"),
    "replied": ("已反馈", "Feedback given"),
    "closed": ("已办结", "Closed"),
}


@bp.get("/cases")
@require(Permission.CASE_READ)
def index():
    session = get_session()
    user = acting_user()
    status = (
        request.args.get("status")
        if request.args.get("status") in case_view.STATUS_LABELS
        else None
    )
    page = cases.list_cases(
        session,
        user,
        status=status,
        definition_key=(request.args.get("process") or "").strip() or None,
        search=(request.args.get("q") or "").strip()[:100] or None,
        bureau=(request.args.get("bureau") or "").strip() or None,
        page=page_number(request.args.get("page")),
        per_page=PER_PAGE,
    )
    page.pages = max(1, -(-page.total // page.per_page))
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "cases/index.html",
        page=page,
        rows=page.items,
        args=args,
        raw=request.args,
        processes=process_names(session),
        bureaus=bureaus(session),
        groups=group_names(session, [c.bureau_code for c in page.items]),
        status_labels=case_view.STATUS_LABELS,
        status_badges=case_view.STATUS_BADGES,
        case_status_label=case_view.case_status_label,
    )


def _case(case_id: str) -> ProcessInstance:
    """The case if this user may read it; the same 404 whether it is missing or hidden."""
    return cases.get_case(get_session(), acting_user(), str(case_id))


def _render(instance: ProcessInstance, *, share_error: str | None = None, status: int = 200):
    session = get_session()
    user = acting_user()
    engine = current_engine()
    definition = session.get(ProcessDefinition, instance.definition_id)
    open_tasks = cases.case_open_tasks(session, instance)
    events = case_view.audit_events(session, instance)
    activity_names = {t.task_spec_id: t.name for t in open_tasks}
    activity_names.update(
        {h.task_spec_id: h.name for h in cases.historic_tasks_for(session, instance)}
    )
    files = list(
        session.scalars(
            select(Attachment)
            .where(Attachment.instance_id == instance.id)
            .order_by(Attachment.uploaded_at)
        )
    )
    documents = list(
        session.scalars(
            select(Document)
            .where(Document.instance_id == instance.id)
            .order_by(Document.issued_at, Document.created_at)
        )
    )
    observations = []
    if authz.has(user, Permission.OBSERVATION_TRIAGE) or authz.has(user, Permission.CASE_SENSITIVE):
        observations = list(
            session.scalars(
                select(Observation)
                .where(
                    or_(
                        Observation.about_instance_id == instance.id,
                        Observation.instance_id == instance.id,
                    )
                )
                .order_by(Observation.created_at)
            )
        )
    viewer = case_view.audience(session, user, instance)
    document_files = {d.attachment_id for d in documents if d.attachment_id}
    files = [a for a in files if viewer.sees_attachment(a, document_files)]
    related = cases.related_cases(session, user, instance)
    incidents = cases.open_incidents(session, instance) if viewer.full else []
    notes = [c for c in cases.comments(session, instance) if viewer.sees_comment(c)]
    people = display_names(
        session,
        [instance.started_by]
        + [t.assignee for t in open_tasks]
        + [a.uploaded_by for a in files]
        + [c.username for c in notes]
        + [o.filed_by for o in observations],
    )
    now = clock.now()
    diagram = case_view.case_diagram(session, engine, instance)
    return render_template(
        "cases/show.html",
        instance=instance,
        definition=definition,
        v=instance.variables or {},
        open_tasks=open_tasks,
        alert_level=lambda t: inbox.alert_level(t, now),
        timeline=case_view.timeline(session, engine, instance, events, activity_names, viewer),
        viewer=viewer,
        diagram=diagram,
        files=files,
        documents=documents,
        observations=observations,
        observation_status=OBSERVATION_STATUS,
        related=related,
        relation_label=case_view.relation_label,
        incidents=incidents,
        comments=notes,
        people=people,
        groups=group_names(
            session,
            case_view.unit_codes(instance)
            + [g for t in open_tasks for g in (t.candidate_groups or [])]
            + [o.agency_code for o in observations],
        ),
        summary=case_view.summary(session, instance),
        may_see_personal=authz.can_see_personal(user, instance.variables),
        status_label=case_view.status_label(instance),
        status_badge=case_view.STATUS_BADGES.get(instance.status, "grey"),
        case_status_label=case_view.case_status_label(instance.case_status),
        can_cancel=authz.has(user, Permission.CASE_CANCEL) and instance.status == "active",
        can_share=authz.has(user, Permission.CASE_SHARE),
        can_retry=authz.has(user, Permission.INCIDENT_RETRY),
        share_groups=share_targets(session) if authz.has(user, Permission.CASE_SHARE) else [],
        share_error=share_error,
    ), status


@bp.get("/cases/<case_id>")
@login_required
def show(case_id: str):
    return _render(_case(case_id))


@bp.post("/cases/<case_id>/personal")
@login_required
@retry_on_conflict
def personal(case_id: str):
    """Show the complainant's data in full, to those allowed, and record that they looked."""
    session = get_session()
    user = acting_user()
    instance = _case(case_id)
    if not authz.can_see_personal(user, instance.variables):
        abort(403)
    values = case_view.personal_values(instance)
    audit.append(
        session,
        "personal_data_view",
        actor=user.username,
        instance_id=instance.id,
        details={"fields": [label for label, _value in values]},
    )
    return render_template("cases/personal.html", instance=instance, values=values)


@bp.post("/cases/<case_id>/comments")
@login_required
@retry_on_conflict
def comment(case_id: str):
    instance = _case(case_id)
    cases.add_comment(get_session(), acting_user(), instance, request.form.get("message", ""))
    flash(_("评论已添加。"), "success")
    return redirect(url_for("cases.show", case_id=instance.id, _anchor="comments"))


@bp.post("/cases/<case_id>/cancel")
@require(Permission.CASE_CANCEL)
@retry_on_conflict
def cancel(case_id: str):
    instance = _case(case_id)
    cases.cancel_case(
        get_session(), current_engine(), acting_user(), instance, request.form.get("reason", "")
    )
    flash(_("案件已撤销。"), "success")
    return redirect(url_for("cases.show", case_id=instance.id))


def _expiry(raw: str) -> datetime | None:
    day = date.fromisoformat(raw)
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=clock.LOCAL_TZ)


@bp.post("/cases/<case_id>/share")
@require(Permission.CASE_SHARE)
@retry_on_conflict
def share(case_id: str):
    session = get_session()
    instance = _case(case_id)
    target = (request.form.get("target") or "").strip()
    kind, _sep, code = target.partition(":")
    raw_expiry = (request.form.get("expires_on") or "").strip()
    if kind == "group" and identity.get_group(session, code) is not None:
        group_code, username = code, None
    elif kind == "user" and identity.get_user(session, code) is not None:
        group_code, username = None, code
    else:
        return _render(instance, share_error=_("请选择要共享的单位"), status=400)
    try:
        expires_at = _expiry(raw_expiry) if raw_expiry else None
    except ValueError:
        return _render(instance, share_error=_("日期格式应为 YYYY-MM-DD"), status=400)
    if expires_at is not None and expires_at <= clock.now():
        return _render(instance, share_error=_("截止日期必须晚于今天"), status=400)
    cases.share_case(
        session,
        acting_user(),
        instance,
        username=username,
        group_code=group_code,
        expires_at=expires_at,
        reason="shared",
    )
    name = group_names(session, [group_code]).get(group_code) if group_code else username
    flash(_("案件已共享给 %(name)s。", name=name), "success")
    return redirect(url_for("cases.show", case_id=instance.id))


@bp.post("/cases/<case_id>/incidents/<int:incident_id>/retry")
@require(Permission.INCIDENT_RETRY)
@retry_on_conflict
def retry(case_id: str, incident_id: int):
    session = get_session()
    instance = _case(case_id)
    incident = session.get(Incident, incident_id)
    if incident is None or incident.instance_id != instance.id:
        abort(404)
    cases.retry_incident(session, current_engine(), acting_user(), incident_id)
    flash(_("已重试出错的步骤。"), "success")
    return redirect(url_for("cases.show", case_id=instance.id))


@bp.get("/attachments/<attachment_id>")
@login_required
def attachment(attachment_id: str):
    """A file of a case, to whoever may read the case; always as a download."""
    session = get_session()
    row = session.get(Attachment, str(attachment_id))
    instance = session.get(ProcessInstance, row.instance_id) if row is not None else None
    if instance is None or not authz.can_read_case(session, acting_user(), instance):
        abort(404)
    viewer = case_view.audience(session, acting_user(), instance)
    if not viewer.sees_attachment(row, case_view.document_file_ids(session, instance)):
        abort(404)
    data = attachments.read(row)
    ascii_name = row.filename.encode("ascii", "replace").decode().replace('"', "_")
    response = Response(data, mimetype=row.content_type)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(row.filename)}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
