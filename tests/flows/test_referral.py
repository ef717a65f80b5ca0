"""Flow 4 移送 (referral): every path of 行刑衔接 and of the 纪检监察 lead transfer."""

from __future__ import annotations

from datetime import UTC

from tests.flows.conftest import local

BASE = {"owner_unit_id": "jdk_510800", "target_agency_id": "scjg_510800", "case_title": "某案"}
CRIME = {
    "target_agency_id": "scjg_510800",
    "party_name": "某公司",
    "suspected_offence": "生产、销售伪劣产品罪",
}


def end_of_day(year, month, day):
    return local(year, month, day, 23, 59, 59).astimezone(UTC)


def criminal(flows, transferred=True) -> str:
    case = flows.start("referral", "supervisor", {**BASE, "referral_type": "CRIMINAL"})
    assert flows.var(case, "referral_no") == "JD-510800-2026-XS-00001"
    flows.complete(
        "supervisor", case, "assess_criminal", {**CRIME, "bureau_transferred": transferred}
    )
    return case


def report_and_decide(flows, case, decision="approve"):
    flows.complete(
        "bureau_handler",
        case,
        "task_force",
        {
            "task_force": "甲、乙",
            "report_summary": "报告",
            "report_submitted_at": "2026-06-01T09:00:00+08:00",
        },
    )
    flows.complete(
        "bureau_head",
        case,
        "head_decision",
        {
            "head_decision": decision,
            "reject_reason": "证据不足",
            "head_decided_at": "2026-06-01T15:00:00+08:00",
        },
    )


def transferred(flows, case):
    flows.complete(
        "bureau_handler",
        case,
        "transfer_case",
        {
            "transfer_doc_no": "广市监移〔2026〕1号",
            "psb_unit": "ga_510800",
            "transferred_at": "2026-06-02T09:00:00+08:00",
        },
    )


def test_rejected_then_ordered_transferred_late_receipt_overdue_police_and_procuratorate(flows):
    flows.at(2026, 6, 1, 9, 0)
    case = criminal(flows)
    report_and_decide(flows, case, "reject")
    flows.complete(
        "supervisor",
        case,
        "review_rejection",
        {"rejection_accepted": False, "rejection_review": "理由不成立"},
    )
    # Ordered to transfer by a 意见书 (CD(3) from service) ...
    flows.issue_document(
        case,
        {
            "doc_type": "opinion",
            "doc_subject": "责令移送",
            "addressee_id": "scjg_510800",
            "facts_reasons": "以罚代刑",
            "legal_basis": "国务院令第310号第十六条",
            "requirements": "限期移送",
        },
        served_at="2026-06-01T11:00:00+08:00",
    )
    (order,) = flows.documents(case)
    assert order.due_at == end_of_day(2026, 6, 4)
    report_and_decide(flows, case)
    flows.at(2026, 6, 2, 9, 0)
    transferred(flows, case)
    flows.at(2026, 6, 3, 9, 30)  # 24 hours without a receipt
    flows.fire_timers()
    assert "receipt_alert" in flows.activities(case)
    flows.message(
        "Msg_PSBReceipt", case, {"receipt_signed_at": "2026-06-03T10:00:00+08:00"}, "psb_liaison"
    )
    flows.at(2026, 6, 7, 0, 0, 1)  # three days after receipt without a decision
    flows.fire_timers()
    flows.complete("supervisor", case, "psb_overdue_action", {"psb_overdue_note": "建议检察监督"})
    flows.message(
        "Msg_PSBDecision",
        case,
        {
            "psb_decision": "declined",
            "psb_reason": "不构成犯罪",
            "psb_decided_at": "2026-06-08T10:00:00+08:00",
        },
        "psb_liaison",
    )
    flows.complete(
        "bureau_head",
        case,
        "decide_declined",
        {
            "declined_action": "procuratorate",
            "reconsider_requested_at": "2026-06-09T09:00:00+08:00",
        },
    )
    flows.complete("bureau_head", case, "suggest_procuratorate", {"procuratorate_suggested": False})
    flows.complete(
        "bureau_handler",
        case,
        "admin_handling",
        {"admin_decision": "罚款", "admin_decided_at": "2026-06-10T09:00:00+08:00"},
    )
    flows.complete("supervisor", case, "supervise_close", {"close_note": "已作行政处理"})
    assert flows.case(case).variables["referral_status"] == "CRIM_DECLINED_ADMIN_HANDLED"


def test_declined_and_accepted_or_reconsidered_and_reversed(flows):
    flows.at(2026, 6, 1, 9, 0)
    accepted = criminal(flows)
    report_and_decide(flows, accepted)
    transferred(flows, accepted)
    flows.message("Msg_PSBReceipt", accepted, {}, "psb_liaison")
    flows.message(
        "Msg_PSBDecision",
        accepted,
        {"psb_decision": "declined", "psb_decided_at": "2026-06-03T10:00:00+08:00"},
        "psb_liaison",
    )
    flows.complete(
        "bureau_head",
        accepted,
        "decide_declined",
        {"declined_action": "accept", "reconsider_requested_at": "2026-06-04T09:00:00+08:00"},
    )
    flows.complete(
        "bureau_handler",
        accepted,
        "admin_handling",
        {"admin_decision": "罚款", "admin_decided_at": "2026-06-05T09:00:00+08:00"},
    )
    flows.complete("supervisor", accepted, "supervise_close", {"close_note": "结束"})
    assert flows.case(accepted).variables["referral_status"] == "CRIM_DECLINED_ADMIN_HANDLED"

    reversed_ = flows.start("referral", "supervisor", {**BASE, "referral_type": "CRIMINAL"})
    flows.complete(
        "supervisor", reversed_, "assess_criminal", {**CRIME, "bureau_transferred": True}
    )
    report_and_decide(flows, reversed_)
    transferred(flows, reversed_)
    flows.message("Msg_PSBReceipt", reversed_, {}, "psb_liaison")
    flows.message(
        "Msg_PSBDecision",
        reversed_,
        {"psb_decision": "declined", "psb_decided_at": "2026-06-03T10:00:00+08:00"},
        "psb_liaison",
    )
    flows.complete(
        "bureau_head",
        reversed_,
        "decide_declined",
        {"declined_action": "reconsider", "reconsider_requested_at": "2026-06-04T09:00:00+08:00"},
    )
    assert flows.outbox("Msg_ReconsiderRequest")
    flows.at(2026, 6, 8, 0, 0, 1)  # the police's three days for the reconsideration passed
    flows.fire_timers()
    assert "reconsideration_alert" in flows.activities(reversed_)
    flows.message(
        "Msg_PSBReconsideration",
        reversed_,
        {"reconsider_result": "reversed", "reconsider_decided_at": "2026-06-08T10:00:00+08:00"},
        "psb_liaison",
    )
    flows.complete(
        "bureau_handler",
        reversed_,
        "hand_over_exhibits",
        {"exhibits_handed_over_at": "2026-06-09T10:00:00+08:00"},
    )
    flows.complete("supervisor", reversed_, "supervise_close", {"close_note": "已立案"})
    assert flows.case(reversed_).variables["referral_status"] == "CRIM_FILED"


def discipline(flows, recipient="jw_510800") -> str:
    case = flows.start("referral", "supervisor", {**BASE, "referral_type": "DISCIPLINE"})
    assert flows.var(case, "referral_no") == "JD-510800-2026-JJ-00001"
    flows.complete(
        "supervisor",
        case,
        "assemble_lead",
        {
            "lead_persons": "赵某，某局执法人员",
            "misconduct_type": "bribery",
            "facts_summary": "收受好处费",
            "recipient_unit": recipient,
        },
    )
    flows.complete("section_chief", case, "approve_lead_chief", {"lead_chief_approved": True})
    flows.complete("bureau_leader", case, "approve_lead_leader", {"lead_leader_approved": True})
    (letter,) = flows.documents(case)
    assert letter.doc_no == "广司监移〔2026〕1号"
    flows.complete(
        "supervisor",
        case,
        "deliver_lead",
        {"delivery_method": "confidential", "sent_at": "2026-06-15T09:00:00+08:00"},
    )
    return case


def test_lead_receipt_reminder_forwarded_reminded_and_returned(flows):
    flows.at(2026, 6, 15, 9, 0)
    case = discipline(flows)
    (sent,) = flows.outbox("Msg_LeadTransfer")
    assert sent["variables"]["recipient_unit"] == "jw_510800"
    flows.at(2026, 6, 19, 0, 0, 1)  # no receipt by the end of 06-18 (WD(3))
    flows.fire_timers()
    assert "lead_receipt_alert" in flows.activities(case)
    flows.message("Msg_LeadReceipt", case, {"received_at": "2026-06-18T10:00:00+08:00"}, "liaison")
    flows.message(
        "Msg_LeadForwarded",
        case,
        {"forwarded_to": "jw_510822", "forwarded_at": "2026-06-23T10:00:00+08:00"},
        "liaison",
    )
    flows.complete("supervisor", case, "record_forward", {"continue_tracking": True})
    flows.at(2026, 9, 22, 9, 0)  # CD(90) without feedback: a reminder, and it keeps waiting
    flows.fire_timers()
    assert "feedback_reminder_alert" in flows.activities(case)
    assert flows.case(case).status == "active"
    flows.message("Msg_LeadReturned", case, {"return_reason": "不属线索"}, "liaison")
    flows.complete("supervisor", case, "record_return", {"return_note": "另行处理"})
    assert flows.case(case).variables["referral_status"] == "DISC_RETURNED"

    stopped = flows.start("referral", "supervisor", {**BASE, "referral_type": "DISCIPLINE"})
    flows.complete(
        "supervisor",
        stopped,
        "assemble_lead",
        {
            "lead_persons": "某人",
            "misconduct_type": "other",
            "facts_summary": "事实",
            "recipient_unit": "jw_510800",
        },
    )
    flows.complete("section_chief", stopped, "approve_lead_chief", {"lead_chief_approved": True})
    flows.complete("bureau_leader", stopped, "approve_lead_leader", {"lead_leader_approved": True})
    flows.complete(
        "supervisor",
        stopped,
        "deliver_lead",
        {"delivery_method": "in_person", "sent_at": "2026-09-22T09:00:00+08:00"},
    )
    flows.message("Msg_LeadReceipt", stopped, {}, "liaison")
    flows.message("Msg_LeadForwarded", stopped, {"forwarded_to": "jw_510822"}, "liaison")
    flows.complete("supervisor", stopped, "record_forward", {"continue_tracking": False})
    assert flows.case(stopped).variables["referral_status"] == "DISC_FORWARDED"
