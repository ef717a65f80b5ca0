"""Chinese by default, English selectable (flask-babel); the choice is kept per user."""

from __future__ import annotations

from flask import Flask
from flask import request
from flask import session
from flask_babel import Babel
from flask_login import current_user

babel = Babel()


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in ("zh_CN", "en"):
        return chosen
    if current_user and getattr(current_user, "is_authenticated", False):
        if getattr(current_user, "locale", None) in ("zh_CN", "en"):
            return current_user.locale
    best = request.accept_languages.best_match(["zh_CN", "zh", "en"]) if request else None
    return "en" if best == "en" else "zh_CN"


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
