"""Hotline intake (来电登记): a 12345 ticket becomes a complaint case, exactly once.

The web form of the hotline operators and the hotline system's API share this module: the
same fields (domain.md §2.1.3), the same validation, the same idempotency on the ticket
number (a repeat returns the existing case, also when two requests race), the same masking
of phone and ID numbers in lists, and the same duplicate search.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import CaseParticipant
from db.models import Group
from db.models import HotlineTicket
from db.models import ProcessInstance
from db.models import User
from supervision import cases
from supervision import clock
from supervision import forms
from supervision import messages
from supervision.engine import WorkflowEngine
from supervision.errors import FormInvalidError
from supervision.errors import NotFoundError
from supervision.forms import FormField
from supervision.forms import FormOption
from supervision.forms import FormView
from supervision.permissions import Permission

PROCESS_KEY = "complaint_intake"
TICKET_MESSAGE = "Msg_HotlineTicket"
CALLBACK_MESSAGE = "Msg_HotlineCallback"
DUPLICATE_WINDOW_DAYS = 90


def _options(*pairs: tuple[str, str]) -> tuple[FormOption, ...]:
    return tuple(FormOption(code, label) for code, label in pairs)


SOURCE_CHANNELS = _options(
    ("hotline_phone", "12345电话"),
    ("hotline_web", "12345网站"),
    ("app", "APP"),
    ("letter", "来信"),
    ("visit", "来访"),
    ("invited_supervisor", "特邀监督员"),
    ("superior", "上级交办"),
    ("other", "其他"),
)
REQUEST_TYPES = _options(
    ("complaint", "投诉"),
    ("report", "举报"),
    ("consult", "咨询"),
    ("help", "求助"),
    ("suggestion", "意见建议"),
)
ACT_TYPES = _options(
    ("licensing", "行政许可"),
    ("penalty", "行政处罚"),
    ("coercion", "行政强制"),
    ("inspection", "行政检查"),
    ("expropriation", "行政征收征用"),
    ("benefit", "行政给付"),
    ("other", "其他"),
)
ISSUE_TYPES = _options(
    ("subject", "主体资格"),
    ("procedure", "程序违法"),
    ("decision", "决定违法或明显不当"),
    ("case_not_opened", "有案不立"),
    ("buck_passing", "推诿扯皮"),
    ("fine_instead_of_regulate", "以罚代管"),
    ("cross_region", "违规异地执法"),
    ("profit_driven", "趋利性执法"),
    ("arbitrary_fees", "乱收费"),
    ("arbitrary_fines", "乱罚款"),
    ("arbitrary_inspections", "乱检查"),
    ("arbitrary_seizures", "乱查封"),
    ("uncivil", "不文明执法"),
    ("credentials", "证件装备着装"),
)
URGENCY = _options(("normal", "一般"), ("urgent", "紧急"))


def _field(
    fid: str,
    label: str,
    ftype: str = "string",
    *,
    required: bool = False,
    options: tuple[FormOption, ...] = (),
    maxlength: int | None = None,
    pattern: str | None = None,
) -> FormField:
    constraints: list[tuple[str, str | None]] = []
    if required:
        constraints.append(("required", None))
    if maxlength:
        constraints.append(("maxlength", str(maxlength)))
    if pattern:
        constraints.append(("pattern", pattern))
    return FormField(
        id=fid, label=label, type=ftype, options=options, constraints=tuple(constraints)
    )


TICKET_NO_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_\-]{3,63}"
PHONE_PATTERN = r"(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})"
ID_PATTERN = r"\d{17}[\dXx]"

INTAKE_FORM = FormView(
    fields=(
        _field("hotline_ticket_no", "工单编号", required=True, pattern=TICKET_NO_PATTERN),
        _field("source_channel", "来源渠道", "enum", required=True, options=SOURCE_CHANNELS),
        _field("dispatched_at", "派单时间", "datetime"),
        _field("request_type", "诉求类型", "enum", required=True, options=REQUEST_TYPES),
        _field("hotline_due_date", "热线办结时限", "date"),
        _field("urgency", "紧急程度", "enum", options=URGENCY),
        _field("is_anonymous", "是否匿名", "boolean"),
        _field("complainant_name", "诉求人姓名", maxlength=50),
        _field("complainant_id_no", "证件号码", pattern=ID_PATTERN),
        _field("complainant_phone", "联系电话", pattern=PHONE_PATTERN),
        _field("complainant_address", "联系地址", maxlength=200),
        _field("confidentiality_requested", "是否要求保密", "boolean"),
        _field("callback_consent", "是否同意回访", "boolean"),
        _field("respondent_agency_id", "被投诉执法机关", "group"),
        _field("act_type", "执法行为类别", "enum", options=ACT_TYPES),
        _field("issue_type", "问题类型", "enum", options=ISSUE_TYPES),
        _field("incident_date", "事发时间", "date"),
        _field("incident_location", "事发地点", maxlength=200),
        _field("division_code", "行政区划代码", pattern=r"\d{6}(\d{3}(\d{3})?)?"),
        _field("complaint_text", "诉求内容", "textarea", required=True, maxlength=5000),
        _field("requested_outcome", "诉求事项", "textarea", maxlength=2000),
    )
)
PERSONAL_FIELDS = (
    "complainant_name",
    "complainant_id_no",
    "complainant_phone",
    "complainant_address",
)


def valid_id_number(value: str) -> bool:
    """GB 11643 check digit of an 18-character resident ID number."""
    if not re.fullmatch(ID_PATTERN, value or ""):
        return False
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(value[:17], weights, strict=True))
    return "10X98765432"[total % 11] == value[17].upper()


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def mask_id(id_no: str | None) -> str:
    if not id_no:
        return ""
    return f"{id_no[:4]}{'*' * max(len(id_no) - 8, 0)}{id_no[-4:]}"


def mask_name(name: str | None) -> str:
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1) if len(name) > 1 else "*"


def phone_hash(phone: str | None) -> str | None:
    if not phone:
        return None
    return hashlib.sha256(re.sub(r"\D", "", phone).encode()).hexdigest()


def validate_ticket(session: Session, data: Mapping[str, Any], *, lang: str = "zh") -> dict:
    """Convert and check the intake fields; FormInvalidError names every bad field."""
    known = {f.id for f in INTAKE_FORM.fields}
    unknown = {k: forms.message("unknown_field", lang) for k in data if k not in known}
    try:
        cleaned = forms.validate(
            INTAKE_FORM,
            {k: v for k, v in data.items() if k in known},
            lookups=cases.lookups(session),
            lang=lang,
        )
    except FormInvalidError as exc:
        raise FormInvalidError({**exc.errors, **unknown}) from exc
    errors = dict(unknown)
    anonymous = bool(cleaned.get("is_anonymous"))
    if anonymous:
        # Anonymous items carry no personal data at all (domain.md §1.4 rule 7).
        for name in PERSONAL_FIELDS:
            cleaned[name] = None
        cleaned["callback_consent"] = False
    else:
        for name in ("complainant_name", "complainant_phone"):
            if not cleaned.get(name):
                errors[name] = (
                    "实名诉求须填写此项"
                    if lang.startswith("zh")
                    else "Required unless the complainant is anonymous"
                )
    id_no = cleaned.get("complainant_id_no")
    if id_no and not valid_id_number(id_no):
        errors["complainant_id_no"] = (
            "证件号码校验位不正确"
            if lang.startswith("zh")
            else "The ID number's check digit is wrong"
        )
    if errors:
        raise FormInvalidError(errors)
    cleaned.setdefault("urgency", "normal")
    if not cleaned.get("dispatched_at"):
        cleaned["dispatched_at"] = clock.local_now().isoformat(timespec="seconds")
    cleaned["case_title"] = _title(session, cleaned)
    return cleaned


def _title(session: Session, values: Mapping[str, Any]) -> str:
    respondent = values.get("respondent_agency_id")
    name = (
        session.scalar(select(Group.name).where(Group.code == respondent)) if respondent else None
    )
    kind = dict((o.id, o.name) for o in REQUEST_TYPES).get(values.get("request_type"), "诉求")
    text = (values.get("complaint_text") or "").strip().replace("\n", " ")
    summary = text[:30] + ("…" if len(text) > 30 else "")
    return f"{kind}：{name + '，' if name else ''}{summary}"[:300]


@dataclass
class IntakeResult:
    instance: ProcessInstance
    created: bool


def register_ticket(
    session: Session,
    engine: WorkflowEngine,
    actor: User,
    data: Mapping[str, Any],
    *,
    lang: str = "zh",
) -> IntakeResult:
    """Open a complaint case for a hotline ticket, or return the case it already opened."""
    from supervision import authz

    authz.require(actor, Permission.CASE_INTAKE)
    ticket_no = str(data.get("hotline_ticket_no") or "").strip()
    existing = _existing(session, ticket_no)
    if existing is not None:
        return IntakeResult(existing, False)
    values = validate_ticket(session, data, lang=lang)
    ticket = HotlineTicket(
        ticket_no=values["hotline_ticket_no"],
        instance_id=None,
        request_type=values["request_type"],
        phone_hash=phone_hash(values.get("complainant_phone")),
        respondent_code=values.get("respondent_agency_id"),
        received_at=clock.now(),
        created_by=actor.username,
        payload=_without_personal(values),
    )
    try:
        # The ticket row goes in first and holds the number: a concurrent repeat blocks on
        # it and then fails here, and returns the case the winner created.
        with session.begin_nested():
            session.add(ticket)
            session.flush()
    except IntegrityError:
        found = _existing(session, values["hotline_ticket_no"])
        if found is None:
            raise
        return IntakeResult(found, False)
    result = cases.start_case(
        session,
        engine,
        actor,
        key=PROCESS_KEY,
        business_key=values["hotline_ticket_no"],
        variables=values,
        message_name=TICKET_MESSAGE,
        permission=Permission.CASE_INTAKE,
    )
    ticket.instance_id = result.instance.id
    for group in actor.groups:
        session.add(
            CaseParticipant(
                instance_id=result.instance.id,
                group_code=group.code,
                reason="intake",
                created_by=actor.username,
            )
        )
    return IntakeResult(result.instance, True)


def _existing(session: Session, ticket_no: str) -> ProcessInstance | None:
    if not ticket_no:
        return None
    instance_id = session.scalar(
        select(HotlineTicket.instance_id).where(HotlineTicket.ticket_no == ticket_no)
    )
    return session.get(ProcessInstance, instance_id) if instance_id else None


def _without_personal(values: Mapping[str, Any]) -> dict[str, Any]:
    """What the ticket row keeps for lists: personal data masked."""
    kept = {k: v for k, v in values.items() if k not in PERSONAL_FIELDS}
    kept["complainant_phone_masked"] = mask_phone(values.get("complainant_phone"))
    kept["complainant_name_masked"] = mask_name(values.get("complainant_name"))
    return kept


def find_duplicates(
    session: Session,
    *,
    phone: str | None = None,
    respondent: str | None = None,
    exclude: str | None = None,
    limit: int = 20,
    phone_digest: str | None = None,
) -> list[HotlineTicket]:
    """Recent tickets from the same phone number or about the same respondent.

    `phone_digest` is a stored HotlineTicket.phone_hash, for looking from one ticket to the
    others of the same caller once the number itself is no longer at hand.
    """
    conditions = []
    digest = phone_hash(phone) or phone_digest
    if digest:
        conditions.append(HotlineTicket.phone_hash == digest)
    if respondent:
        conditions.append(HotlineTicket.respondent_code == respondent)
    if not conditions:
        return []
    since = clock.now() - timedelta(days=DUPLICATE_WINDOW_DAYS)
    stmt = select(HotlineTicket).where(or_(*conditions), HotlineTicket.received_at >= since)
    if exclude:
        stmt = stmt.where(HotlineTicket.ticket_no != exclude)
    return list(session.scalars(stmt.order_by(HotlineTicket.received_at.desc()).limit(limit)))


def tickets_of(
    session: Session, actor: User, *, page: int = 1, per_page: int = 25
) -> list[tuple[HotlineTicket, ProcessInstance | None]]:
    """The tickets this operator's centre registered, newest first, with their cases."""
    from supervision import authz

    stmt = (
        select(HotlineTicket, ProcessInstance)
        .join(ProcessInstance, ProcessInstance.id == HotlineTicket.instance_id)
        .where(authz.case_filter(actor))
        .order_by(HotlineTicket.received_at.desc())
        .offset((max(page, 1) - 1) * per_page)
        .limit(per_page)
    )
    return [(t, i) for t, i in session.execute(stmt).all()]


def count_tickets(session: Session, actor: User) -> int:
    """How many tickets `tickets_of` pages through for this operator."""
    from sqlalchemy import func

    from supervision import authz

    return (
        session.scalar(
            select(func.count(HotlineTicket.ticket_no))
            .join(ProcessInstance, ProcessInstance.id == HotlineTicket.instance_id)
            .where(authz.case_filter(actor))
        )
        or 0
    )


def ticket(session: Session, ticket_no: str) -> tuple[HotlineTicket, ProcessInstance]:
    row = session.get(HotlineTicket, ticket_no)
    if row is None or row.instance_id is None:
        raise NotFoundError(f"工单 {ticket_no} 不存在 (no such ticket)")
    return row, session.get(ProcessInstance, row.instance_id)


SATISFACTION = ("satisfied", "basically_satisfied", "dissatisfied")


def record_callback(
    session: Session,
    engine: WorkflowEngine,
    actor: User,
    ticket_no: str,
    *,
    satisfaction: str,
    reason: str | None = None,
    callback_at: str | None = None,
) -> messages.CorrelationResult:
    """The hotline's callback result, delivered to the case as its message."""
    if satisfaction not in SATISFACTION:
        raise FormInvalidError({"satisfaction": f"must be one of {', '.join(SATISFACTION)}"})
    _, instance = ticket(session, ticket_no)
    variables = {
        "satisfaction": satisfaction,
        "dissatisfaction_reason": (reason or "").strip() or None,
        "callback_at": callback_at or clock.local_now().isoformat(timespec="seconds"),
    }
    return messages.correlate(
        session,
        engine,
        actor,
        CALLBACK_MESSAGE,
        business_key=ticket_no,
        instance_id=instance.id,
        variables=variables,
    )[0]
