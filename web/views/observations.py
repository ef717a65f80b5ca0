"""监督意见: special invited supervisors file observations (about a case shared with them,
or new), follow their own and read the feedback; supervisors see the observation cases of
their region, which they triage from their inbox.

supervision.observations writes the Observation row and starts the `observation` process
in one transaction, and decides who may read which observation.
"""

from __future__ import annotations

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from supervision import attachments
from supervision import authz
from supervision import cases
from supervision import clock
from supervision import observations
from supervision.errors import FormInvalidError
from supervision.errors import InvalidInputError
from supervision.permissions import Permission
from web import current_engine
from web.case_view import STATUS_BADGES
from web.case_view import status_label
from web.database import get_session
from web.database import retry_on_conflict
from web.forms import page_number
from web.forms import submitted_values
from web.i18n import lang
from web.i18n import localized
from web.lookups import bureaus
from web.lookups import group_names
from web.security import acting_user
from web.views.designer import case_url

bp = Blueprint("observations", __name__, url_prefix="/observations")

MAX_FILES = 9
ROUTING_LABELS = {
    "major": _l("转重大案件监督"),
    "specific_complaint": _l("转投诉举报办理"),
    "general_suggestion": _l("转执法机关限期答复"),
    "crime": _l("移送（涉嫌犯罪）"),
    "misconduct": _l("移送（违纪违法）"),
}
STATUS_BADGE = {"submitted": "blue", "triaged": "yellow", "replied": "green", "closed": "grey"}


def status_text(code: str) -> str:
    zh, en = observations.STATUS_LABELS.get(code, (code, code))
    return en if lang() == "en" else zh


@bp.context_processor
def _helpers():
    return {
        "status_text": status_text,
        "status_badge": STATUS_BADGE,
        "routing_labels": ROUTING_LABELS,
        "case_status_badges": STATUS_BADGES,
        "case_status_label": status_label,
    }


def _allowed(*permissions: Permission) -> None:
    user = acting_user()
    if not any(authz.has(user, p) for p in permissions):
        abort(403)


@bp.get("/")
@login_required
def index():
    _allowed(Permission.OBSERVATION_FILE, Permission.OBSERVATION_TRIAGE)
    session = get_session()
    user = acting_user()
    mine = []
    if authz.has(user, Permission.OBSERVATION_FILE):
        mine = observations.my_observations(session, user)
    region = None
    if authz.has(user, Permission.OBSERVATION_TRIAGE):
        region = cases.list_cases(
            session,
            user,
            definition_key=observations.PROCESS_KEY,
            page=page_number(request.args.get("page")),
        )
    names = group_names(session, [o.agency_code for o in mine])
    return render_template(
        "observations/index.html",
        mine=mine,
        region=region,
        region_page=_Page(region) if region is not None else None,
        names=names,
        case_url=case_url,
        now=clock.now(),
    )


class _Page:
    def __init__(self, page: cases.CasePage) -> None:
        self.page = page.page
        self.total = page.total
        self.pages = max(1, -(-page.total // page.per_page))


@bp.get("/<int:observation_id>")
@login_required
def show(observation_id: int):
    _allowed(Permission.OBSERVATION_FILE, Permission.OBSERVATION_TRIAGE)
    session = get_session()
    view = observations.get_observation(session, acting_user(), observation_id)
    names = group_names(session, [view.agency_code])
    return render_template("observations/show.html", o=view, names=names)


# ---------------------------------------------------------------- filing


def _shared_cases(user) -> list[tuple[str, str]]:
    """The numbered cases this supervisor may read (shared with them), for "about a case"."""
    page = cases.list_cases(get_session(), user, per_page=200)
    return [
        (c.case_no, f"{c.case_no} {c.title or ''}".strip())
        for c in page.items
        if c.case_no and c.definition_key != observations.PROCESS_KEY
    ]


def _uploads() -> tuple[list[attachments.Upload], str | None]:
    files = [f for f in request.files.getlist("media") if f and f.filename]
    if len(files) > MAX_FILES:
        return [], _("一次最多上传 %(n)s 个文件。", n=MAX_FILES)
    limit = current_app.config.get("ATTACHMENT_MAX_BYTES", attachments.MAX_BYTES)
    uploads = []
    for item in files:
        try:
            upload = attachments.Upload(item.filename, item.read(limit + 1), item.mimetype)
        finally:
            item.close()
        try:
            attachments.check_upload(upload, limit)
        except InvalidInputError as exc:
            return [], localized(exc.message)
        uploads.append(upload)
    return uploads, None


@bp.route("/new", methods=["GET", "POST"])
@login_required
@retry_on_conflict
def new():
    _allowed(Permission.OBSERVATION_FILE)
    session = get_session()
    user = acting_user()
    form = observations.OBSERVATION_FORM
    values: dict = {"about_case_no": request.args.get("case_no", "")}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = submitted_values(form, request.form)
        uploads, upload_error = _uploads()
        if upload_error:
            errors["media"] = upload_error
        else:
            try:
                row = observations.file_observation(
                    session, current_engine(), user, values, uploads=uploads, lang=lang()
                )
            except FormInvalidError as exc:
                errors = {k: localized(v) for k, v in exc.errors.items()}
            except InvalidInputError as exc:
                # The files were checked above: what is left is the case reference.
                errors["about_case_no"] = localized(exc.message)
            else:
                flash(_("已提交监督意见，监督机构将在3个工作日内登记研判。"), "success")
                return redirect(url_for("observations.show", observation_id=row.id))
    labels = {f.id: f.label for f in form.fields}
    labels["media"] = _("照片、视频或材料")
    return render_template(
        "observations/new.html",
        form=form,
        values=values,
        errors=errors,
        labels=labels,
        agencies=[(g.code, g.name) for g in bureaus(session)],
        shared=_shared_cases(user),
        max_files=MAX_FILES,
    ), (422 if errors else 200)
