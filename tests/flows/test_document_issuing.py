"""document_issuing (§2.5): review and sign-off loops, the government's 决定书, the .docx."""

from __future__ import annotations

import io
import zipfile

from supervision import documents
from supervision.identity import get_user

CASE = {
    "owner_unit_id": "jdk_510800",
    "case_title": "乱检查",
    "case_no": "JD-510800-2026-ZD-00009",
    "target_agency_id": "scjg_510800",
}
DRAFT = {
    "doc_subject": "涉企检查",
    "addressee_id": "scjg_510800",
    "facts_reasons": "多次检查未告知",
    "legal_basis": "《行政执法监督条例》第二十九条",
    "requirements": "撤销违法决定",
}


def test_sent_back_twice_then_signed_numbered_and_generated(flows):
    flows.at(2026, 5, 11, 9, 0)
    case = flows.start("document_issuing", "supervisor", {**CASE, "doc_type": "suggestion"})
    flows.complete("supervisor", case, "draft", {**DRAFT, "doc_type": "suggestion"})
    flows.complete("section_chief", case, "review", {"review_approved": False})
    flows.complete("supervisor", case, "draft", {**DRAFT, "doc_type": "suggestion"})
    flows.complete("section_chief", case, "review", {"review_approved": True})
    flows.complete("bureau_leader", case, "sign", {"sign_approved": False})
    assert "draft" in flows.tasks(case)  # numbers are taken at signing only: none yet
    assert flows.documents(case) == []
    flows.complete("supervisor", case, "draft", {**DRAFT, "doc_type": "suggestion"})
    flows.complete("section_chief", case, "review", {"review_approved": True})
    flows.complete("bureau_leader", case, "sign", {"sign_approved": True})
    flows.complete(
        "supervisor",
        case,
        "serve",
        {"service_method": "post", "served_at": "2026-05-12T10:00:00+08:00", "received_by": "王"},
    )
    (doc,) = flows.documents(case)
    assert doc.doc_no == "广司监建〔2026〕1号" and doc.status == "served"
    assert flows.var(case, "correction_due") == "2026-05-27T23:59:59+08:00"  # CD(15) [CUST:S32]
    with flows.runtime.sessions() as s:
        _, data = documents.document_file(s, get_user(s, "supervisor"), doc.id)
    text = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
    for expected in (
        "广元市司法局",
        "广司监建〔2026〕1号",
        "广元市市场监督管理局",
        "多次检查未告知",
    ):
        assert expected in text


def test_a_decision_goes_through_the_government_with_a_reminder(flows):
    flows.at(2026, 5, 11, 9, 0)
    case = flows.start("document_issuing", "supervisor", {**CASE, "doc_type": "decision"})
    flows.complete("supervisor", case, "draft", {**DRAFT, "doc_type": "decision"})
    flows.complete("section_chief", case, "review", {"review_approved": True})
    flows.complete("bureau_leader", case, "sign_request", {"request_approved": False})
    flows.complete("supervisor", case, "draft", {**DRAFT, "doc_type": "decision"})
    flows.complete("section_chief", case, "review", {"review_approved": True})
    flows.complete("bureau_leader", case, "sign_request", {"request_approved": True})
    (request,) = flows.outbox("Msg_GovDecisionRequest")
    assert request["variables"]["case_no"] == CASE["case_no"]
    flows.at(2026, 5, 26, 0, 0, 1)  # WD(10) without an answer: the reminder fires
    flows.fire_timers()
    assert "wait_gov" in flows.activities(case) and "remind_gov" in flows.activities(case)
    flows.message(
        "Msg_GovDecision", case, {"gov_decision": "approved", "gov_comment": "同意"}, "gov_liaison"
    )
    flows.complete(
        "supervisor",
        case,
        "serve",
        {"service_method": "system", "served_at": "2026-05-27T09:00:00+08:00"},
    )
    (doc,) = flows.documents(case)
    assert doc.doc_no == "广府执监决〔2026〕1号"  # the government's own code
    assert doc.data["organ"] == "广元市人民政府"
    assert flows.var(case, "objection_due") == "2026-06-06T23:59:59+08:00"  # CD(10)

    refused = flows.start(
        "document_issuing",
        "supervisor",
        {**CASE, "case_no": "JD-510800-2026-ZD-00010", "doc_type": "decision"},
    )
    flows.complete("supervisor", refused, "draft", {**DRAFT, "doc_type": "decision"})
    flows.complete("section_chief", refused, "review", {"review_approved": True})
    flows.complete("bureau_leader", refused, "sign_request", {"request_approved": True})
    flows.message("Msg_GovDecision", refused, {"gov_decision": "rejected"}, "gov_liaison")
    assert flows.case(refused).status == "completed"
    assert flows.documents(refused) == []
