"""`issueDocument` and `recordService`: number, generate and serve supervision documents."""

from __future__ import annotations

from sqlalchemy import select

from db.models import Document
from supervision import clock
from supervision import deadlines
from supervision import documents
from supervision.engine import HandlerContext
from supervision.errors import InvalidInputError
from supervision.handlers import handler


@handler("issueDocument", "签发文书：取发文字号、生成 Word 文书并存入案件")
def issue_document(ctx: HandlerContext, doc_type: str | None = None) -> dict:
    """Sign the document described by the case variables (field `type` or doc_type).

    Field `variable` also copies the number into a named variable (e.g. transfer_doc_no).
    Returns doc_no, doc_id, doc_type, signed_at.
    """
    code = doc_type or ctx.params.get("type") or ctx.data.get("doc_type")
    if not code:
        raise InvalidInputError("no document type: set the field `type` or the variable doc_type")
    values = dict(ctx.data)  # input parameters of the task (doc_title ...) are among them
    signer = ctx.data.get("signed_by") or ctx.actor
    document = documents.issue(
        ctx.session,
        ctx.instance,
        doc_type_code=str(code),
        variables=values,
        signed_by=signer,
        actor=ctx.actor,
        task_id=ctx.task_id,
    )
    result = {
        "doc_no": document.doc_no,
        "doc_id": document.id,
        "doc_type": document.doc_type,
        "signed_at": clock.local_now().isoformat(timespec="seconds"),
    }
    if ctx.params.get("variable"):
        result[str(ctx.params["variable"])] = document.doc_no
    return result


@handler("recordService", "文书送达：记录送达并从送达日起计算纠正期限")
def record_service(ctx: HandlerContext) -> dict:
    """Record service of the document `doc_id`; the correction period starts now (送达日).

    Uses served_at / service_method / received_by from the case when the form set them.
    Returns correction_due (end of day), correction_due_date, correction_pending and,
    for documents that may be objected to, objection_due.
    """
    document = ctx.session.scalar(select(Document).where(Document.id == ctx.data.get("doc_id")))
    if document is None or document.instance_id != ctx.instance.id:
        raise InvalidInputError("没有待送达的文书 (no document to serve)")
    served = ctx.data.get("served_at")
    served_at = deadlines.parse_instant(served) if served else ctx.now
    documents.serve(
        ctx.session,
        document,
        served_at=served_at,
        method=ctx.data.get("service_method"),
        received_by=ctx.data.get("received_by"),
        actor=ctx.actor,
    )
    kind = documents.doc_type(document.doc_type)
    due = document.data.get("correction_due")
    result = {
        "served_at": served_at.astimezone(clock.LOCAL_TZ).isoformat(timespec="seconds"),
        "correction_due": due,
        "correction_due_date": due[:10] if due else None,
        "correction_pending": due is not None,
    }
    if kind.objection:
        result["objection_due"] = documents.objection_due(ctx.session, served_at)
    return result


VIOLATION_TYPES = frozenset({"urge", "opinion", "decision", "bulletin", "personnel"})


@handler("summarizeDocuments", "汇总本案已制发文书：纠正期限（取最晚者）、是否制发决定书")
def summarize_documents(ctx: HandlerContext) -> dict:
    """What the documents of this round require: the latest correction due date among the
    documents served since the last verification (last_verified_at), and what was issued.

    Read from the Document rows rather than from variables, so parallel branches that each
    issued a document can never hide one another's period.
    """
    since = ctx.data.get("last_verified_at")
    since_at = deadlines.parse_instant(since) if since else None
    rows = ctx.session.scalars(
        select(Document).where(Document.instance_id == ctx.instance.id, Document.status != "void")
    ).all()
    dues = [
        d.due_at
        for d in rows
        if d.status == "served"
        and d.due_at is not None
        and (since_at is None or (d.served_at is not None and d.served_at > since_at))
    ]
    issued = sorted({d.doc_type for d in rows})
    due = max(dues).astimezone(clock.LOCAL_TZ).isoformat(timespec="seconds") if dues else None
    return {
        "correction_due": due,
        "correction_pending": due is not None,
        "issued_doc_types": issued,
        "decision_issued": "decision" in issued,
        "violation_found": bool(VIOLATION_TYPES & set(issued))
        or bool(ctx.data.get("can_fix_on_spot")),
    }
