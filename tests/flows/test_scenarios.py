"""Flow 1 投诉举报办理 (complaint_intake) through the services the web app uses."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

from supervision import authz
from supervision import intake
from supervision import numbering
from supervision.identity import get_user
from tests.flows.conftest import local

TICKET = {
    "hotline_ticket_no": "GY12345-20260302-0187",
    "source_channel": "hotline_phone",
    "dispatched_at": "2026-03-02T09:20:00+08:00",
    "request_type": "complaint",
    "is_anonymous": False,
    "complainant_name": "王丽",
    "complainant_phone": "13900005521",
    "callback_consent": True,
    "respondent_agency_id": "scjg_510800",
    "act_type": "inspection",
    "issue_type": "arbitrary_inspections",
    "incident_location": "利州区某餐馆",
    "complaint_text": "三周内被不同执法队伍检查四次，均未出示检查通知，也无书面检查结果。",
    "requested_outcome": "规范检查行为",
}


def end_of_day(year: int, month: int, day: int) -> datetime:
    return local(year, month, day, 23, 59, 59).astimezone(UTC)


def test_ts01_named_complaint_to_opinion_and_satisfied_close(flows):
    """TS-01: 12345 ticket → transfer → 意见书 → reply → satisfied callback → closed."""
    flows.at(2026, 3, 2, 9, 20)
    case = flows.ticket(TICKET)
    instance = flows.case(case)
    assert instance.variables["hotline_due_date"] == "2026-03-23"  # WD(15) [SRC:S5]
    assert instance.case_no == "JD-510800-2026-TS-00001"
    assert instance.owner_group_code == "jdk_510800"
    sign = flows.task(case, "sign_for")
    assert sign.candidate_groups == ["jdk_510800"]

    flows.at(2026, 3, 2, 10, 0)
    flows.complete("supervisor", case, "sign_for", {"dispatch_check": "ours"})
    assert flows.task(case, "screening").due_at == end_of_day(2026, 3, 5)  # WD(3)

    flows.at(2026, 3, 3, 9, 0)
    flows.complete(
        "supervisor",
        case,
        "screening",
        {"respondent_agency_id": "scjg_510800", "screening_note": "属于行政检查，受理"},
    )
    approval = flows.task(case, "approve_screening")
    assert approval.candidate_groups == ["jdk_510800_chief"]
    flows.complete("section_chief", case, "approve_screening", {"screening_approved": True})
    assert flows.var(case, "screening_outcome") == "transfer"

    flows.at(2026, 3, 4, 9, 0)
    assert flows.task(case, "transfer").due_at == end_of_day(2026, 3, 4)  # WD(1) of 03-03
    flows.complete(
        "supervisor",
        case,
        "transfer",
        {"target_agency_id": "scjg_510800", "instructions": "请核查并书面回复"},
    )
    flows.complete("section_chief", case, "approve_transfer", {"transfer_approved": True})
    assert flows.var(case, "bureau_due_date") == "2026-03-13"  # WD(7)
    transfer_no = flows.var(case, "transfer_doc_no")
    assert numbering.is_document_number(transfer_no) and transfer_no.startswith("广司监转〔2026〕")
    verify = flows.task(case, "verify")
    assert verify.candidate_groups == ["scjg_510800"]
    assert verify.due_at == end_of_day(2026, 3, 13)
    assert flows.case(case).bureau_code == "scjg_510800"
    with flows.runtime.sessions() as s:
        # The bureau sees the case but not the complainant's identity (§1.4 rule 5).
        bureau_user = get_user(s, "bureau_handler")
        assert authz.can_read_case(s, bureau_user, flows.case(case))
        assert not authz.can_see_personal(bureau_user, flows.case(case).variables)
        assert intake.mask_phone(flows.var(case, "complainant_phone")) == "139****5521"

    # Yellow card one working day before the bureau's due date.
    flows.at(2026, 3, 12, 0, 0, 1)
    assert flows.fire_timers() == 1
    assert flows.task(case, "verify").alert_level == "yellow"

    flows.at(2026, 3, 12, 15, 0)
    flows.complete(
        "bureau_handler",
        case,
        "verify",
        {
            "verified_by": "李强、陈晨",
            "verification_steps": "调阅检查记录，询问执法人员",
            "finding": "partly",
            "violation_items": "两次检查无检查计划",
        },
    )
    flows.complete("bureau_head", case, "approve_bureau_reply", {"head_approved": True})
    assert flows.task(case, "review").due_at == end_of_day(2026, 3, 16)  # WD(2)

    flows.at(2026, 3, 16, 10, 0)
    flows.complete(
        "supervisor",
        case,
        "review",
        {"review_opinion": "部分属实，制发意见书", "violation_found": True, "doc_type": "opinion"},
    )
    flows.complete(
        "supervisor",
        case,
        "draft",
        {
            "doc_type": "opinion",
            "doc_subject": "多次检查未告知",
            "addressee_id": "scjg_510800",
            "facts_reasons": "三周内四次检查，其中两次无检查计划",
            "legal_basis": "《行政执法监督条例》第十一条",
            "requirements": "规范涉企行政检查，制定检查计划",
        },
    )
    flows.complete("section_chief", case, "review", {"review_approved": True})
    flows.at(2026, 3, 17, 9, 0)
    flows.complete("bureau_leader", case, "sign", {"sign_approved": True})
    flows.complete(
        "supervisor",
        case,
        "serve",
        {"service_method": "system", "served_at": "2026-03-17T10:00:00+08:00"},
    )
    opinion = [d for d in flows.documents(case) if d.doc_type == "opinion"][0]
    assert numbering.DOC_NO_PATTERN.fullmatch(opinion.doc_no)
    assert opinion.doc_no == "广司监意〔2026〕1号"
    # The correction period runs from service (03-17), not from signing: CD(30).
    assert flows.var(case, "correction_due") == "2026-04-16T23:59:59+08:00"
    assert flows.var(case, "supervision_doc_no") == opinion.doc_no

    flows.at(2026, 3, 20, 9, 0)
    assert flows.task(case, "draft_reply").due_at == end_of_day(2026, 3, 20)  # due − WD(1)
    flows.complete(
        "supervisor",
        case,
        "draft_reply",
        {"reply_text": "经核查部分属实，已制发意见书责令纠正。", "reply_method": "phone"},
    )
    flows.complete("section_chief", case, "approve_reply", {"reply_approved": True})
    flows.complete(
        "supervisor",
        case,
        "reply_complainant",
        {"reply_method": "phone", "replied_to_complainant_at": "2026-03-20T10:00:00+08:00"},
    )
    feedback = flows.outbox("Msg_HotlineFeedback")
    assert len(feedback) == 1
    assert feedback[0]["variables"]["reply_text"].startswith("经核查部分属实")
    assert feedback[0]["business_key"] == TICKET["hotline_ticket_no"]

    flows.at(2026, 3, 24, 10, 0)
    with flows.runtime.sessions.begin() as s:
        intake.record_callback(
            s,
            flows.engine,
            get_user(s, "hotline_operator"),
            TICKET["hotline_ticket_no"],
            satisfaction="satisfied",
        )
    track = flows.task(case, "track_correction")
    assert track.due_at == end_of_day(2026, 4, 16)
    flows.at(2026, 4, 10, 9, 0)
    flows.complete("bureau_handler", case, "track_correction", {"correction_report": "已制定计划"})
    flows.complete("supervisor", case, "verify_correction", {"verification_result": "corrected"})
    flows.complete(
        "supervisor", case, "close_archive", {"archive_no": "2026-TS-1", "close_type": "replied"}
    )
    instance = flows.case(case)
    assert instance.status == "completed"
    assert instance.case_status == "CLOSED_SATISFIED"
