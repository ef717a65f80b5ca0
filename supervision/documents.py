"""Supervision documents (监督文书): types, numbering at signing, the .docx, service, voiding.

A document is issued (签发) inside the case's transaction: it takes the next 发文字号 of
its issuing organ and type (supervision.numbering), its Word file is generated from the
case's facts and stored as an Attachment, and a Document row links both to the case.
Service (送达) starts the correction period (domain.md §2.5 step 7, TS-01: "the correction
timer starts at service, not at signing"). A voided document keeps its number (作废).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from datetime import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Attachment
from db.models import Document
from db.models import Group
from db.models import ProcessInstance
from db.models import User
from supervision import attachments
from supervision import audit
from supervision import authz
from supervision import clock
from supervision import deadlines
from supervision import numbering
from supervision.calendar import calendar_cache
from supervision.document_render import DocumentContent
from supervision.document_render import render_docx
from supervision.errors import InvalidInputError
from supervision.errors import NotFoundError
from supervision.permissions import Permission
from supervision.settings import get_settings


@dataclass(frozen=True)
class DocType:
    code: str
    name: str
    name_en: str
    number_code: str  # 文种代字 [ASSUME]; overridable by the setting doc_type_codes
    issuer: str = "supervision"  # or "government" (决定书, S1 art. 29)
    correction: tuple[str, str] | None = None  # ("workdays" | "caldays", setting key)
    objection: bool = False  # S1 art. 30: the bureau may object
    escalation: bool = False  # S1 art. 29: ignoring it leads to a 决定书


DOC_TYPES: dict[str, DocType] = {
    t.code: t
    for t in (
        DocType("transfer", "转办函", "Transfer letter", "监转"),
        DocType("handdown", "交办函", "Hand-down letter", "监交"),
        DocType(
            "urge",
            "行政执法监督督办函",
            "Supervision urging letter",
            "监督",
            correction=("workdays", "urge_letter_correction_workdays"),
            escalation=True,
        ),
        DocType(
            "opinion",
            "行政执法监督意见书",
            "Supervision opinion",
            "监意",
            correction=("caldays", "opinion_correction_caldays"),
            objection=True,
            escalation=True,
        ),
        DocType(
            "decision",
            "行政执法监督决定书",
            "Supervision decision",
            "执监决",
            issuer="government",
            correction=("caldays", "opinion_correction_caldays"),
            objection=True,
        ),
        DocType(
            "suggestion",
            "行政执法监督建议书",
            "Supervision recommendation",
            "监建",
            correction=("caldays", "suggestion_reply_caldays"),
        ),
        DocType("notice", "行政执法监督通知书", "Supervision notice", "监通"),
        DocType("reminder_letter", "提醒函", "Reminder letter", "监提"),
        DocType("urge_notice", "催办通知书", "Overdue reminder notice", "监催"),
        DocType("lead_transfer", "问题线索移送函", "Lead transfer letter", "监移"),
        DocType("personnel", "行政执法人员处理建议书", "Proposal on an officer", "监处"),
        DocType("bulletin", "通报", "Circular", "监报"),
        DocType(
            "rectification",
            "整改通知书",
            "Rectification notice",
            "监改",
            correction=("caldays", "eval_rectification_caldays"),
        ),
        DocType("non_acceptance", "不予受理告知书", "Notice of non-acceptance", "监告"),
    )
}


def doc_type(code: str) -> DocType:
    try:
        return DOC_TYPES[code]
    except KeyError:
        raise InvalidInputError(
            f"未知文书类型 (unknown document type) {code!r}; known: {', '.join(DOC_TYPES)}"
        ) from None


def type_number_code(session: Session, kind: DocType) -> str:
    overrides = get_settings(session).get("doc_type_codes") or {}
    return str(overrides.get(kind.code) or kind.number_code)


# ---------------------------------------------------------------- issuing organ


@dataclass(frozen=True)
class Organ:
    group_code: str | None
    name: str
    doc_code: str


def _group(session: Session, code: str | None) -> Group | None:
    if not code:
        return None
    return session.scalar(select(Group).where(Group.code == code))


def issuing_organ(session: Session, kind: DocType, owner_unit: str | None) -> Organ:
    """Who issues: the owning supervision body's justice bureau, or its government (决定书)."""
    settings = get_settings(session)
    owner = _group(session, owner_unit) or _group(session, settings.get("default_owner_unit"))
    if kind.issuer == "government":
        region = (owner.region_code if owner else "")[:6]
        office = _group(session, f"zfb_{region}") or _group(
            session, settings.get("gov_office_unit")
        )
        if office is None or not office.doc_code:
            raise InvalidInputError(
                "未配置本级人民政府办公室及其发文代字 (no government office with a document code)"
            )
        government = office.parent.name if office.parent is not None else office.name
        return Organ(office.code, government, office.doc_code)
    bureau = owner.parent if owner is not None and owner.parent is not None else owner
    code = (owner.doc_code if owner else None) or (bureau.doc_code if bureau else None)
    code = code or str(settings.get("doc_agency_code") or "")
    name = bureau.name if bureau is not None else "广元市司法局"
    return Organ(owner.code if owner else None, name, code)


# ---------------------------------------------------------------- content


def _text(value: Any) -> str:
    return str(value).strip() if value not in (None, "") else ""


def _group_name(session: Session, code: Any) -> str | None:
    group = _group(session, str(code)) if code else None
    return group.name if group is not None else (str(code) if code else None)


def compose(
    session: Session, kind: DocType, variables: Mapping[str, Any], organ: Organ, number: str
) -> DocumentContent:
    """What the document says, from the case's facts. Personal data of a complainant is
    included only in a transfer letter and only when share_contact is set (§1.4 rule 5)."""
    v = variables
    subject = _text(v.get("doc_subject")) or _text(v.get("case_title")) or "有关行政执法问题"
    title = _text(v.get("doc_title")) or f"关于{subject}的{kind.name}"
    addressee = _group_name(session, v.get("addressee_id") or v.get("target_agency_id"))
    paragraphs: list[str] = []
    if kind.code in ("transfer", "handdown"):
        paragraphs.append(
            f"本机关收到诉求（工单编号：{_text(v.get('hotline_ticket_no')) or '无'}），"
            f"反映：{_text(v.get('complaint_text'))}"
        )
        if _text(v.get("requested_outcome")):
            paragraphs.append(f"诉求事项：{_text(v.get('requested_outcome'))}")
        if v.get("share_contact") and not v.get("is_anonymous"):
            paragraphs.append(
                f"诉求人：{_text(v.get('complainant_name'))}，联系电话："
                f"{_text(v.get('complainant_phone'))}（提供理由："
                f"{_text(v.get('share_contact_reason'))}）。请严格为诉求人保密。"
            )
        else:
            paragraphs.append("诉求人信息依法保密，不予提供。")
        if _text(v.get("instructions")):
            paragraphs.append(f"办理要求：{_text(v.get('instructions'))}")
        if _text(v.get("bureau_due_date")):
            paragraphs.append(
                f"请于{_text(v.get('bureau_due_date'))}前核查并书面回复本机关（核查人员不少于2人）。"
            )
    else:
        for label, key in (
            ("监督事项", "doc_subject"),
            ("查明的事实和理由", "facts_reasons"),
            ("依据", "legal_basis"),
            ("处理意见和要求", "requirements"),
        ):
            if _text(v.get(key)):
                paragraphs.append(f"{label}：{_text(v.get(key))}")
        if kind.correction is not None:
            unit, days = correction_period(session, kind, v)
            period = f"{days}个工作日" if unit == "workdays" else f"{days}日"
            paragraphs.append(f"请自收到本文书之日起{period}内纠正，并将纠正情况书面报送本机关。")
        if kind.objection:
            days = get_settings(session).get("objection_caldays")
            paragraphs.append(
                _text(v.get("objection_route"))
                or f"如有异议，可自收到本文书之日起{days}日内向本机关书面提出"
                "（《行政执法监督条例》第三十条）。"
            )
        if kind.escalation:
            paragraphs.append(
                "逾期不纠正的，本机关将依照《行政执法监督条例》第二十九条报请本级人民政府制发行政执法监督决定书。"
            )
    cc = [name for name in (_group_name(session, c) for c in _list(v.get("cc"))) if name]
    return DocumentContent(
        organ=organ.name,
        doc_no=number,
        title=title,
        addressee=addressee,
        paragraphs=paragraphs,
        signed_on=clock.local_now().date(),
        cc=cc,
        reference=_text(v.get("case_no")) or None,
    )


def _list(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, list | tuple):
        return [str(x) for x in value if x]
    return [x.strip() for x in str(value).replace("，", ",").split(",") if x.strip()]


# ---------------------------------------------------------------- services


def issue(
    session: Session,
    instance: ProcessInstance,
    *,
    doc_type_code: str,
    variables: Mapping[str, Any],
    signed_by: str | None,
    actor: str | None,
    task_id: str | None = None,
) -> Document:
    """Sign a document now: take its number, generate the .docx, store both on the case."""
    kind = doc_type(doc_type_code)
    organ = issuing_organ(session, kind, variables.get("owner_unit_id"))
    now = clock.now()
    year = now.astimezone(clock.LOCAL_TZ).year
    number = numbering.next_document_number(
        session, agency_code=organ.doc_code, type_code=type_number_code(session, kind), year=year
    )
    content = compose(session, kind, variables, organ, str(number))
    data = render_docx(content)
    stored = attachments.store(
        session,
        instance,
        attachments.Upload(filename=f"{number}.docx", content=data),
        actor=actor,
        task_id=task_id,
        kind="document",
    )
    document = Document(
        id=str(uuid.uuid4()),
        instance_id=instance.id,
        doc_type=kind.code,
        doc_no=str(number),
        title=content.title[:300],
        status="issued",
        year=year,
        serial=number.serial,
        addressee=str(variables.get("addressee_id") or variables.get("target_agency_id") or "")
        or None,
        data={
            "organ": organ.name,
            "organ_code": organ.group_code,
            "paragraphs": content.paragraphs,
            "case_no": variables.get("case_no"),
            "correction_caldays": variables.get("correction_caldays"),
        },
        attachment_id=stored.id,
        created_at=now,
        created_by=actor,
        signed_by=signed_by or actor,
        issued_at=now,
    )
    session.add(document)
    session.flush()
    audit.append(
        session,
        "document_issue",
        actor=actor,
        instance_id=instance.id,
        task_id=task_id,
        details={"document_id": document.id, "doc_no": document.doc_no, "type": kind.code},
    )
    return document


def correction_period(
    session: Session, kind: DocType, variables: Mapping[str, Any] | None = None
) -> tuple[str, int]:
    """(unit, days) of the correction period: the type's setting, or the case's own limit
    (correction_caldays, e.g. 责令限期移送 within CD(3), TS-05)."""
    override = (variables or {}).get("correction_caldays")
    if override not in (None, ""):
        return "caldays", int(override)
    unit, key = kind.correction
    return unit, int(get_settings(session)[key])


def correction_due(
    session: Session,
    kind: DocType,
    served_at: datetime,
    variables: Mapping[str, Any] | None = None,
) -> str | None:
    """When the bureau must report its correction: counted from service (送达)."""
    if kind.correction is None:
        return None
    unit, days = correction_period(session, kind, variables)
    settings = get_settings(session)
    try:
        end_of_day = time.fromisoformat(str(settings.get("deadline_end_of_day") or "23:59:59"))
    except ValueError:
        end_of_day = deadlines.END_OF_DAY
    count = deadlines.workdays if unit == "workdays" else deadlines.caldays
    return count(calendar_cache.get(session), clock.now(), days, served_at, end_of_day=end_of_day)


def objection_due(session: Session, served_at: datetime) -> str:
    """Last day for the bureau's objection (S1 art. 30; CD(10) from service [CUST:S32])."""
    days = int(get_settings(session)["objection_caldays"])
    return deadlines.caldays(calendar_cache.get(session), clock.now(), days, served_at)


def serve(
    session: Session,
    document: Document,
    *,
    served_at: datetime,
    method: str | None,
    received_by: str | None,
    actor: str | None,
) -> Document:
    if document.status == "void":
        raise InvalidInputError("已作废的文书不能送达 (a voided document cannot be served)")
    kind = doc_type(document.doc_type)
    document.served_at = served_at
    due = correction_due(session, kind, served_at, document.data)
    document.due_at = deadlines.parse_instant(due) if due else None
    document.status = "served"
    document.data = {
        **(document.data or {}),
        "service_method": method,
        "received_by": received_by,
        "correction_due": due,
    }
    audit.append(
        session,
        "document_serve",
        actor=actor,
        instance_id=document.instance_id,
        details={"document_id": document.id, "doc_no": document.doc_no, "due": due},
    )
    return document


def void(session: Session, actor: User, document_id: str, reason: str) -> Document:
    """作废: the document stays on record with its number, which is never issued again."""
    authz.require(actor, Permission.CASE_CANCEL)
    document = get_document(session, actor, document_id)
    if not (reason or "").strip():
        raise InvalidInputError("请填写作废理由 (give a reason)")
    if document.status == "void":
        return document
    document.status = "void"
    document.data = {**(document.data or {}), "void_reason": reason.strip()}
    audit.append(
        session,
        "document_void",
        actor=actor.username,
        instance_id=document.instance_id,
        details={"document_id": document.id, "doc_no": document.doc_no, "reason": reason},
    )
    return document


def get_document(session: Session, actor: User, document_id: str) -> Document:
    """A document the actor may read (documents inherit the case's visibility, §1.4 rule 8)."""
    document = session.get(Document, str(document_id))
    if document is None:
        raise NotFoundError("文书不存在 (no such document)")
    instance = session.get(ProcessInstance, document.instance_id)
    if instance is None or not authz.can_read_case(session, actor, instance):
        raise NotFoundError("文书不存在 (no such document)")
    return document


def documents_of(session: Session, actor: User, instance: ProcessInstance) -> list[Document]:
    authz.ensure_case(session, actor, instance)
    return list(
        session.scalars(
            select(Document)
            .where(Document.instance_id == instance.id)
            .order_by(Document.issued_at, Document.created_at)
        )
    )


def document_file(session: Session, actor: User, document_id: str) -> tuple[Document, bytes]:
    document = get_document(session, actor, document_id)
    if document.attachment_id is None:
        raise NotFoundError("文书没有文件 (the document has no file)")
    attachment = session.get(Attachment, document.attachment_id)
    if attachment is None:
        raise NotFoundError("文书文件缺失 (document file missing)")
    return document, attachments.read(attachment)
