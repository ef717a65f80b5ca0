"""Template filters and globals shared by every page (dates, roles, paging, navigation)."""

from __future__ import annotations

import hashlib
from datetime import date
from datetime import datetime
from pathlib import Path

from flask import Flask
from flask import Response
from flask import request
from flask_babel import format_date
from flask_babel import format_datetime
from markupsafe import Markup

from supervision import clock
from supervision.permissions import ROLE_LABELS
from supervision.permissions import Role
from web.case_view import DOCUMENT_STATUS
from web.i18n import lang
from web.navigation import visible_items

STATIC = Path(__file__).resolve().parent / "static"


def dt(value: datetime | str | None) -> str:
    """A moment in Guangyuan time, "2026-11-26 14:05"."""
    if not value:  # None, "" and Jinja's Undefined
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=clock.LOCAL_TZ)
    return format_datetime(value, "yyyy-MM-dd HH:mm")


def d(value: date | datetime | str | None) -> str:
    """A calendar day, "2026-11-26" (moments are converted to Guangyuan time first)."""
    if not value:  # None, "" and Jinja's Undefined
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, datetime):
        return dt(value)[:10]
    return format_date(value, "yyyy-MM-dd")


def datetime_local(value: object) -> str:
    """The value an <input type=datetime-local> expects ("2026-11-26T14:05")."""
    if not value:  # None, "" and Jinja's Undefined
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(clock.LOCAL_TZ)
        return value.strftime("%Y-%m-%dT%H:%M")
    return str(value)


def role_label(role: str) -> str:
    try:
        zh, en = ROLE_LABELS[Role(role)]
    except ValueError:
        return role
    return en if lang() == "en" else zh


def role_names(user) -> str:
    return "、".join(role_label(r) for r in sorted(user.roles)) if user else ""


def page_window(current: int, pages: int, width: int = 2) -> list[int | None]:
    """Page numbers to link: the first, the last, and `width` around the current one."""
    shown: list[int | None] = []
    for n in range(1, pages + 1):
        if n in (1, pages) or abs(n - current) <= width:
            shown.append(n)
        elif shown and shown[-1] is not None:
            shown.append(None)
    return shown


def yes_no(value: object) -> str:
    from flask_babel import gettext as _

    if value is None or value == "":
        return ""
    return _("是") if value in (True, "true", 1) else _("否")


def multiline(text: str | None) -> Markup:
    """Escape, then keep the line breaks people typed."""
    if not text:
        return Markup("")
    return Markup("<br>").join(Markup.escape(line) for line in str(text).splitlines())


def _asset_version() -> str:
    digest = hashlib.sha256()
    for path in sorted(STATIC.rglob("*")):
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def _security_headers(response: Response) -> Response:
    """Pages load scripts and styles from this server only (no CDN, no inline script)."""
    if response.mimetype == "text/html":
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
            "frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


def init_app(app: Flask) -> None:
    env = app.jinja_env
    env.filters.update(
        dt=dt,
        d=d,
        datetime_local=datetime_local,
        role_label=role_label,
        yes_no=yes_no,
        multiline=multiline,
    )
    env.globals.update(
        nav_items=visible_items,
        role_names=role_names,
        page_window=page_window,
        now_utc=clock.now,
        doc_status=lambda code: str(DOCUMENT_STATUS.get(code, code)),
        asset_version=_asset_version(),
    )
    env.trim_blocks = True
    env.lstrip_blocks = True
    app.after_request(_security_headers)
