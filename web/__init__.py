"""The Flask application: web pages, the Camunda-compatible REST API and the hotline API.

`create_app()` is the composition root: configuration, database, engine, security,
translations, error pages and blueprints are assembled here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from supervision.bootstrap import build_engine
from web import database
from web import errors
from web import i18n
from web import security
from web import templating
from web.config import Config


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_object(Config())
    app.config.update(overrides or {})
    database.init_app(app)
    app.extensions["supervision.engine"] = build_engine()
    security.init_app(app)
    i18n.init_app(app)
    templating.init_app(app)
    errors.init_app(app)
    _register_blueprints(app)
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    return app


def _register_blueprints(app: Flask) -> None:
    from web.views import BLUEPRINTS

    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)


def current_engine():
    from flask import current_app

    return current_app.extensions["supervision.engine"]
