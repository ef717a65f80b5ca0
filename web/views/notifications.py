"""通知: the user's own notifications (alerts the worker raised, notices from diagrams).

Only the reader's notifications are listed or marked; marking takes ids from the form and
ignores ids that are not the reader's, so nobody learns whether another person's exists.
"""

from __future__ import annotations

from flask import Blueprint
from flask import flash
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from supervision import notifications
from supervision.errors import NotFoundError
from supervision.permissions import Permission
from web.database import get_session
from web.forms import page_number
from web.i18n import lang
from web.navigation import NavItem
from web.navigation import register
from web.security import acting_user

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
register(NavItem("notifications.index", _l("通知"), tuple(Permission), 65))

KIND_LABELS = {
    notifications.DUE_SOON: _l("黄牌"),
    notifications.OVERDUE: _l("红牌"),
    notifications.ESCALATED: _l("升级督办"),
    notifications.NOTICE: _l("通知"),
    "reminder": _l("提醒"),
}
KIND_BADGES = {
    notifications.DUE_SOON: "yellow",
    notifications.OVERDUE: "red",
    notifications.ESCALATED: "red",
}


@bp.get("/")
@login_required
def index():
    user = acting_user()
    unread_only = request.args.get("show") == "unread"
    page = notifications.list_for(
        get_session(), user, unread_only=unread_only, page=page_number(request.args.get("page"))
    )
    language = lang()
    items = [(n, *notifications.render(n, language)) for n in page.items]
    return render_template(
        "notifications/index.html",
        page=page,
        items=items,
        unread_only=unread_only,
        kind_labels=KIND_LABELS,
        kind_badges=KIND_BADGES,
    )


@bp.get("/count")
@login_required
def count():
    """The unread count, for a badge that refreshes itself."""
    return jsonify({"unread": notifications.unread_count(get_session(), acting_user())})


def _back():
    show = request.form.get("show")
    return redirect(url_for("notifications.index", show=show if show == "unread" else None))


@bp.post("/read")
@login_required
def read():
    session = get_session()
    user = acting_user()
    marked = 0
    for raw in request.form.getlist("id"):
        try:
            notifications.mark_read(session, user, int(raw))
            marked += 1
        except (ValueError, NotFoundError):
            continue
    if not marked:
        flash(_("没有可标记的通知。"), "warning")
    return _back()


@bp.post("/read-all")
@login_required
def read_all():
    marked = notifications.mark_all_read(get_session(), acting_user())
    flash(_("已将 %(n)s 条通知标为已读。", n=marked), "success")
    return _back()
