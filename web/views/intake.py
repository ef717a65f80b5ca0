"""来电登记 (hotline intake): operators register 12345 tickets as complaint cases, see
possible duplicates before and after, and follow their tickets' status.

Validation, idempotency on the ticket number and masking are supervision.intake's; a
repeated ticket number leads to the case it already opened. Lists never show a full phone
or ID number: the ticket row keeps only masked values and a hash of the phone.
"""

from __future__ import annotations

from flask import Blueprint
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _

from db.models import HotlineTicket
from supervision import authz
from supervision import clock
from supervision import intake
from supervision.errors import FormInvalidError
from supervision.errors import NotFoundError
from supervision.permissions import Permission
from web import current_engine
from web.case_view import STATUS_BADGES
from web.case_view import case_status_label
from web.case_view import status_label
from web.database import get_session
from web.database import retry_on_conflict
from web.forms import page_number
from web.forms import submitted_values
from web.i18n import lang
from web.i18n import localized
from web.lookups import bureaus
from web.lookups import display_names
from web.lookups import group_names
from web.security import acting_user
from web.security import require
from web.views.designer import case_url

bp = Blueprint("intake", __name__, url_prefix="/intake")

PER_PAGE = 25
# The intake form in three parts, as the operator hears the call.
SECTIONS = (
    (
        "ticket",
        ("hotline_ticket_no", "source_channel", "dispatched_at", "request_type"),
        ("hotline_due_date", "urgency"),
    ),
    (
        "complainant",
        ("is_anonymous", "complainant_name", "complainant_phone", "complainant_id_no"),
        ("complainant_address", "confidentiality_requested", "callback_consent"),
    ),
    (
        "matter",
        ("respondent_agency_id", "act_type", "issue_type", "incident_date"),
        ("incident_location", "division_code", "complaint_text", "requested_outcome"),
    ),
)
SATISFACTION = {
    "satisfied": ("满意", "Satisfied", "green"),
    "basically_satisfied": ("基本满意", "Basically satisfied", "green"),
    "dissatisfied": ("不满意", "Dissatisfied", "red"),
}


def _fields(ids) -> list:
    return [intake.INTAKE_FORM.field(fid) for fid in ids]


def _sections():
    return [(name, _fields(first + second)) for name, first, second in SECTIONS]


def _option_names(field_id: str) -> dict[str, str]:
    field = intake.INTAKE_FORM.field(field_id)
    return {o.id: o.name for o in field.options} if field else {}


def satisfaction_label(code: str | None) -> tuple[str, str] | None:
    if code not in SATISFACTION:
        return None
    zh, en, colour = SATISFACTION[code]
    return (en if lang() == "en" else zh), colour


@bp.context_processor
def _intake_helpers():
    return {
        "satisfaction_label": satisfaction_label,
        "status_label": status_label,
        "status_badges": STATUS_BADGES,
        "case_status_label": case_status_label,
        "request_types": _option_names("request_type"),
    }


# ---------------------------------------------------------------- my tickets


@bp.get("/")
@require(Permission.CASE_INTAKE)
def index():
    session = get_session()
    user = acting_user()
    wanted = (request.args.get("ticket") or "").strip()
    if wanted:
        if _readable_ticket(wanted) is not None:
            return redirect(url_for("intake.ticket", ticket_no=wanted))
        flash(_("没有找到工单 %(no)s，或您无权查看。", no=wanted), "warning")
        return redirect(url_for("intake.index"))
    page = page_number(request.args.get("page"))
    rows = intake.tickets_of(session, user, page=page, per_page=PER_PAGE)
    total = intake.count_tickets(session, user)
    names = group_names(session, [t.respondent_code for t, _ in rows])
    return render_template(
        "intake/index.html",
        rows=rows,
        names=names,
        people=display_names(session, [t.created_by for t, _ in rows]),
        page=_Page(page, total),
        now=clock.now(),
        case_url=case_url,
    )


class _Page:
    def __init__(self, page: int, total: int) -> None:
        self.page = page
        self.total = total
        self.pages = max(1, -(-total // PER_PAGE))


def _readable_ticket(ticket_no: str):
    session = get_session()
    try:
        row, instance = intake.ticket(session, ticket_no)
    except NotFoundError:
        return None
    if instance is None or not authz.can_read_case(session, acting_user(), instance):
        return None
    return row, instance


@bp.get("/tickets/<ticket_no>")
@require(Permission.CASE_INTAKE)
def ticket(ticket_no: str):
    found = _readable_ticket(ticket_no)
    if found is None:
        abort(404)
    row, instance = found
    session = get_session()
    duplicates = intake.find_duplicates(
        session,
        phone_digest=row.phone_hash,
        respondent=row.respondent_code,
        exclude=row.ticket_no,
    )
    names = group_names(session, [row.respondent_code, *(d.respondent_code for d in duplicates)])
    return render_template(
        "intake/ticket.html",
        row=row,
        instance=instance,
        payload=row.payload or {},
        variables=instance.variables or {},
        duplicates=_with_reasons(duplicates, row.phone_hash, row.respondent_code),
        names=names,
        people=display_names(session, [row.created_by]),
        options={f.id: {o.id: o.name for o in f.options} for f in intake.INTAKE_FORM.fields},
        case_url=case_url(instance.id),
        now=clock.now(),
    )


def _with_reasons(rows: list[HotlineTicket], digest: str | None, respondent: str | None):
    """Each possible duplicate with why it matched (same caller, same respondent, both)."""
    result = []
    for other in rows:
        reasons = []
        if digest and other.phone_hash == digest:
            reasons.append(_("同一来电号码"))
        if respondent and other.respondent_code == respondent:
            reasons.append(_("同一被投诉机关"))
        result.append((other, reasons))
    return result


# ---------------------------------------------------------------- registering


@bp.route("/new", methods=["GET", "POST"])
@require(Permission.CASE_INTAKE)
@retry_on_conflict
def new():
    session = get_session()
    values: dict = {"source_channel": "hotline_phone", "urgency": "normal"}
    errors: dict[str, str] = {}
    duplicates = None
    if request.method == "POST":
        values = submitted_values(intake.INTAKE_FORM, request.form)
        duplicates = _with_reasons(
            intake.find_duplicates(
                session,
                phone=values.get("complainant_phone"),
                respondent=values.get("respondent_agency_id") or None,
                exclude=(values.get("hotline_ticket_no") or "").strip() or None,
            ),
            intake.phone_hash(values.get("complainant_phone")),
            values.get("respondent_agency_id") or None,
        )
        if request.form.get("action") != "check":
            try:
                result = intake.register_ticket(
                    session, current_engine(), acting_user(), values, lang=lang()
                )
            except FormInvalidError as exc:
                errors = {k: localized(v) for k, v in exc.errors.items()}
            else:
                return _registered(result)
    names = group_names(session, [d.respondent_code for d, _ in duplicates or []])
    return render_template(
        "intake/new.html",
        sections=_sections(),
        values=values,
        errors=errors,
        labels={f.id: f.label for f in intake.INTAKE_FORM.fields},
        respondents=[(g.code, g.name) for g in bureaus(session)],
        duplicates=duplicates,
        names=names,
        checked=request.form.get("action") == "check",
    ), (422 if errors else 200)


def _registered(result: intake.IntakeResult):
    instance = result.instance
    ticket_no = instance.business_key
    if result.created:
        flash(
            _("已登记工单 %(no)s，案件已开始办理。", no=ticket_no),
            "success",
        )
    else:
        flash(
            _("工单编号 %(no)s 已经登记过，以下是它对应的案件；本次未重复登记。", no=ticket_no),
            "warning",
        )
    if ticket_no and _readable_ticket(ticket_no) is not None:
        return redirect(url_for("intake.ticket", ticket_no=ticket_no))
    # Registered by another centre: the operator may not read that case.
    return redirect(url_for("intake.index"))
