"""Login, logout, the language switch and the landing page."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user
from flask_login import login_required
from flask_login import login_user
from flask_login import logout_user

from web.database import retry_on_conflict
from web.i18n import LANGUAGES
from web.navigation import landing_url
from web.security import check_password_login
from web.security import login_blocked
from web.security import record_login

bp = Blueprint("auth", __name__)


def safe_next(target: str | None, default: str | None = None) -> str:
    """A local path to return to; anything pointing elsewhere falls back to `default`."""
    fallback = default or url_for("auth.home")
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    if "\\" in target:
        return fallback
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        username = (request.form.get("username") or "").strip()
        password = request.form.get("password") or ""
        remote = request.remote_addr
        if login_blocked(username, remote):
            flash(_("登录失败次数过多，请15分钟后再试。"), "error")
            return render_template("auth/login.html", username=username), 429
        user = check_password_login(username, password)
        record_login(username, remote, user is not None, user)
        if user is None:
            flash(_("用户名或密码错误。"), "error")
            return render_template("auth/login.html", username=username), 401
        lang = session.get("lang")
        session.clear()
        if lang in LANGUAGES:
            session["lang"] = lang
        login_user(user)
        return redirect(safe_next(request.args.get("next")))
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    return render_template("auth/login.html", username="")


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    session.clear()
    flash(_("您已退出登录。"), "info")
    return redirect(url_for("auth.login"))


@bp.post("/lang")
@retry_on_conflict
def set_language():
    """Switch the interface language; remembered in the session and on the user."""
    chosen = request.form.get("lang")
    if chosen not in LANGUAGES:
        abort(400)
    session["lang"] = chosen
    if current_user.is_authenticated:
        current_user.locale = chosen
    refresh()
    return redirect(safe_next(request.form.get("next")))


@bp.get("/")
@login_required
def home():
    target = landing_url()
    if target:
        return redirect(target)
    return render_template("home.html")
