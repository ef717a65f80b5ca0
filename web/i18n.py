"""Chinese by default, English selectable (flask-babel); the choice is kept per user.

UI strings are written in Chinese in the code and templates (the msgid is the Chinese text)
and `web/translations/en/LC_MESSAGES/messages.po` holds their English. The catalogue is
compiled when the app starts, into a cache directory outside the source tree, so a fresh
clone needs no build step and no compiled file is ever committed or stale.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask import request
from flask import session
from flask_babel import Babel
from flask_babel import get_locale
from flask_login import current_user

babel = Babel()
LANGUAGES = ("zh_CN", "en")
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    if current_user and getattr(current_user, "is_authenticated", False):
        if getattr(current_user, "locale", None) in LANGUAGES:
            return current_user.locale
    best = request.accept_languages.best_match(["zh_CN", "zh", "en"]) if request else None
    return "en" if best == "en" else "zh_CN"


def lang() -> str:
    """'en' or 'zh': the short code the domain services take for their messages."""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"


def compiled_directory(source: Path = TRANSLATIONS) -> Path:
    """Compile every messages.po under `source` once per content version; return the root.

    The target name carries a hash of the catalogues, so a changed .po compiles afresh and
    concurrent workers writing the same version write identical bytes (atomic rename).
    """
    catalogues = sorted(source.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    digest = hashlib.sha256()
    for po in catalogues:
        digest.update(po.parent.parent.name.encode())
        digest.update(po.read_bytes())
    root = Path(tempfile.gettempdir()) / f"supervision-i18n-{digest.hexdigest()[:16]}"
    for po in catalogues:
        target = root / po.parent.parent.name / "LC_MESSAGES" / f"{DOMAIN}.mo"
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=po.parent.parent.name)
        buffer = BytesIO()
        write_mo(buffer, catalog)
        partial = target.with_name(f"{DOMAIN}.{os.getpid()}.part")
        partial.write_bytes(buffer.getvalue())
        partial.replace(target)
    return root


_BILINGUAL = re.compile(r"^(?P<zh>.*[\u4e00-\u9fff].*?)\s*\((?P<en>[^()\u4e00-\u9fff]+)\)\s*$")


def localized(message: object) -> str:
    """Domain errors read "中文 (English)": show the half that fits the user's language."""
    if not message:
        return ""
    message = str(message)
    match = _BILINGUAL.match(message)
    if match is None:
        return message
    return match.group("en") if lang() == "en" else match.group("zh")


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(compiled_directory()))
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters["localized"] = localized
    app.jinja_env.globals["current_lang"] = lang
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
