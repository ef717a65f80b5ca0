"""Login and logout."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_login import login_required
from flask_login import login_user
from flask_login import logout_user

from supervision import clock
from web.security import check_password_login
from web.security import login_blocked
from web.security import record_login

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    if not target:
        return url_for("auth.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return url_for("auth.home")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        username = (request.form.get("username") or "").strip()
        password = request.form.get("password") or ""
        remote = request.remote_addr
        if login_blocked(username, remote):
            flash("登录失败次数过多，请15分钟后再试。", "error")
            return render_template("auth/login.html", username=username), 429
        user = check_password_login(username, password)
        record_login(username, remote, user is not None)
        if user is None:
            flash("用户名或密码错误。", "error")
            return render_template("auth/login.html", username=username), 401
        session.clear()
        login_user(user)
        user.last_login_at = clock.now()
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", username="")


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.get("/")
@login_required
def home():
    return render_template("home.html")
