"""What every API request goes through: CORS, authentication, the error format.

API calls never use the browser session: each request carries HTTP Basic credentials (a
user's own password) or a Bearer API token, and is then authorised as that user by the
same rules as the web app. That is also why the API blueprints are exempt from CSRF.
A request without credentials gets 401 with `WWW-Authenticate: Basic realm="..."`, which
is how Camunda Modeler learns that it must show its username/password fields.
"""

from __future__ import annotations

import base64
import logging
from datetime import datetime
from datetime import timedelta

from flask import Blueprint
from flask import Response
from flask import abort
from flask import current_app
from flask import g
from flask import make_response
from flask import request
from sqlalchemy import inspect
from sqlalchemy import or_
from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from db.models import ApiToken
from db.models import User
from supervision import authz
from supervision.errors import SupervisionError
from web.database import get_session
from web.rest import exceptions
from web.security import api_credentials_user
from web.security import csrf

log = logging.getLogger(__name__)

ALLOWED_METHODS = "GET, POST, PUT, DELETE, OPTIONS"
TOKEN_USE_RESOLUTION = timedelta(minutes=1)
ALLOWED_HEADERS = "Authorization, Content-Type, Accept, Accept-Language, Idempotency-Key"
EXPOSED_HEADERS = "WWW-Authenticate, Location, Retry-After, Content-Disposition"
PREFLIGHT_MAX_AGE = "600"


def protect(bp: Blueprint, style: exceptions.Style) -> None:
    """Make `bp` an authenticated, CORS-enabled JSON API with Camunda-style errors."""
    csrf.exempt(bp)
    bp.before_request(_authenticate)
    bp.after_request(_decorate)
    bp.teardown_request(_record_token_uses)

    def domain_error(exc: SupervisionError):
        return exceptions.domain_response(exc, style, g.get("rest_username"))

    bp.register_error_handler(SupervisionError, domain_error)
    bp.register_error_handler(exceptions.RestError, exceptions.rest_response)
    bp.register_error_handler(HTTPException, _http_error)
    bp.register_error_handler(Exception, exceptions.unexpected_response)


def open_api(bp: Blueprint) -> None:
    """Public API resources (the OpenAPI document): CORS and errors, no credentials."""
    csrf.exempt(bp)
    bp.before_request(_preflight_only)
    bp.after_request(_decorate)
    bp.register_error_handler(HTTPException, _http_error)
    bp.register_error_handler(Exception, exceptions.unexpected_response)


def actor() -> User:
    """The authenticated user, loaded in the current session (also after a retry)."""
    user_id = g.get("rest_user_id")
    user = get_session().get(User, user_id) if user_id is not None else None
    if user is None or not authz.is_usable(user):
        abort(401)
    return user


def _http_error(exc: HTTPException):
    response = exceptions.http_response(exc, current_app.config.get("ENGINE_NAME", "default"))
    if response.status_code == 429:
        window = int(current_app.config.get("LOGIN_WINDOW_MINUTES", 15))
        response.headers["Retry-After"] = str(window * 60)
    return response


def _preflight_only():
    if request.method == "OPTIONS":
        return _preflight()
    return None


def _refuse_nul() -> None:
    """PostgreSQL cannot store or compare NUL characters: refuse them up front."""
    texts = [request.path]
    fields = [request.args]
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        fields.append(request.form)
    for source in fields:
        for key, value in source.items(multi=True):
            texts += [key, value]
    if any(isinstance(t, str) and "\x00" in t for t in texts):
        raise exceptions.InvalidRequest("NUL characters are not allowed in the request")
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=False)
        except ValueError:
            decoded = b""
        if b"\x00" in decoded:
            abort(401)


def _authenticate():
    if request.method == "OPTIONS":
        return _preflight()
    _refuse_nul()
    session = get_session()
    # Reading a token also stamps its last use. Doing that write in the request's own
    # transaction would make every API call (GETs too) a writer, and concurrent calls
    # with one token would collide on it; it is recorded after the request instead.
    with session.no_autoflush:
        user = api_credentials_user()  # aborts 401 on wrong credentials, 429 when limited
    g.token_uses = _take_token_uses(session)
    if user is None:
        abort(401)
    g.rest_user_id = user.id
    g.rest_username = user.username
    return None


def _take_token_uses(session) -> list[tuple[int, datetime, datetime | None]]:
    uses = []
    for row in [o for o in session.dirty if isinstance(o, ApiToken)]:
        history = inspect(row).attrs.last_used_at.history
        if not history.added:
            continue
        previous = history.deleted[0] if history.deleted else None
        uses.append((row.id, history.added[0], previous))
        session.expire(row, ["last_used_at"])
    return uses


def _record_token_uses(_exc: BaseException | None) -> None:
    """Best effort, outside the request's transaction, at most once a minute per token."""
    for token_id, used_at, previous in g.pop("token_uses", None) or []:
        if previous is not None and used_at - previous < TOKEN_USE_RESOLUTION:
            continue
        try:
            sessions = current_app.extensions["db.sessionmaker"]
            with sessions.begin() as session:
                # Conditional, so that of a burst of calls only the first one writes.
                session.execute(
                    update(ApiToken)
                    .where(
                        ApiToken.id == token_id,
                        or_(
                            ApiToken.last_used_at.is_(None),
                            ApiToken.last_used_at < used_at - TOKEN_USE_RESOLUTION,
                        ),
                    )
                    .values(last_used_at=used_at)
                    .execution_options(synchronize_session=False)
                )
        except OperationalError:
            log.info("token %s: last use not recorded (database busy)", token_id)


def _origin_allowed(origin: str) -> bool:
    allowed = [o.strip() for o in current_app.config.get("CORS_ORIGINS", ("*",)) if o.strip()]
    return "*" in allowed or origin in allowed


def _preflight() -> Response:
    origin = request.headers.get("Origin")
    if origin and not _origin_allowed(origin):
        response = make_response(
            exceptions.body(
                "RestException", f"origin {origin} is not allowed to call this API", 0, "cors"
            ),
            403,
        )
        response.headers["Vary"] = "Origin"
        return response
    response = make_response("", 204)
    response.headers["Allow"] = ALLOWED_METHODS
    if origin:
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    return response


def _decorate(response: Response) -> Response:
    origin = request.headers.get("Origin")
    if origin and _origin_allowed(origin):
        # Echo the origin rather than '*': Camunda Modeler (Electron) sends Authorization,
        # and some browsers refuse a wildcard next to credentials.
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    response.headers.add("Vary", "Origin")
    # Case data is personal data: no shared or browser caches.
    response.headers.setdefault("Cache-Control", "no-store")
    return response
