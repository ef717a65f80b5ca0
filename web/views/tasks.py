"""The inbox (任务) and the task page: claim, unclaim, assign, fill in the form, complete.

Every action goes through the case services, which check the user against the task
(assignee, candidate group, chief of the group or region) on the server; the page only
offers what those checks would allow.
"""

from __future__ import annotations

from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta

from flask import Blueprint
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from db.models import HistoricTask
from db.models import OpenTask
from db.models import ProcessInstance
from supervision import attachments
from supervision import authz
from supervision import cases
from supervision import clock
from supervision import inbox
from supervision.errors import FormInvalidError
from supervision.errors import InvalidInputError
from supervision.errors import TaskAlreadyClaimedError
from supervision.errors import TaskNotOpenError
from supervision.permissions import Permission
from web import current_engine
from web.database import get_session
from web.database import retry_on_conflict
from web.forms import page_number
from web.forms import submitted_values
from web.i18n import lang
from web.i18n import localized
from web.lookups import assignable_users
from web.lookups import bureaus
from web.lookups import display_names
from web.lookups import group_names
from web.lookups import process_names
from web.security import acting_user
from web.security import require
from web.task_page import task_page_context
from web.views.auth import safe_next

bp = Blueprint("tasks", __name__, url_prefix="/tasks")

TAB_LABELS = {
    "mine": _l("我的任务"),
    "group": _l("待签收"),
    "team": _l("本组全部"),
    "done": _l("我已办"),
}
SORT_LABELS = {
    "due": _l("截止时间（最早在前）"),
    "-due": _l("截止时间（最晚在前）"),
    "-created": _l("创建时间（最新在前）"),
    "created": _l("创建时间（最早在前）"),
    "priority": _l("优先级"),
    "case": _l("案件编号"),
    "name": _l("任务名称"),
}
PER_PAGE = (10, 25, 50, 100, 200)


def _tabs(user) -> list[str]:
    tabs = ["mine", "group"]
    if authz.has(user, Permission.TASK_ASSIGN):
        tabs.append("team")
    tabs.append("done")
    return tabs


def _day_end(day: date) -> datetime:
    """The last moment of a day in Guangyuan, in UTC."""
    start_next = datetime.combine(day + timedelta(days=1), time(0), tzinfo=clock.LOCAL_TZ)
    return start_next - timedelta(microseconds=1)


def _filters(args) -> tuple[inbox.TaskFilters, dict[str, str]]:
    errors: dict[str, str] = {}
    due_before = None
    raw_due = (args.get("due_before") or "").strip()
    if raw_due:
        try:
            due_before = _day_end(date.fromisoformat(raw_due))
        except ValueError:
            errors["due_before"] = _("日期格式应为 YYYY-MM-DD")
    filters = inbox.TaskFilters(
        process=(args.get("process") or "").strip() or None,
        case_no=(args.get("case_no") or "").strip()[:64] or None,
        bureau=(args.get("bureau") or "").strip() or None,
        due_before=due_before,
        overdue=args.get("overdue") in ("1", "true", "on"),
    )
    return filters, errors


@bp.get("", endpoint="inbox")
@require(Permission.TASK_WORK)
def inbox_page():
    session = get_session()
    user = acting_user()
    counts = inbox.counts(session, user)
    tabs = _tabs(user)
    tab = request.args.get("tab") or ("mine" if counts["mine"] or not counts["group"] else "group")
    if tab not in tabs:
        abort(404)
    filters, filter_errors = _filters(request.args)
    sort = request.args.get("sort") if request.args.get("sort") in SORT_LABELS else "due"
    try:
        per_page = int(request.args.get("per_page") or 25)
    except ValueError:
        per_page = 25
    per_page = per_page if per_page in PER_PAGE else 25
    page = inbox.list_tasks(
        session,
        user,
        tab=tab,
        filters=filters,
        sort=sort,
        page=page_number(request.args.get("page")),
        per_page=per_page,
    )
    now = clock.now()
    rows = page.items
    if tab == "done":
        people = display_names(session, [t.assignee for t in rows])
        groups = group_names(session, [])
        candidates: dict = {}
    else:
        people = display_names(session, [t.assignee for t in rows])
        groups = group_names(
            session,
            [g for t in rows for g in (t.candidate_groups or [])] + [t.bureau_code for t in rows],
        )
        assigners = [t for t in rows if authz.can_assign(user, t)]
        candidates = assignable_users(session, assigners) if assigners else {}
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "tasks/inbox.html",
        tab=tab,
        tabs=[(t, TAB_LABELS[t], inbox.badge(counts.get(t, 0))) for t in tabs],
        counts=counts,
        badge=inbox.badge,
        page=page,
        rows=rows,
        now=now,
        alert_level=lambda t: inbox.alert_level(t, now),
        people=people,
        groups=groups,
        candidates=candidates,
        processes=process_names(session),
        bureaus=bureaus(session),
        filters=filters,
        filter_errors=filter_errors,
        raw=request.args,
        sort=sort,
        sorts=SORT_LABELS,
        per_page=per_page,
        per_page_options=PER_PAGE,
        args=args,
        can_claim=lambda t: authz.can_claim(user, t),
        can_unclaim=lambda t: authz.can_unclaim(user, t),
        can_assign=lambda t: authz.can_assign(user, t),
    )


# ---------------------------------------------------------------- the task page


def _gone(task_id: str):
    """The task is no longer open: show its case if the user may read it, else "not found".

    A completed task's id must not tell a stranger that it exists.
    """
    session = get_session()
    historic = session.get(HistoricTask, str(task_id))
    instance = session.get(ProcessInstance, historic.instance_id) if historic else None
    if instance is None or not authz.can_read_case(session, acting_user(), instance):
        abort(404)
    return instance


@bp.get("/<task_id>")
@require(Permission.TASK_WORK)
def show(task_id: str):
    try:
        task = _visible(task_id)
    except TaskNotOpenError:
        instance = _gone(task_id)
        flash(_("此任务已办理完毕。"), "info")
        return redirect(url_for("cases.show", case_id=instance.id))
    return _render(task)


def _render(task: OpenTask, *, errors=None, values=None, upload_error=None, status: int = 200):
    session = get_session()
    user = acting_user()
    engine = current_engine()
    context = task_page_context(
        session, engine, user, task, errors=errors, values=values, upload_error=upload_error
    )
    return render_template("tasks/task.html", **context), status


def _back(task_id: str):
    return redirect(safe_next(request.form.get("next"), url_for("tasks.show", task_id=task_id)))


def _visible(task_id: str) -> OpenTask:
    """The open task if this user may see it, else 404 (hidden and missing look the same).

    Candidates, assignees and chiefs see a task; supervision staff who may read the case
    see all its tasks; a bureau or outside user who reads the case does not see the
    supervisors' internal steps.
    """
    session = get_session()
    user = acting_user()
    task = cases.visible_task(session, user, task_id)
    if not (authz.can_see_task(user, task) or authz.has(user, Permission.CASE_SENSITIVE)):
        abort(404)
    return task


def _guard(task_id: str) -> OpenTask:
    """The open task if this user may see it; 404 if not; 409 (clear message) if it closed."""
    try:
        return _visible(task_id)
    except TaskNotOpenError:
        _gone(task_id)
        raise


def _not_held_by_another(task: OpenTask) -> None:
    """Someone else holds the task: say who, by name (the service would say it by login)."""
    user = acting_user()
    if task.assignee and task.assignee != user.username and authz.is_candidate(user, task):
        name = display_names(get_session(), [task.assignee])[task.assignee]
        raise TaskAlreadyClaimedError(
            _("此任务已由 %(name)s 签收，您不能再签收或办理。", name=name)
        )


@bp.post("/<task_id>/claim")
@require(Permission.TASK_WORK)
@retry_on_conflict
def claim(task_id: str):
    _not_held_by_another(_guard(task_id))
    task = cases.claim_task(get_session(), acting_user(), task_id)
    flash(_("已签收任务「%(name)s」。", name=task.name), "success")
    return _back(task_id)


@bp.post("/<task_id>/unclaim")
@require(Permission.TASK_WORK)
@retry_on_conflict
def unclaim(task_id: str):
    _guard(task_id)
    task = cases.unclaim_task(get_session(), acting_user(), task_id)
    flash(_("任务「%(name)s」已退回待签收。", name=task.name), "success")
    return _back(task_id)


@bp.post("/<task_id>/assign")
@require(Permission.TASK_ASSIGN)
@retry_on_conflict
def assign(task_id: str):
    _guard(task_id)
    session = get_session()
    username = (request.form.get("assignee") or "").strip()
    if not username:
        # Taking a task back from its holder is "unclaim"; here a person must be chosen.
        raise InvalidInputError(_("请选择要分派给谁。"))
    task = cases.assign_task(session, acting_user(), task_id, username)
    name = display_names(session, [username]).get(username, username)
    flash(_("任务「%(task)s」已分派给 %(name)s。", task=task.name, name=name), "success")
    return _back(task_id)


@bp.post("/<task_id>/complete")
@require(Permission.TASK_WORK)
@retry_on_conflict
def complete(task_id: str):
    session = get_session()
    user = acting_user()
    engine = current_engine()
    task = _guard(task_id)
    _not_held_by_another(task)
    form = cases.task_form(session, engine, task)
    values = submitted_values(form, request.form)
    name = task.name
    instance_id = task.instance_id
    try:
        result = cases.complete_task(session, engine, user, task_id, values, lang=lang())
    except FormInvalidError as exc:
        return _render(task, errors=exc.errors, values=values, status=422)
    flash(_("任务「%(name)s」已完成。", name=name), "success")
    follow = _next_task(result.created_task_ids, user)
    if follow is not None:
        flash(_("下一步「%(name)s」也由您办理。", name=follow.name), "info")
        return redirect(url_for("tasks.show", task_id=follow.id))
    if request.form.get("then") == "case":
        return redirect(url_for("cases.show", case_id=instance_id))
    return redirect(url_for("tasks.inbox"))


def _next_task(task_ids: list[str], user) -> OpenTask | None:
    """A task the completion created that this same user is to do next (assigned to them)."""
    session = get_session()
    for task_id in task_ids:
        task = session.get(OpenTask, task_id)
        if task is not None and task.assignee == user.username:
            return task
    return None


@bp.post("/<task_id>/comments")
@require(Permission.TASK_WORK)
@retry_on_conflict
def comment(task_id: str):
    session = get_session()
    task = _guard(task_id)
    instance = session.get(ProcessInstance, task.instance_id)
    cases.add_comment(session, acting_user(), instance, request.form.get("message", ""), task.id)
    flash(_("评论已添加。"), "success")
    return redirect(url_for("tasks.show", task_id=task_id, _anchor="comments"))


@bp.post("/<task_id>/attachments")
@require(Permission.TASK_WORK)
@retry_on_conflict
def upload(task_id: str):
    from flask import current_app

    session = get_session()
    user = acting_user()
    task = _guard(task_id)
    if not authz.can_complete(user, task):
        abort(403)
    files = [f for f in request.files.getlist("file") if f and f.filename]
    if not files:
        return _render(task, upload_error=_("请选择要上传的文件。"), status=400)
    instance = session.get(ProcessInstance, task.instance_id)
    limit = current_app.config.get("ATTACHMENT_MAX_BYTES", attachments.MAX_BYTES)
    uploads = [
        attachments.Upload(item.filename, item.read(limit + 1), item.mimetype) for item in files
    ]
    try:
        # Check every file before storing any: one bad file leaves nothing behind.
        for upload_ in uploads:
            attachments.check_upload(upload_, limit)
    except InvalidInputError as exc:
        return _render(task, upload_error=localized(exc.message), status=400)
    stored = [
        attachments.store(
            session, instance, upload_, actor=user.username, task_id=task.id, max_bytes=limit
        )
        for upload_ in uploads
    ]
    flash(
        _("已上传：%(names)s", names="、".join(a.filename for a in stored)),
        "success",
    )
    return redirect(url_for("tasks.show", task_id=task_id, _anchor="attachments"))
