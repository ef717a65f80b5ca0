"""管理: users, groups, API tokens, the working-day calendar, settings and the audit check.

Each section needs its own administrator permission, checked here (`require`) and again
by supervision.admin; every change lands in the system audit trail. A refused form is
answered 422 with the errors next to the fields and the typed values kept.
"""

from __future__ import annotations

import json

from flask import Blueprint
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_login import login_required

from supervision import admin
from supervision import authz
from supervision import calendar
from supervision import clock
from supervision.errors import FormInvalidError
from supervision.identity import LEVELS
from supervision.permissions import Permission
from supervision.permissions import Role
from web.database import get_session
from web.forms import page_number
from web.i18n import lang
from web.i18n import localized
from web.security import acting_user
from web.security import require

bp = Blueprint("admin", __name__, url_prefix="/admin")

SECTIONS = [
    ("admin.users", _l("用户"), Permission.ADMIN_USERS),
    ("admin.groups", _l("单位"), Permission.ADMIN_GROUPS),
    ("admin.tokens", _l("API 令牌"), Permission.ADMIN_TOKENS),
    ("admin.calendar", _l("工作日历"), Permission.ADMIN_CALENDAR),
    ("admin.settings", _l("参数设置"), Permission.ADMIN_SETTINGS),
    ("admin.audit", _l("审计"), Permission.ADMIN_AUDIT),
]
KIND_LABELS = {
    "justice_bureau": _l("司法局"),
    "supervision": _l("行政执法监督机构"),
    "supervision_chief": _l("监督机构负责人"),
    "supervision_leader": _l("分管局领导"),
    "justice_office": _l("司法所"),
    "bureau": _l("行政执法机关"),
    "bureau_head": _l("执法机关负责人"),
    "vertical": _l("垂直管理机构"),
    "government": _l("人民政府"),
    "government_office": _l("政府办公室"),
    "hotline": _l("12345热线"),
    "invited_supervisor": _l("特邀行政执法监督员"),
    "evaluator": _l("第三方评估机构"),
    "discipline": _l("纪委监委"),
    "police": _l("公安机关"),
    "procuratorate": _l("检察院"),
    "external": _l("外部人员"),
    "section": _l("内设科室"),
}
LEVEL_LABELS = {
    "province": _l("省级"),
    "city": _l("市级"),
    "county": _l("县级"),
    "township": _l("乡镇（街道）"),
}
ACTION_LABELS = {
    "user_create": _l("创建用户"),
    "user_update": _l("修改用户信息"),
    "user_roles": _l("修改角色"),
    "user_groups": _l("修改所属单位"),
    "user_password": _l("重设密码"),
    "user_activate": _l("启用账号"),
    "user_deactivate": _l("停用账号"),
    "token_create": _l("签发令牌"),
    "token_revoke": _l("吊销令牌"),
    "group_create": _l("创建单位"),
    "group_update": _l("修改单位"),
    "group_activate": _l("启用单位"),
    "group_deactivate": _l("停用单位"),
    "calendar_year": _l("录入节假日安排"),
    "setting_change": _l("修改参数"),
    "setting_reset": _l("恢复参数默认值"),
    "deploy": _l("部署流程"),
    "undeploy": _l("删除部署"),
}
USER_STATES = {"active": _l("在用"), "inactive": _l("已停用"), "expired": _l("已过期")}


def _errors(exc: FormInvalidError) -> dict[str, str]:
    return {name: localized(message) for name, message in exc.errors.items()}


@bp.context_processor
def _admin_context():
    user = current_user if getattr(current_user, "is_authenticated", False) else None
    sections = [
        (endpoint, label)
        for endpoint, label, permission in SECTIONS
        if user is not None and authz.has(user, permission)
    ]
    return {
        "admin_sections": sections,
        "action_label": lambda code: str(ACTION_LABELS.get(code, code)),
        "audit_text": lambda details: json.dumps(details or {}, ensure_ascii=False),
        "holiday_label": lambda name: calendar.holiday_name_en(name) if lang() == "en" else name,
        "kind_labels": KIND_LABELS,
        "level_labels": LEVEL_LABELS,
        "all_roles": [r.value for r in Role],
    }


@bp.get("/")
@login_required
def index():
    user = acting_user()
    allowed = [(e, label) for e, label, p in SECTIONS if authz.has(user, p)]
    if not allowed:
        abort(403)
    session = get_session()
    warning = None
    if authz.has(user, Permission.ADMIN_CALENDAR):
        warning = calendar.missing_year_warning(session, clock.local_now().date())
    return render_template("admin/index.html", sections=allowed, calendar_warning=warning)


# ---------------------------------------------------------------- users


@bp.get("/users")
@require(Permission.ADMIN_USERS)
def users():
    session = get_session()
    args = request.args
    page = admin.list_users(
        session,
        acting_user(),
        search=args.get("q"),
        role=args.get("role") or None,
        group=args.get("group") or None,
        state=args.get("state") or None,
        page=page_number(args.get("page")),
    )
    groups = [g for g, _ in admin.list_groups(session, acting_user())] if _can_groups() else []
    filters = {k: v for k, v in args.items() if k != "page" and v}
    return render_template(
        "admin/users.html",
        page=page,
        groups=groups,
        filters=filters,
        states=USER_STATES,
        now=clock.now(),
    )


def _can_groups() -> bool:
    return authz.has(acting_user(), Permission.ADMIN_GROUPS)


def _group_choices():
    from sqlalchemy import select

    from db.models import Group

    # Memberships are part of the account form, so its author needs every unit listed
    # even without the permission to edit units.
    return list(
        get_session().scalars(select(Group).order_by(Group.region_code, Group.kind, Group.name))
    )


def _user_values(form) -> dict:
    return {
        "username": (form.get("username") or "").strip(),
        "display_name": form.get("display_name", ""),
        "email": form.get("email", ""),
        "phone": form.get("phone", ""),
        "valid_until": form.get("valid_until", ""),
        "roles": form.getlist("roles"),
        "groups": form.getlist("groups"),
    }


@bp.route("/users/new", methods=["GET", "POST"])
@require(Permission.ADMIN_USERS)
def user_new():
    values = {"roles": [], "groups": []}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = _user_values(request.form)
        try:
            user = admin.create_user(
                get_session(),
                acting_user(),
                username=values["username"],
                display_name=values["display_name"],
                email=values["email"],
                password=request.form.get("password", ""),
                password_again=request.form.get("password_again", ""),
                roles=values["roles"],
                groups=values["groups"],
                valid_until=values["valid_until"],
            )
        except FormInvalidError as exc:
            errors = _errors(exc)
        else:
            flash(_("已创建用户 %(name)s。", name=user.username), "success")
            return redirect(url_for("admin.user_edit", username=user.username))
    return render_template(
        "admin/user_form.html",
        account=None,
        values=values,
        errors=errors,
        group_choices=_group_choices(),
    ), (422 if errors else 200)


@bp.route("/users/<username>", methods=["GET", "POST"])
@require(Permission.ADMIN_USERS)
def user_edit(username: str):
    session = get_session()
    actor = acting_user()
    account = admin.get_user(session, actor, username)
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = _user_values(request.form)
        try:
            admin.update_user(
                session,
                actor,
                account,
                display_name=values["display_name"],
                email=values["email"],
                phone=values["phone"],
                roles=values["roles"],
                groups=values["groups"],
                valid_until=values["valid_until"],
            )
        except FormInvalidError as exc:
            errors = _errors(exc)
        else:
            flash(_("已保存。"), "success")
            return redirect(url_for("admin.user_edit", username=account.username))
    else:
        values = _account_values(account)
    return _user_page(account, values, errors)


def _account_values(account) -> dict:
    until = account.valid_until.astimezone(clock.LOCAL_TZ).date() if account.valid_until else None
    return {
        "username": account.username,
        "display_name": account.display_name,
        "email": account.email or "",
        "phone": account.phone or "",
        "valid_until": until.isoformat() if until else "",
        "roles": sorted(account.roles),
        "groups": sorted(account.group_codes),
    }


def _user_page(account, values, errors, *, new_token=None, status=None):
    session = get_session()
    actor = acting_user()
    tokens = (
        admin.tokens_of(session, actor, account)
        if authz.has(actor, Permission.ADMIN_TOKENS)
        else []
    )
    return render_template(
        "admin/user_form.html",
        account=account,
        values=values,
        errors=errors,
        group_choices=_group_choices(),
        tokens=tokens,
        new_token=new_token,
        is_self=account.id == actor.id,
        usable=authz.is_usable(account),
    ), (status or (422 if errors else 200))


@bp.post("/users/<username>/active")
@require(Permission.ADMIN_USERS)
def user_active(username: str):
    session = get_session()
    actor = acting_user()
    account = admin.get_user(session, actor, username)
    active = request.form.get("active") == "true"
    try:
        admin.set_user_active(session, actor, account, active)
    except FormInvalidError as exc:
        return _user_page(account, _account_values(account), _errors(exc))
    flash(_("账号已启用。") if active else _("账号已停用，该用户无法再登录。"), "success")
    return redirect(url_for("admin.user_edit", username=username))


@bp.post("/users/<username>/password")
@require(Permission.ADMIN_USERS)
def user_password(username: str):
    session = get_session()
    actor = acting_user()
    account = admin.get_user(session, actor, username)
    try:
        admin.reset_password(
            session,
            actor,
            account,
            request.form.get("password", ""),
            request.form.get("password_again", ""),
        )
    except FormInvalidError as exc:
        return _user_page(account, _account_values(account), _errors(exc))
    flash(_("已重设密码，请通过安全渠道告知本人。"), "success")
    return redirect(url_for("admin.user_edit", username=username))


@bp.post("/users/<username>/tokens")
@require(Permission.ADMIN_USERS, Permission.ADMIN_TOKENS)
def token_create(username: str):
    session = get_session()
    actor = acting_user()
    account = admin.get_user(session, actor, username)
    try:
        row, token = admin.create_token(
            session,
            actor,
            account,
            request.form.get("token_name", ""),
            request.form.get("token_expires"),
        )
    except FormInvalidError as exc:
        return _user_page(account, _account_values(account), _errors(exc))
    # Rendered, not redirected: the clear text must not travel through the session.
    session.flush()
    return _user_page(account, _account_values(account), {}, new_token=(row, token), status=201)


# ---------------------------------------------------------------- tokens


@bp.get("/tokens")
@require(Permission.ADMIN_TOKENS)
def tokens():
    rows = admin.tokens_of(get_session(), acting_user())
    return render_template("admin/tokens.html", tokens=rows, now=clock.now())


@bp.post("/tokens/<int:token_id>/revoke")
@require(Permission.ADMIN_TOKENS)
def token_revoke(token_id: int):
    row = admin.revoke_token(get_session(), acting_user(), token_id)
    flash(_("已吊销令牌 %(name)s。", name=row.name), "success")
    target = request.form.get("next")
    if target == "user":
        return redirect(url_for("admin.user_edit", username=row.user.username))
    return redirect(url_for("admin.tokens"))


# ---------------------------------------------------------------- groups


@bp.get("/groups")
@require(Permission.ADMIN_GROUPS)
def groups():
    rows = admin.list_groups(get_session(), acting_user())
    return render_template("admin/groups.html", rows=rows)


def _group_input(form) -> admin.GroupInput:
    return admin.GroupInput(
        name=form.get("name", ""),
        name_en=form.get("name_en"),
        kind=form.get("kind", ""),
        level=form.get("level", ""),
        region=(form.get("region") or "").strip(),
        doc_code=form.get("doc_code"),
        parent=form.get("parent") or None,
    )


@bp.route("/groups/new", methods=["GET", "POST"])
@require(Permission.ADMIN_GROUPS)
def group_new():
    session = get_session()
    errors: dict[str, str] = {}
    values = dict(request.form) if request.method == "POST" else {"kind": "bureau"}
    if request.method == "POST":
        try:
            group = admin.create_group(
                session, acting_user(), request.form.get("code", ""), _group_input(request.form)
            )
        except FormInvalidError as exc:
            errors = _errors(exc)
        else:
            flash(_("已创建单位 %(name)s。", name=group.name), "success")
            return redirect(url_for("admin.group_edit", code=group.code))
    return render_template(
        "admin/group_form.html",
        group=None,
        values=values,
        errors=errors,
        parents=_group_choices(),
        levels=LEVELS,
        members=[],
    ), (422 if errors else 200)


@bp.route("/groups/<code>", methods=["GET", "POST"])
@require(Permission.ADMIN_GROUPS)
def group_edit(code: str):
    from supervision.identity import group_members

    session = get_session()
    actor = acting_user()
    group = admin.get_group(session, actor, code)
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = dict(request.form)
        try:
            admin.update_group(session, actor, group, _group_input(request.form))
        except FormInvalidError as exc:
            errors = _errors(exc)
        else:
            flash(_("已保存。"), "success")
            return redirect(url_for("admin.group_edit", code=code))
    else:
        values = {
            "name": group.name,
            "name_en": group.name_en or "",
            "kind": group.kind,
            "level": group.level,
            "region": group.region_code,
            "doc_code": group.doc_code or "",
            "parent": group.parent.code if group.parent else "",
        }
    return render_template(
        "admin/group_form.html",
        group=group,
        values=values,
        errors=errors,
        parents=[g for g in _group_choices() if g.id != group.id],
        levels=LEVELS,
        members=group_members(session, code),
    ), (422 if errors else 200)


@bp.post("/groups/<code>/active")
@require(Permission.ADMIN_GROUPS)
def group_active(code: str):
    session = get_session()
    actor = acting_user()
    group = admin.get_group(session, actor, code)
    active = request.form.get("active") == "true"
    admin.set_group_active(session, actor, group, active)
    flash(_("单位已启用。") if active else _("单位已停用，不再出现在选择列表中。"), "success")
    return redirect(url_for("admin.group_edit", code=code))


# ---------------------------------------------------------------- calendar


@bp.get("/calendar", endpoint="calendar")
@require(Permission.ADMIN_CALENDAR)
def calendar_index():
    session = get_session()
    today = clock.local_now().date()
    years = admin.calendar_years(session, acting_user(), today)
    warning = calendar.missing_year_warning(session, today)
    return render_template("admin/calendar.html", years=years, warning=warning, today=today)


@bp.route("/calendar/<int:year>", methods=["GET", "POST"])
@require(Permission.ADMIN_CALENDAR)
def calendar_year(year: int):
    session = get_session()
    actor = acting_user()
    if not 2000 <= year <= 2100:
        abort(404)
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {
            "notice_no": request.form.get("notice_no", ""),
            "holidays": request.form.get("holidays", ""),
            "workdays": request.form.get("workdays", ""),
        }
        try:
            admin.set_calendar_year(session, actor, year, **values)
        except FormInvalidError as exc:
            errors = _errors(exc)
        else:
            flash(_("已保存 %(year)s 年节假日安排。", year=year), "success")
            return redirect(url_for("admin.calendar_year", year=year))
    summary = calendar.year_summary(session, year)
    if request.method == "GET":
        values = {
            "notice_no": summary.notice_no or "",
            "holidays": admin.format_day_lines(summary.holidays),
            "workdays": admin.format_day_lines((d, d, n) for d, n in summary.workdays),
        }
    return render_template(
        "admin/calendar_year.html", year=year, summary=summary, values=values, errors=errors
    ), (422 if errors else 200)


# ---------------------------------------------------------------- settings


@bp.get("/settings")
@require(Permission.ADMIN_SETTINGS)
def settings():
    rows = admin.settings_rows(get_session(), acting_user())
    query = (request.args.get("q") or "").strip()
    if query:
        rows = [r for r in rows if query in r.key or query in r.description or query in r.source]
    if request.args.get("changed"):
        rows = [r for r in rows if r.changed]
    return render_template(
        "admin/settings.html",
        rows=rows,
        errors={},
        values={},
        query=query,
        changed_only=bool(request.args.get("changed")),
    )


@bp.post("/settings/<key>")
@require(Permission.ADMIN_SETTINGS)
def setting_change(key: str):
    session = get_session()
    actor = acting_user()
    try:
        if request.form.get("action") == "reset":
            admin.reset_setting(session, actor, key)
            flash(_("已恢复 %(key)s 的默认值。", key=key), "success")
        else:
            admin.change_setting(session, actor, key, request.form.get("value", ""))
            flash(_("已保存 %(key)s。", key=key), "success")
    except FormInvalidError as exc:
        rows = admin.settings_rows(session, actor)
        return render_template(
            "admin/settings.html",
            rows=rows,
            errors=_errors(exc),
            values={key: request.form.get("value", "")},
            query="",
            changed_only=False,
        ), 422
    return redirect(url_for("admin.settings", _anchor=f"s-{key}"))


# ---------------------------------------------------------------- audit


@bp.get("/audit")
@require(Permission.ADMIN_AUDIT)
def audit():
    page = admin.system_events(
        get_session(), acting_user(), page=page_number(request.args.get("page"))
    )
    return render_template("admin/audit.html", page=page, result=None)


@bp.post("/audit/verify")
@require(Permission.ADMIN_AUDIT)
def audit_verify():
    session = get_session()
    actor = acting_user()
    result = admin.verify_audit(session, actor)
    page = admin.system_events(session, actor)
    return render_template("admin/audit.html", page=page, result=result)
