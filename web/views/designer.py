"""流程 (designer pages): deployed processes and versions, uploading diagrams with the
linter's findings, each version's diagram and cases, test starts, and the XML.

Reading needs definition:read, uploading definition:deploy, test starts definition:test.
Case lists show no case content; a case links to its page only when authz allows it.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from supervision import definitions
from supervision import deployments
from supervision import diagram
from supervision.errors import DeploymentError
from supervision.errors import FormInvalidError
from supervision.errors import InvalidInputError
from supervision.errors import Problem
from supervision.permissions import Permission
from web import current_engine
from web.database import get_session
from web.database import retry_on_conflict
from web.forms import page_number
from web.forms import submitted_values
from web.i18n import lang
from web.i18n import localized
from web.lookups import display_names
from web.security import acting_user
from web.security import require

bp = Blueprint("designer", __name__, url_prefix="/designer")

EXTENSIONS = (".bpmn", ".bpmn20.xml", ".dmn", ".dmn11.xml", ".xml")
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_FILES = 20
CASE_FILTERS = {
    "active": _l("办理中"),
    "completed": _l("已办结"),
    "cancelled": _l("已撤销"),
    "all": _l("全部"),
}


def case_url(case_id: str) -> str | None:
    """The case page, when the app has one (it is another blueprint's)."""
    if "cases.show" not in current_app.view_functions:
        return None
    return url_for("cases.show", case_id=case_id)


@bp.app_template_global()
def case_page_url(case_id: str) -> str | None:
    return case_url(case_id)


@bp.get("/")
@require(Permission.DEFINITION_READ)
def index():
    session = get_session()
    rows = definitions.processes(session, acting_user())
    people = display_names(session, [p.latest.deployed_by for p in rows])
    return render_template("designer/index.html", rows=rows, people=people)


# ---------------------------------------------------------------- deploying


def _uploaded() -> tuple[list[tuple[str, bytes]], dict[str, str]]:
    """The files of the upload form, checked for count, type and size."""
    errors: dict[str, str] = {}
    files = [f for f in request.files.getlist("files") if f and f.filename]
    if not files:
        errors["files"] = _("请选择要部署的 BPMN 或 DMN 文件。")
        return [], errors
    if len(files) > MAX_FILES:
        errors["files"] = _("一次最多部署 %(n)s 个文件。", n=MAX_FILES)
        return [], errors
    limit = current_app.config.get("DEPLOY_MAX_FILE_BYTES", MAX_FILE_BYTES)
    resources = []
    for item in files:
        name = item.filename.replace("\\", "/").rsplit("/", 1)[-1]
        if not name.lower().endswith(EXTENSIONS):
            errors["files"] = _("%(name)s 不是 BPMN 或 DMN 文件（.bpmn、.dmn）。", name=name)
            return [], errors
        try:
            content = item.read(limit + 1)
        finally:
            # Large uploads are spooled to a temporary file: release it now.
            item.close()
        if len(content) > limit:
            errors["files"] = _("%(name)s 超过 %(size)s。", name=name, size=_size(limit))
            return [], errors
        resources.append((name, content))
    return resources, errors


@bp.route("/deploy", methods=["GET", "POST"])
@require(Permission.DEFINITION_READ, Permission.DEFINITION_DEPLOY)
def deploy():
    errors: dict[str, str] = {}
    problems: list[Problem] = []
    name = (request.form.get("name") or "").strip()
    if request.method == "POST":
        resources, errors = _uploaded()
        if len(name) > 200:
            errors["name"] = _("最多200个字。")
        if not errors:
            try:
                result = deployments.deploy(
                    get_session(),
                    current_engine(),
                    resources,
                    actor=acting_user().username,
                    name=name or None,
                    source="web",
                )
            except DeploymentError as exc:
                problems = exc.problems
            else:
                return render_template("designer/deployed.html", result=result), 201
    status = 422 if (errors or problems) else 200
    return render_template(
        "designer/deploy.html",
        errors=errors,
        problems=sorted(problems, key=_problem_order),
        name=name,
        max_files=MAX_FILES,
    ), status


def _size(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit / 1024 / 1024:g} MB"
    return f"{limit / 1024:g} KB"


def _problem_order(problem: Problem):
    return (problem.severity != "error", problem.resource or "", problem.line or 0)


# ---------------------------------------------------------------- processes and versions


@bp.get("/processes/<key>")
@require(Permission.DEFINITION_READ)
def process(key: str):
    session = get_session()
    rows = definitions.versions(session, acting_user(), key)
    people = display_names(session, [v.definition.deployed_by for v in rows])
    return render_template("designer/process.html", key=key, rows=rows, people=people)


@bp.get("/definitions/<definition_id>")
@require(Permission.DEFINITION_READ)
def definition(definition_id: str):
    session = get_session()
    user = acting_user()
    row = definitions.definition(session, user, definition_id)
    shown = request.args.get("cases", "active")
    if shown not in CASE_FILTERS:
        shown = "active"
    page = definitions.cases_of(
        session,
        user,
        row.id,
        status=None if shown == "all" else shown,
        page=page_number(request.args.get("page")),
    )
    waiting = definitions.waiting_elements(session, row.id)
    svg, diagram_error = _diagram(row, waiting)
    width = re.search(r'\swidth="([\d.]+)"', svg or "")
    return render_template(
        "designer/definition.html",
        row=row,
        page=page,
        shown=shown,
        case_filters=CASE_FILTERS,
        svg=svg,
        svg_width=width.group(1) if width else None,
        diagram_error=diagram_error,
        waiting=waiting,
        start_choices=definitions.start_choices(row),
        people=display_names(session, [row.deployed_by]),
    )


def _diagram(row, waiting: dict[str, int]):
    states = {element: "active" for element in waiting}
    titles = {element: _("%(n)s 件在此等待", n=n) for element, n in waiting.items()}
    try:
        svg = diagram.render_svg(
            row.bpmn_xml, states=states, titles=titles, process_id=row.key, lang=lang()
        )
    except diagram.DiagramError as exc:
        if str(exc) == diagram.NO_LAYOUT:
            return None, _(
                "此流程图没有布局信息（BPMNDI），无法绘制。请在 Camunda Modeler 中打开并保存。"
            )
        return None, _("无法绘制流程图：%(reason)s", reason=str(exc))
    return svg, None


@bp.get("/definitions/<definition_id>/xml")
@require(Permission.DEFINITION_READ)
def xml(definition_id: str):
    row = definitions.definition(get_session(), acting_user(), definition_id)
    stem = row.resource_name.rsplit(".", 1)[0] if "." in row.resource_name else row.resource_name
    filename = f"{stem}.v{row.version}.bpmn"
    ascii_name = "".join(
        c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in filename
    )
    return Response(
        row.bpmn_xml,
        mimetype="application/xml",
        headers={
            "Content-Disposition": (
                f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
            ),
            "Cache-Control": "no-store",
        },
    )


# ---------------------------------------------------------------- test starts


@bp.route("/definitions/<definition_id>/start", methods=["GET", "POST"])
@require(Permission.DEFINITION_READ, Permission.DEFINITION_TEST)
@retry_on_conflict
def start(definition_id: str):
    session = get_session()
    user = acting_user()
    engine = current_engine()
    row = definitions.definition(session, user, definition_id)
    form = engine.start_form(row)
    choices = definitions.start_choices(row)
    values: dict = {}
    errors: dict[str, str] = {}
    failure = None
    message = request.form.get("start_event", "") if request.method == "POST" else ""
    if request.method == "POST":
        values = submitted_values(form, request.form)
        try:
            result = definitions.start_test_case(
                session, engine, user, row.id, values, message=message or None, lang=lang()
            )
        except FormInvalidError as exc:
            errors = {k: localized(v) for k, v in exc.errors.items()}
        except InvalidInputError as exc:
            # The process refused to start (suspended, a failing start script ...): say so
            # on the form, with what was typed kept.
            failure = localized(exc.message)
        else:
            instance = result.instance
            flash(
                _("已发起测试案件 %(id)s。", id=instance.business_key or instance.id),
                "success",
            )
            target = case_url(instance.id)
            return redirect(target or url_for("designer.definition", definition_id=row.id))
    return render_template(
        "designer/start.html",
        row=row,
        form=form,
        values=values,
        errors=errors,
        choices=choices,
        message=message,
        failure=failure,
    ), (422 if errors else 400 if failure else 200)
