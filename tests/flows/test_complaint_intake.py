"""Flow 1 投诉举报办理: every branch, timer and message, through the service layer."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import select

from db.models import Notification
from supervision.calendar import calendar_cache
from tests.flows.conftest import local

TICKET = {
    "source_channel": "hotline_phone",
    "request_type": "complaint",
    "complainant_name": "陈某",
    "complainant_phone": "13800001111",
    "callback_consent": True,
    "respondent_agency_id": "scjg_510800",
    "complaint_text": "执法检查未出示证件。",
}
DIRECT = {
    "source_channel": "letter",
    "request_type": "complaint",
    "case_title": "来信反映执法问题",
    "complainant_name": "赵某",
    "complainant_phone": "13900002222",
    "respondent_agency_id": "scjg_510800",
    "complaint_text": "来信反映执法人员态度粗暴。",
}


def end_of_day(year, month, day):
    return local(year, month, day, 23, 59, 59).astimezone(UTC)


def ticket(flows, number: str, **fields) -> str:
    dispatched = local(*flows_now(flows)).isoformat()
    return flows.ticket(
        {**TICKET, "hotline_ticket_no": number, "dispatched_at": dispatched, **fields}
    )


def flows_now(flows):
    from supervision import clock

    now = clock.local_now()
    return now.year, now.month, now.day, now.hour, now.minute


def notified(flows, username: str) -> str:
    with flows.runtime.sessions() as s:
        titles = s.scalars(select(Notification.title).where(Notification.username == username))
        return " | ".join(titles)


def screen(flows, case, approve=True, **flags):
    values = {"respondent_agency_id": "scjg_510800", "screening_note": "审查意见", **flags}
    flows.complete("supervisor", case, "screening", values)
    flows.complete("section_chief", case, "approve_screening", {"screening_approved": approve})


def transfer(flows, case, **extra):
    flows.complete(
        "supervisor",
        case,
        "transfer",
        {"target_agency_id": "scjg_510800", "instructions": "请核查", **extra},
    )
    flows.complete("section_chief", case, "approve_transfer", {"transfer_approved": True})


VERIFY = {"verified_by": "甲、乙", "verification_steps": "调查", "finding": "partly"}


def bureau_replies(flows, case, head_approves=True):
    flows.complete("bureau_handler", case, "verify", VERIFY)
    flows.complete("bureau_head", case, "approve_bureau_reply", {"head_approved": head_approves})


def reply(flows, case, named=True):
    flows.complete(
        "supervisor", case, "draft_reply", {"reply_text": "答复", "reply_method": "phone"}
    )
    flows.complete("section_chief", case, "approve_reply", {"reply_approved": True})
    if named:
        flows.complete(
            "supervisor",
            case,
            "reply_complainant",
            {"reply_method": "phone", "replied_to_complainant_at": "2026-03-20T10:00:00+08:00"},
        )


def close(flows, case):
    flows.complete("supervisor", case, "close_archive", {"close_type": "replied"})


def test_a_misdispatched_ticket_is_returned_or_the_return_refused(flows):
    flows.at(2026, 3, 2, 9, 0)
    returned = ticket(flows, "GY-RET-1")
    flows.complete("supervisor", returned, "sign_for", {"dispatch_check": "wrong_unit"})
    assert flows.task(returned, "request_return").due_at == end_of_day(2026, 3, 4)  # WD(2)
    flows.complete("supervisor", returned, "request_return", {"return_reason": "属市场监管局职责"})
    flows.complete("section_chief", returned, "approve_return", {"return_approved": True})
    (request,) = flows.outbox("Msg_ReturnRequest")
    assert request["variables"]["return_reason"] == "属市场监管局职责"
    flows.message("Msg_ReturnResult", returned, {"return_result": "accepted"})
    assert flows.case(returned).case_status == "RETURNED"
    assert flows.case(returned).status == "completed"

    refused = ticket(flows, "GY-RET-2")
    flows.complete("supervisor", refused, "sign_for", {"dispatch_check": "not_enforcement_conduct"})
    flows.complete("supervisor", refused, "request_return", {"return_reason": "民事纠纷"})
    flows.complete("section_chief", refused, "approve_return", {"return_approved": True})
    flows.message(
        "Msg_ReturnResult", refused, {"return_result": "rejected", "return_comment": "属执法"}
    )
    assert "screening" in flows.tasks(refused)  # the hotline's answer is final: we screen it

    kept = ticket(flows, "GY-RET-3")
    flows.complete("supervisor", kept, "sign_for", {"dispatch_check": "wrong_unit"})
    flows.complete("supervisor", kept, "request_return", {"return_reason": "不确定"})
    flows.complete("section_chief", kept, "approve_return", {"return_approved": False})
    assert "screening" in flows.tasks(kept)


def test_direct_intake_and_every_screening_outcome_before_transfer(flows):
    flows.at(2026, 3, 2, 9, 0)

    def direct(**fields):
        return flows.start_form("complaint_intake", "supervisor", {**DIRECT, **fields})

    merged = direct()
    assert flows.case(merged).case_no.startswith("JD-510800-2026-TS-")
    assert flows.task(merged, "screening").due_at == end_of_day(2026, 3, 9)  # WD(5) direct
    screen(flows, merged, approve=False)  # sent back to screening
    screen(flows, merged, duplicate_without_new_facts=True, merged_into_case_no="GY-1")
    flows.complete(
        "supervisor", merged, "merge_ticket", {"merged_into_case_no": "GY-1", "notice_text": "并单"}
    )
    assert flows.case(merged).case_status == "MERGED"
    assert flows.outbox("Msg_HotlineFeedback") == []  # no 12345 ticket, no hotline feedback

    redirected = direct()
    screen(
        flows,
        redirected,
        eligible_for_reconsideration_or_litigation=True,
        seeks_individual_remedy=True,
    )
    assert flows.var(redirected, "rejection_code") == "ELIGIBLE_REVIEW_LITIGATION"
    notice = flows.var(redirected, "notice_text")
    flows.complete(
        "supervisor",
        redirected,
        "notify_decline",
        {"notice_text": notice, "notice_method": "written"},
    )
    assert flows.case(redirected).case_status == "REDIRECTED_REVIEW_LITIGATION"

    no_facts = direct()
    screen(flows, no_facts, no_specific_respondent_or_facts=True)
    assert flows.var(no_facts, "rejection_code") == "NO_FACTS"
    flows.complete(
        "supervisor", no_facts, "notify_decline", {"notice_text": "请补充", "notice_method": "sms"}
    )
    assert flows.case(no_facts).case_status == "NOT_ACCEPTED_NOTIFIED"

    discipline = direct()
    screen(flows, discipline, discipline_only=True)
    assert flows.var(discipline, "rejection_code") == "DISCIPLINE"
    flows.complete(
        "supervisor",
        discipline,
        "notify_decline",
        {
            "notice_text": "请向纪检监察机关反映",
            "notice_method": "written",
            "discipline_forward": True,
        },
    )
    flows.complete(
        "supervisor",
        discipline,
        "assemble_lead",
        {
            "lead_persons": "某执法人员",
            "misconduct_type": "other",
            "facts_summary": "违纪",
            "recipient_unit": "jw_510800",
        },
    )
    flows.complete(
        "section_chief", discipline, "approve_lead_chief", {"lead_chief_approved": False}
    )
    flows.complete(
        "bureau_leader", discipline, "approve_lead_leader", {"lead_leader_approved": False}
    )
    done = flows.case(discipline)
    assert done.case_status == "NOT_ACCEPTED_NOTIFIED"
    assert done.variables["discipline_referral_status"] == "DISC_NOT_APPROVED"

    # An anonymous item without specific facts is kept as a lead (Flow 3), not rejected.
    lead = direct(is_anonymous=True, complainant_name=None, complainant_phone=None)
    screen(flows, lead, no_specific_respondent_or_facts=True)
    assert flows.var(lead, "screening_outcome") == "lead"
    flows.complete("supervisor", lead, "interim_reply", {"notice_text": "已作为线索登记"})
    assert flows.case(lead).case_status == "ESCALATED_TO_P3"
    (major,) = flows.children(lead)
    assert major.definition_key == "major_case_supervision"
    assert major.variables["lead_source"] == "12345"
    assert "register_lead" in flows.tasks(major.id)


def test_bureau_extension_cards_escalation_and_the_hotline_deadline(flows):
    flows.at(2026, 3, 2, 9, 0)
    case = ticket(flows, "GY-LATE-1")
    flows.complete("supervisor", case, "sign_for", {"dispatch_check": "ours"})
    screen(flows, case)
    transfer(flows, case)
    assert flows.var(case, "bureau_due_date") == "2026-03-11"  # WD(7) from 03-02
    # The bureau asks for more time on its form; the chief grants 3 working days once and
    # asks 12345 for an extension too. The cards then follow the new deadline.
    flows.complete(
        "bureau_handler",
        case,
        "verify",
        {**VERIFY, "request_extension": True, "extension_days": 5, "extension_reason": "取证"},
    )
    flows.complete(
        "section_chief",
        case,
        "decide_extension",
        {"extension_granted": True, "extension_days_granted": 3, "ask_hotline_extension": True},
    )
    assert flows.outbox("Msg_HotlineExtensionRequest")[0]["variables"]["bureau_due_date"] == (
        "2026-03-16"
    )
    assert flows.task(case, "verify").due_at == end_of_day(2026, 3, 16)
    # A second request is ignored: the extension was used.
    flows.complete("bureau_handler", case, "verify", {**VERIFY, "request_extension": True})
    flows.complete("bureau_head", case, "approve_bureau_reply", {"head_approved": False})
    assert "verify" in flows.tasks(case)  # the head sent it back

    flows.at(2026, 3, 13, 0, 0, 1)  # one working day before 03-16: yellow
    flows.fire_timers()
    assert flows.task(case, "verify").alert_level == "yellow"
    flows.at(2026, 3, 17, 0, 0, 1)  # first working day after the due date: red
    flows.fire_timers()
    assert flows.task(case, "verify").alert_level == "red"
    flows.complete("supervisor", case, "urge_notice", {"urge_requirements": "尽快报送"})
    (notice,) = [d for d in flows.documents(case) if d.doc_type == "urge_notice"]
    assert notice.doc_no == "广司监催〔2026〕1号"
    flows.at(2026, 3, 20, 17, 0)  # hotline due 03-23 minus WD(2): the unit is warned
    flows.fire_timers()
    assert "办理时限将至" in notified(flows, "supervisor")
    flows.at(2026, 3, 23, 0, 0, 1)  # due + WD(5): escalation to the bureau leader
    flows.fire_timers()
    assert flows.task(case, "verify").alert_level == "escalated"
    flows.complete(
        "bureau_leader",
        case,
        "decide_escalation",
        {"escalation_measure": "urge_letter", "escalation_note": "制发督办函"},
    )
    flows.issue_document(
        case,
        {
            "doc_type": "urge",
            "doc_subject": "逾期未回复",
            "addressee_id": "scjg_510800",
            "facts_reasons": "逾期",
            "legal_basis": "第二十七条",
            "requirements": "立即回复",
        },
        served_at="2026-03-23T10:00:00+08:00",
    )
    assert flows.var(case, "urge_doc_no") == "广司监督〔2026〕1号"
    flows.at(2026, 3, 24, 0, 0, 1)  # the hotline's own due date passed
    flows.fire_timers()
    assert "办理时限已届满" in notified(flows, "section_chief")
    bureau_replies(flows, case)

    other = ticket(flows, "GY-LATE-2")
    flows.complete("supervisor", other, "sign_for", {"dispatch_check": "ours"})
    screen(flows, other)
    transfer(flows, other)
    flows.at(2026, 4, 11, 9, 0)  # due 04-02 + WD(5) over 清明 = 04-10
    flows.fire_timers()
    flows.complete(
        "bureau_leader",
        other,
        "decide_escalation",
        {"escalation_measure": "interview", "escalation_note": "约谈负责人"},
    )
    assert "decide_escalation" not in flows.tasks(other)


def test_review_branches_referrals_and_lead_then_close_without_callback(flows):
    flows.at(2026, 3, 2, 9, 0)
    case = ticket(flows, "GY-REV-1")
    flows.complete("supervisor", case, "sign_for", {"dispatch_check": "ours"})
    screen(flows, case)
    flows.complete(
        "supervisor",
        case,
        "transfer",
        {"target_agency_id": "scjg_510800", "instructions": "请核查"},
    )
    flows.complete("section_chief", case, "approve_transfer", {"transfer_approved": False})
    transfer(flows, case)  # the chief sent the first draft back
    bureau_replies(flows, case)
    flows.complete(
        "supervisor",
        case,
        "review",
        {
            "review_opinion": "涉嫌犯罪、违纪，且具典型性",
            "suspected_crime_not_transferred": True,
            "suspected_official_misconduct": True,
            "major_or_typical": True,
        },
    )
    children = {c.relation: c for c in flows.children(case)}
    assert children["message"].definition_key == "major_case_supervision"
    crime, misconduct = children["criminal_referral"], children["discipline_referral"]
    # Each referral is a case of its own, numbered and followed on its own (§4.3, TS-06).
    assert crime.case_no == "JD-510800-2026-XS-00001"
    assert misconduct.case_no == "JD-510800-2026-JJ-00001"
    assert crime.variables["related_case_no"] == flows.case(case).case_no
    # The reply goes out while both referrals are followed.
    flows.complete(
        "supervisor", case, "draft_reply", {"reply_text": "初稿", "reply_method": "phone"}
    )
    flows.complete("section_chief", case, "approve_reply", {"reply_approved": False})
    reply(flows, case)
    flows.at(2026, 3, 20, 10, 0)
    flows.fire_timers()  # no callback within WD(5) of the feedback
    close(flows, case)
    done = flows.case(case)
    assert done.status == "completed" and done.case_status == "CLOSED_NO_CALLBACK"

    flows.complete(
        "supervisor",
        crime.id,
        "assess_criminal",
        {
            "target_agency_id": "scjg_510800",
            "party_name": "某公司",
            "suspected_offence": "某罪",
            "bureau_transferred": True,
        },
    )
    flows.complete(
        "bureau_handler",
        crime.id,
        "task_force",
        {
            "task_force": "甲、乙",
            "report_summary": "报告",
            "report_submitted_at": "2026-04-01T09:00:00+08:00",
        },
    )
    flows.complete(
        "bureau_head",
        crime.id,
        "head_decision",
        {
            "head_decision": "reject",
            "reject_reason": "证据不足",
            "head_decided_at": "2026-04-01T10:00:00+08:00",
        },
    )
    flows.complete(
        "supervisor",
        crime.id,
        "review_rejection",
        {"rejection_accepted": True, "rejection_review": "理由成立"},
    )
    assert flows.case(crime.id).case_status == "CRIM_NOT_APPROVED_REASON_RECORDED"
    flows.complete(
        "supervisor",
        misconduct.id,
        "assemble_lead",
        {
            "lead_persons": "某人",
            "misconduct_type": "dereliction",
            "facts_summary": "失职",
            "recipient_unit": "jw_510800",
        },
    )
    flows.complete(
        "section_chief", misconduct.id, "approve_lead_chief", {"lead_chief_approved": False}
    )
    flows.complete(
        "bureau_leader", misconduct.id, "approve_lead_leader", {"lead_leader_approved": False}
    )
    assert flows.case(misconduct.id).case_status == "DISC_NOT_APPROVED"


def test_dissatisfied_but_explained_and_a_correction_that_was_not_made(flows):
    flows.at(2026, 3, 2, 9, 0)
    case = ticket(flows, "GY-EXP-1")
    flows.complete("supervisor", case, "sign_for", {"dispatch_check": "ours"})
    screen(flows, case)
    transfer(flows, case)
    bureau_replies(flows, case)
    flows.complete(
        "supervisor",
        case,
        "review",
        {"review_opinion": "应履行未履行", "violation_found": True, "doc_type": "urge"},
    )
    flows.issue_document(
        case,
        {
            "doc_type": "urge",
            "doc_subject": "不作为",
            "addressee_id": "scjg_510800",
            "facts_reasons": "未履行",
            "legal_basis": "第二十七条",
            "requirements": "履行职责",
        },
        served_at="2026-03-05T10:00:00+08:00",
        service_method="paper",
    )
    assert flows.var(case, "correction_due_date") == "2026-03-26"  # WD(15) from service
    reply(flows, case)
    flows.message(
        "Msg_HotlineCallback",
        case,
        {
            "satisfaction": "dissatisfied",
            "dissatisfaction_reason": "不认可",
            "callback_at": "2026-03-09T10:00:00+08:00",
        },
    )
    flows.complete(
        "supervisor",
        case,
        "assess_dissatisfaction",
        {"new_facts": False, "handling_defect": False, "explanation": "已充分说明"},
    )
    flows.at(2026, 3, 27, 0, 0, 1)  # correction overdue: red card on the bureau's task
    flows.fire_timers()
    assert flows.task(case, "track_correction").alert_level == "red"
    flows.complete("bureau_handler", case, "track_correction", {"correction_report": "未完成"})
    flows.complete(
        "supervisor",
        case,
        "verify_correction",
        {"verification_result": "not_corrected", "verification_note": "拒不纠正"},
    )
    escalated = [c for c in flows.children(case) if c.definition_key == "major_case_supervision"]
    assert escalated and escalated[0].variables["prior_doc_ignored"] is True
    close(flows, case)
    assert flows.case(case).case_status == "CLOSED_EXPLAINED"


def test_every_deadline_is_computed_on_the_2026_calendar(flows):
    """The deadlines of the first steps, checked against the 2026 calendar (清明 04-04..06)."""
    with flows.runtime.sessions() as s:
        cal = calendar_cache.get(s)
    flows.at(2026, 4, 1, 9, 0)
    case = ticket(flows, "GY-QM-1")
    assert (
        flows.var(case, "hotline_due_date")
        == cal.add_workdays(local(2026, 4, 1).date(), 15).isoformat()
    )
    assert flows.var(case, "hotline_due_date") == "2026-04-23"  # 清明 skipped
    flows.complete("supervisor", case, "sign_for", {"dispatch_check": "ours"})
    assert flows.task(case, "screening").due_at == end_of_day(2026, 4, 7)  # WD(3) over 清明
