"""Errors as Camunda's ExceptionDto: `{"type", "message", "code"}`, plus our `reason`.

Camunda clients read `type` (the Java exception's simple name) and `message`; `code` is
Camunda's numeric error code (0 by default, 1 for a lost optimistic lock). We add `reason`,
our own stable machine-readable code, and `errors` (field -> message) for form problems.

Where Camunda answers 500 for a conflict (a task claimed or completed by someone else, a
lost optimistic lock) we answer 409: the request was fine, the state changed under it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import jsonify
from flask import request
from werkzeug.exceptions import HTTPException

from supervision.errors import ConflictError
from supervision.errors import DeploymentError
from supervision.errors import DuplicateError
from supervision.errors import FormInvalidError
from supervision.errors import InvalidInputError
from supervision.errors import MessageNotCorrelatedError
from supervision.errors import NotAllowedError
from supervision.errors import NotFoundError
from supervision.errors import StaleCaseError
from supervision.errors import SupervisionError
from supervision.errors import TaskAlreadyClaimedError
from supervision.uow import is_retryable
from web.errors import BUSY_RETRY_AFTER

log = logging.getLogger(__name__)

OPTIMISTIC_LOCKING_CODE = 1
PARSE_MESSAGE = "ENGINE-09005 Could not parse BPMN process. Errors: "


class RestError(Exception):
    """A problem with the HTTP request itself (bad parameter, bad JSON, unknown id)."""

    status = 400
    type_name = "InvalidRequestException"
    reason = "invalid_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidRequest(RestError):
    pass


class NotFound(RestError):
    status = 404
    reason = "not_found"


class Conflict(RestError):
    status = 409
    type_name = "ConflictException"
    reason = "conflict"


@dataclass(frozen=True)
class Style:
    """How one API words its errors (the Camunda API and the hotline API differ a little)."""

    form_status: int  # 400 like Camunda's submit-form, or 422 for the hotline API


CAMUNDA = Style(form_status=400)
HOTLINE = Style(form_status=422)

# (class, status, Camunda type name, code); the first match wins.
DOMAIN: list[tuple[type[SupervisionError], int, str, int]] = [
    (StaleCaseError, 409, "OptimisticLockingException", OPTIMISTIC_LOCKING_CODE),
    (TaskAlreadyClaimedError, 409, "TaskAlreadyClaimedException", 0),
    (DuplicateError, 409, "DuplicateException", 0),
    (ConflictError, 409, "ProcessEngineException", 0),
    (NotFoundError, 404, "InvalidRequestException", 0),
    (NotAllowedError, 403, "AuthorizationException", 0),
    (MessageNotCorrelatedError, 400, "RestException", 0),
    (InvalidInputError, 400, "InvalidRequestException", 0),
    (SupervisionError, 400, "BadUserRequestException", 0),
]


def body(type_name: str, message: str, code: int = 0, reason: str | None = None) -> dict:
    result: dict[str, Any] = {"type": type_name, "message": message, "code": code}
    if reason:
        result["reason"] = reason
    return result


def domain_response(exc: SupervisionError, style: Style, user_id: str | None):
    if isinstance(exc, DeploymentError):
        return jsonify(parse_exception(exc)), 400
    if isinstance(exc, FormInvalidError):
        detail = "; ".join(f"{name}: {text}" for name, text in exc.errors.items())
        payload = body(
            "FormFieldValidationException",
            f"{exc.message}: {detail}" if detail else exc.message,
            reason=exc.code,
        )
        payload["errors"] = exc.errors
        return jsonify(payload), style.form_status
    for cls, status, type_name, code in DOMAIN:
        if isinstance(exc, cls):
            payload = body(type_name, exc.message, code, exc.code)
            if isinstance(exc, NotAllowedError):
                permission = exc.details.get("permission")
                payload["userId"] = user_id
                payload["missingAuthorizations"] = (
                    [{"permissionName": permission, "resourceName": None, "resourceId": None}]
                    if permission
                    else []
                )
            return jsonify(payload), status
    raise AssertionError("SupervisionError is the last entry")  # pragma: no cover


def parse_exception(exc: DeploymentError) -> dict:
    """Camunda's ParseException: a summary message and the problems per resource."""
    problems = exc.problems
    errors = [p for p in problems if p.severity == "error"]
    lines = []
    for p in errors:
        line = f"* {p.message}"
        if p.resource:
            line += f" | resource {p.resource}"
        if p.line:
            line += f" | line {p.line}"
        if p.column:
            line += f" | column {p.column}"
        lines.append(line)
    default_resource = next((p.resource for p in problems if p.resource), "deployment")
    details: dict[str, dict[str, list]] = {}
    for p in problems:
        entry = details.setdefault(p.resource or default_resource, {"errors": [], "warnings": []})
        ids = list(p.element_ids or ([p.element_id] if p.element_id else []))
        entry["errors" if p.severity == "error" else "warnings"].append(
            {
                "message": p.message,
                "line": p.line or 0,
                "column": p.column or 0,
                "mainBpmnElementId": p.element_id,
                "bpmnElementIds": ids,
            }
        )
    payload = body("ParseException", PARSE_MESSAGE + "\n" + "\n".join(lines), 0, exc.code)
    payload["details"] = details
    return payload


def rest_response(exc: RestError):
    return jsonify(body(exc.type_name, exc.message, 0, exc.reason)), exc.status


HTTP_TYPES = {
    401: "AuthenticationException",
    404: "InvalidRequestException",
    405: "RestException",
    413: "RestException",
    415: "RestException",
    429: "RestException",
}


def http_response(exc: HTTPException, realm: str):
    status = exc.code or 500
    message = exc.description or exc.name
    if status == 401:
        message = "Authentication required: send HTTP Basic credentials or a Bearer API token"
    response = jsonify(body(HTTP_TYPES.get(status, "RestException"), message, 0, "http"))
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = f'Basic realm="{realm}"'
    if status == 405 and exc.get_response().headers.get("Allow"):
        response.headers["Allow"] = exc.get_response().headers["Allow"]
    return response


def unexpected_response(exc: Exception):
    if is_retryable(exc):
        # Busy through every retry (SQLite's single writer under load, a PostgreSQL
        # deadlock): nothing was saved and the same request will work shortly.
        log.warning("busy on %s %s: %s", request.method, request.path, exc)
        response = jsonify(
            body(
                "ServiceUnavailable",
                "the database is busy; nothing was saved, retry shortly",
                0,
                "busy",
            )
        )
        response.status_code = 503
        response.headers["Retry-After"] = str(BUSY_RETRY_AFTER)
        return response
    # No stack trace to clients: the log has it.
    log.exception("unhandled error on %s %s", request.method, request.path)
    return jsonify(
        body(
            "ProcessEngineException",
            "internal error; it has been logged for the administrator",
            0,
            "internal",
        )
    ), 500
