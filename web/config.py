"""Configuration: defaults here, overridden by SUPERVISION_* environment variables."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

INSTANCE_DIR = Path(os.environ.get("SUPERVISION_INSTANCE_DIR", "instance"))


def _secret_key() -> str:
    """A stable secret shared by every worker process: env, else a file under instance/."""
    key = os.environ.get("SUPERVISION_SECRET_KEY")
    if key:
        return key
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


class Config:
    DATABASE_URL = os.environ.get("SUPERVISION_DATABASE_URL", "sqlite:///instance/supervision.db")
    ATTACHMENTS_DIR = str(INSTANCE_DIR / "attachments")
    MAX_CONTENT_LENGTH = 25 * 1024 * 1024
    ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
    ATTACHMENT_EXTENSIONS = (
        "pdf",
        "doc",
        "docx",
        "xls",
        "xlsx",
        "jpg",
        "jpeg",
        "png",
        "txt",
        "ofd",
        "zip",
        "mp4",
    )
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SUPERVISION_SECURE_COOKIES") == "1"
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = timedelta(hours=10)
    WTF_CSRF_TIME_LIMIT = None  # the session lifetime bounds the token already
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_CN", "en")
    LOGIN_MAX_FAILURES = 5
    LOGIN_WINDOW_MINUTES = 15
    # Origins allowed to call the REST API from a browser (Camunda Modeler's deploy).
    CORS_ORIGINS = tuple(
        o for o in os.environ.get("SUPERVISION_CORS_ORIGINS", "*").split(",") if o.strip()
    )
    # How many reverse proxies (nginx) stand in front of the app: their X-Forwarded-For and
    # X-Forwarded-Proto are then believed, so login rate limits count per client address
    # rather than per proxy. 0 when the app is reached directly.
    TRUSTED_PROXIES = int(os.environ.get("SUPERVISION_TRUSTED_PROXIES", "0") or 0)
    ENGINE_NAME = "default"
    JSON_AS_ASCII = False

    @property
    def SECRET_KEY(self) -> str:  # noqa: N802  (Flask's name)
        return _secret_key()
