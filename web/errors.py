"""Domain errors become HTTP answers in one place: HTML pages for people, JSON for APIs."""

from __future__ import annotations

import logging

from flask import Flask
from flask import jsonify
from flask import render_template
from flask import request
from werkzeug.exceptions import HTTPException

from supervision.errors import ConflictError
from supervision.errors import DeploymentError
from supervision.errors import FormInvalidError
from supervision.errors import InvalidInputError
from supervision.errors import NotAllowedError
from supervision.errors import NotFoundError
from supervision.errors import SupervisionError

log = logging.getLogger(__name__)

STATUS: list[tuple[type[SupervisionError], int]] = [
    (NotFoundError, 404),
    (NotAllowedError, 403),
    (ConflictError, 409),
    (FormInvalidError, 422),
    (DeploymentError, 400),
    (InvalidInputError, 400),
    (SupervisionError, 400),
]
API_PREFIXES = ("/engine-rest", "/api/")


def status_for(exc: SupervisionError) -> int:
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 400


def wants_json() -> bool:
    return request.path.startswith(API_PREFIXES) or (
        request.accept_mimetypes.best == "application/json"
    )


def init_app(app: Flask) -> None:
    @app.errorhandler(SupervisionError)
    def domain_error(exc: SupervisionError):
        status = status_for(exc)
        if wants_json():
            body = {"type": type(exc).__name__, "message": exc.message, "code": exc.code}
            if isinstance(exc, FormInvalidError):
                body["errors"] = exc.errors
            return jsonify(body), status
        return render_template("error.html", status=status, message=exc.message), status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if wants_json():
            return jsonify(
                {"type": type(exc).__name__, "message": exc.description, "code": exc.code}
            ), exc.code
        return render_template("error.html", status=exc.code, message=exc.description), exc.code

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        # No stack trace to users: log it, answer with a short message and a reference.
        log.exception("unhandled error on %s %s", request.method, request.path)
        if wants_json():
            return jsonify(
                {
                    "type": "InternalError",
                    "message": "internal error; the administrator has been told",
                    "code": 500,
                }
            ), 500
        return render_template(
            "error.html", status=500, message="系统内部错误，已记录，请稍后重试。"
        ), 500
