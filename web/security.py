"""Authentication and the server-side checks every view and API call goes through."""

from __future__ import annotations

import base64
import functools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask
from flask import abort
from flask import current_app
from flask import g
from flask import request
from flask_babel import gettext
from flask_login import LoginManager
from flask_login import current_user
from flask_login import login_required
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update

from db.models import LoginAttempt
from db.models import User
from supervision import authz
from supervision import clock
from supervision.identity import authenticate
from supervision.identity import user_for_token
from supervision.permissions import Permission
from web.database import get_session

login_manager = LoginManager()
csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    login_manager.login_message_category = "info"
    login_manager.localize_callback = gettext
    login_manager.session_protection = "strong"
    csrf.init_app(app)
    app.jinja_env.globals["can"] = can
    app.jinja_env.globals["Permission"] = Permission


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    try:
        user = get_session().get(User, int(user_id))
    except ValueError:
        return None
    return user if authz.is_usable(user) else None


def acting_user() -> User:
    """The authenticated user of this request (web session or API credentials)."""
    user = g.get("api_user") or (current_user if current_user.is_authenticated else None)
    if user is None:
        abort(401)
    return user


def can(permission: Permission, user: User | None = None) -> bool:
    user = user or (current_user if current_user.is_authenticated else None)
    return user is not None and authz.has(user, permission)


def require(*permissions: Permission) -> Callable:
    """Coarse check on a view: logged in and holding every permission given."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for permission in permissions:
                if not authz.has(current_user, permission):
                    abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator


# ---------------------------------------------------------------- login rate limiting


def login_blocked(username: str, remote_addr: str | None) -> bool:
    """Too many recent failures for this name or from this address."""
    session = get_session()
    window = clock.now() - timedelta(minutes=current_app.config["LOGIN_WINDOW_MINUTES"])
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    by_name = (
        session.scalar(
            select(func.count(LoginAttempt.id)).where(
                LoginAttempt.username == username,
                LoginAttempt.success.is_(False),
                LoginAttempt.at > window,
            )
        )
        or 0
    )
    by_addr = (
        session.scalar(
            select(func.count(LoginAttempt.id)).where(
                LoginAttempt.remote_addr == remote_addr,
                LoginAttempt.success.is_(False),
                LoginAttempt.at > window,
            )
        )
        or 0
        if remote_addr
        else 0
    )
    return by_name >= limit or by_addr >= limit * 4


def record_login(
    username: str, remote_addr: str | None, success: bool, user: User | None = None
) -> None:
    """Count the attempt (and stamp the user's last login) in a transaction of its own.

    A failed login answers 401 and rolls the request back, yet must still count; and the
    request's session, which has been reading, never writes, so on SQLite it cannot lose
    its snapshot to this write.
    """
    sessions = current_app.extensions["db.sessionmaker"]
    now = clock.now()
    with sessions.begin() as session:
        session.add(
            LoginAttempt(username=username[:64], remote_addr=remote_addr, success=success, at=now)
        )
        if success and user is not None:
            session.execute(update(User).where(User.id == user.id).values(last_login_at=now))


def check_password_login(username: str, password: str) -> User | None:
    return authenticate(get_session(), username, password)


# ---------------------------------------------------------------- API credentials


def api_credentials_user() -> User | None:
    """HTTP Basic (a user's own password) or Bearer token; None when none was sent.

    Sets g.api_user on success; a wrong credential aborts with 401.
    """
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    user = None
    remote = request.remote_addr
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value.strip()).decode("utf-8")
            username, _, password = decoded.partition(":")
        except (ValueError, UnicodeDecodeError):
            abort(401)
        if login_blocked(username, remote):
            abort(429)
        user = check_password_login(username, password)
        if user is None:
            record_login(username, remote, False)
    elif scheme == "bearer":
        user = user_for_token(get_session(), value.strip())
    if user is None:
        abort(401)
    g.api_user = user
    return user
