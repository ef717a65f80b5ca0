"""Domain errors become HTTP answers in one place: HTML pages for people, JSON for APIs."""

from __future__ import annotations

import logging

from flask import Flask
from flask import jsonify
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from supervision.errors import ConflictError
from supervision.errors import DeploymentError
from supervision.errors import FormInvalidError
from supervision.errors import InvalidInputError
from supervision.errors import NotAllowedError
from supervision.errors import NotFoundError
from supervision.errors import SupervisionError
from supervision.errors import TaskAlreadyClaimedError
from supervision.errors import TaskNotOpenError
from supervision.uow import is_retryable
from web.i18n import localized

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

# What people read on an error page; werkzeug's English descriptions are for APIs.
HEADINGS = {
    400: _l("请求有误"),
    401: _l("请先登录"),
    403: _l("无权访问"),
    404: _l("未找到"),
    405: _l("不支持此操作"),
    409: _l("操作冲突"),
    413: _l("文件过大"),
    422: _l("填写有误"),
    429: _l("操作过于频繁"),
    500: _l("系统错误"),
    503: _l("系统繁忙"),
}
MESSAGES = {
    400: _l("请求无法处理，请检查后重试。"),
    401: _l("请先登录后再访问此页面。"),
    403: _l("您没有权限查看或执行此操作。"),
    404: _l("您要找的页面或记录不存在，或您无权查看。"),
    405: _l("此地址不支持这种请求方式。"),
    409: _l("数据已被他人修改，请刷新后重试。"),
    413: _l("上传的文件超过大小限制。"),
    429: _l("请求过于频繁，请稍后再试。"),
    500: _l("系统内部错误，已记录，请稍后重试。"),
    503: _l("系统繁忙，您的操作未被保存，请稍后重试。"),
}
# Seconds a client should wait before repeating a request the database was too busy for.
BUSY_RETRY_AFTER = 2


def status_for(exc: SupervisionError) -> int:
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 400


def wants_json() -> bool:
    return request.path.startswith(API_PREFIXES) or (
        request.accept_mimetypes.best == "application/json"
    )


def _links(status: int) -> list[tuple[str, str]]:
    links = [(_("返回首页"), url_for("auth.home"))]
    if status == 409 and "tasks.inbox" in _endpoints():
        # Someone else was faster: the inbox shows what is left to do.
        links.insert(0, (_("返回任务列表"), url_for("tasks.inbox")))
    if status == 401:
        links = [(_("登录"), url_for("auth.login", next=request.full_path))]
    return links


def _endpoints():
    from flask import current_app

    return current_app.view_functions


def error_page(status: int, message: str | None = None, *, bare: bool = False):
    heading = HEADINGS.get(status, HEADINGS[400] if status < 500 else HEADINGS[500])
    text = message or MESSAGES.get(status) or heading
    return render_template(
        "error.html",
        status=status,
        heading=heading,
        message=text,
        links=_links(status),
        bare=bare,
    ), status


def init_app(app: Flask) -> None:
    @app.errorhandler(SupervisionError)
    def domain_error(exc: SupervisionError):
        status = status_for(exc)
        if wants_json():
            body = {"type": type(exc).__name__, "message": exc.message, "code": exc.code}
            if isinstance(exc, FormInvalidError):
                body["errors"] = exc.errors
            return jsonify(body), status
        message = localized(exc.message)
        if isinstance(exc, TaskAlreadyClaimedError | TaskNotOpenError):
            hint = _("请返回任务列表查看其他任务。")
            message = f"{message} {hint}"
        return error_page(status, message)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        if wants_json():
            return jsonify({"type": "CSRFError", "message": exc.description, "code": 400}), 400
        return error_page(400, _("页面已过期或来源不明，请刷新页面后重新提交。"))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if wants_json():
            return jsonify(
                {"type": type(exc).__name__, "message": exc.description, "code": exc.code}
            ), exc.code
        # A view's own abort(404, description=...) is meant for people; werkzeug's is not.
        custom = exc.description if exc.description != type(exc).description else None
        return error_page(exc.code or 500, custom)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        if is_retryable(exc):
            # The database stayed busy through every retry (SQLite's single writer under
            # load, a PostgreSQL deadlock): nothing was saved and repeating will work.
            log.warning("busy on %s %s: %s", request.method, request.path, exc)
            return _busy()
        # No stack trace to users: log it, answer with a short message.
        log.exception("unhandled error on %s %s", request.method, request.path)
        if wants_json():
            return jsonify(
                {
                    "type": "InternalError",
                    "message": "internal error; the administrator has been told",
                    "code": 500,
                }
            ), 500
        # Bare page: the failure may be the database, which the menu would need again.
        return error_page(500, bare=True)

    def _busy():
        if wants_json():
            response = jsonify(
                {
                    "type": "ServiceUnavailable",
                    "message": "the database is busy; nothing was saved, retry shortly",
                    "code": 503,
                }
            )
            response.status_code = 503
        else:
            body, status = error_page(503, bare=True)
            response = app.make_response((body, status))
        response.headers["Retry-After"] = str(BUSY_RETRY_AFTER)
        return response
