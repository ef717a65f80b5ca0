"""Flow 3 重点监督 (major_case_supervision): every branch, timer and disposition."""

from __future__ import annotations

from supervision import authz
from supervision.identity import get_user

DISPOSITIONS = (
    "can_fix_on_spot",
    "duty_not_performed",
    "illegal_or_clearly_improper",
    "major_issue",
    "prior_doc_ignored",
    "systemic_or_refusal",
    "officer_fault",
    "official_corruption_or_dereliction",
    "crime_not_transferred",
    "individual_remedy_needed",
)
LEAD = {
    "lead_source": "superior",
    "case_title": "领导批示：某局趋利性执法",
    "respondent_agency_id": "scjg_510800",
    "act_description": "多次对同一企业重复罚款",
}


def lead(flows, username="supervisor", **fields) -> str:
    case = flows.start_form("major_case_supervision", username, {**LEAD, **fields})
    prefix = username.removesuffix("supervisor")
    flows.complete(
        username,
        case,
        "register_lead",
        {
            "lead_source": "superior",
            "respondent_agency_id": fields.get("respondent_agency_id", "scjg_510800"),
            "act_description": LEAD["act_description"],
        },
    )
    return case, prefix


def assess(flows, case, username, major=True, handling="transfer"):
    flows.complete(
        username,
        case,
        "assess",
        {"is_major": major, "assessment": "研判", "not_major_handling": handling},
    )


def open_case(flows, case, prefix, mode="direct", approved=True):
    flows.complete(
        f"{prefix}section_chief", case, "open_case", {"chief_opening_approved": True, "mode": mode}
    )
    flows.complete(
        f"{prefix}bureau_leader", case, "approve_opening", {"opening_approved": approved}
    )


def investigate(flows, case, bureau="bureau_handler"):
    flows.complete(
        "supervisor",
        case,
        "form_team",
        {
            "investigators": ["supervisor", "supervisor2"],
            "invitees": ["special_supervisor"],
            "investigation_plan": "调阅、询问",
        },
    )
    # An invited supervisor on the team may do the investigation task.
    flows.complete("special_supervisor", case, "investigate", {"measures": "暗访"})
    flows.complete(
        bureau,
        case,
        "provide_files",
        {"files_provided": "案卷", "files_received_at": "2026-06-03T09:00:00+08:00"},
    )
    report(flows, case)


def report(flows, case):
    flows.complete(
        "supervisor",
        case,
        "write_report",
        {
            "facts": "事实",
            "legal_basis": "依据",
            "characterisation": "illegal",
            "recommendations": "处理建议",
        },
    )


def issue(flows, case, doc_type, served="2026-06-10T09:00:00+08:00"):
    draft = {
        "doc_type": doc_type,
        "doc_subject": "事项",
        "addressee_id": "scjg_510800",
        "facts_reasons": "事实",
        "legal_basis": "依据",
        "requirements": "要求",
    }
    if doc_type != "decision":
        flows.issue_document(case, draft, served_at=served)
        return
    # A 决定书 is decided by the city government, not signed by the bureau leader.
    flows.complete("supervisor", case, "draft", draft)
    flows.complete("section_chief", case, "review", {"review_approved": True})
    flows.complete("bureau_leader", case, "sign_request", {"request_approved": True})
    flows.message("Msg_GovDecision", case, {"gov_decision": "approved"}, "gov_liaison")
    flows.complete("supervisor", case, "serve", {"service_method": "system", "served_at": served})


def test_leads_that_are_not_major_or_not_opened(flows):
    flows.at(2026, 6, 1, 9, 0)
    transferred, _ = lead(flows)
    assess(flows, transferred, "supervisor", major=False, handling="transfer")
    (complaint,) = flows.children(transferred)
    assert complaint.definition_key == "complaint_intake"
    assert complaint.variables["complaint_text"] == LEAD["act_description"]
    assert flows.case(transferred).case_status == "P3_NOT_MAJOR"

    reminded, _ = lead(flows)
    assess(flows, reminded, "supervisor", major=False, handling="reminder_letter")
    issue(flows, reminded, "reminder_letter")
    assert flows.var(reminded, "reminder_doc_no") == "广司监提〔2026〕1号"

    filed, _ = lead(flows)
    assess(flows, filed, "supervisor", major=False, handling="close")
    assert flows.case(filed).status == "completed"

    refused, prefix = lead(flows)
    assess(flows, refused, "supervisor")
    open_case(flows, refused, prefix, approved=False)
    assert flows.case(refused).case_status == "P3_NOT_OPENED"


def test_listed_supervision_every_disposition_objection_and_overdue_correction(flows):
    flows.at(2026, 6, 1, 9, 0)
    case, prefix = lead(flows)
    assess(flows, case, "supervisor")
    open_case(flows, case, prefix, mode="listed_supervision")
    flows.complete("bureau_handler", case, "listed_self_check", {"self_check_report": "自查"})
    report(flows, case)
    flows.complete(
        "bureau_leader",
        case,
        "collective_review",
        {
            "meeting_minutes": "纪要",
            "can_fix_on_spot": True,
            "duty_not_performed": True,
            "illegal_or_clearly_improper": True,
            "major_issue": True,
            "systemic_or_refusal": True,
            "officer_fault": True,
            "individual_remedy_needed": True,
        },
    )
    flows.complete("supervisor", case, "fix_on_spot", {"on_spot_record": "当场纠正"})
    flows.complete("supervisor", case, "guide_remedy", {"remedy_guidance": "告知复议"})
    for doc_type in ("urge", "opinion", "decision", "bulletin", "personnel"):
        issue(flows, case, doc_type)
    numbers = {d.doc_type: d.doc_no for d in flows.documents(case)}
    assert numbers == {
        "urge": "广司监督〔2026〕1号",
        "opinion": "广司监意〔2026〕1号",
        "decision": "广府执监决〔2026〕1号",
        "bulletin": "广司监报〔2026〕1号",
        "personnel": "广司监处〔2026〕1号",
    }
    # The latest of the correction periods applies: CD(30) from 06-10 for the 意见书/决定书.
    assert flows.var(case, "correction_due") == "2026-07-10T23:59:59+08:00"
    flows.complete(
        "bureau_handler",
        case,
        "correct",
        {"correction_report": "有异议", "file_objection": True, "objection_text": "事实有误"},
    )
    flows.complete(
        "section_chief",
        case,
        "handle_objection",
        {"objection_ruling": "changed", "objection_answer": "部分采纳"},
    )
    assert flows.task(case, "correct").due_at is not None
    flows.at(2026, 8, 1, 9, 0)  # the (changed) period passed without a report
    flows.fire_timers()
    assert flows.task(case, "correct").alert_level == "red"
    flows.complete(
        "supervisor",
        case,
        "escalate_overdue",
        {"overdue_measure": "interview", "overdue_note": "约谈负责人"},
    )
    flows.complete("bureau_handler", case, "correct", {"correction_report": "已纠正"})
    flows.complete(
        "supervisor",
        case,
        "verify_correction",
        {"verification_result": "not_corrected", "verification_note": "未完全纠正"},
    )
    # Not corrected: a new collective review, with the ignored document as a ground.
    assert flows.var(case, "prior_doc_ignored") is True
    flows.complete(
        "bureau_leader",
        case,
        "collective_review",
        {"meeting_minutes": "再议：已约谈，不再制发文书", **dict.fromkeys(DISPOSITIONS, False)},
    )
    flows.complete(
        "supervisor", case, "close_case", {"close_report": "结案", "feedback_text": "已办结"}
    )
    done = flows.case(case)
    assert done.status == "completed" and done.case_status == "P3_CLOSED_GOV_DECISION"
    assert flows.outbox("Msg_LeadOutcome")[0]["variables"]["lead_case_status"] == (
        "P3_CLOSED_GOV_DECISION"
    )


def test_escalated_county_case_with_an_investigation_extension_and_no_violation(flows):
    flows.at(2026, 6, 1, 9, 0)
    case, _ = lead(flows, "lz_supervisor", respondent_agency_id="zhzf_510802")
    assert flows.case(case).owner_group_code == "jdk_510802"
    assess(flows, case, "lz_supervisor")
    flows.complete(
        "lz_section_chief", case, "open_case", {"chief_opening_approved": True, "mode": "escalated"}
    )
    flows.complete("lz_bureau_leader", case, "approve_opening", {"opening_approved": True})
    instance = flows.case(case)
    # 提级监督: the city owns the case now, the number stays, the county still reads it.
    assert instance.owner_group_code == "jdk_510800" and instance.region_code == "510800"
    assert instance.case_no == "JD-510802-2026-ZD-00001"
    with flows.runtime.sessions() as s:
        row = s.get(type(instance), case)
        assert authz.can_read_case(s, get_user(s, "lz_supervisor"), row)
        assert not authz.can_read_case(s, get_user(s, "zh_supervisor"), row)
    flows.complete(
        "supervisor",
        case,
        "form_team",
        {"investigators": ["supervisor", "supervisor2"], "investigation_plan": "调查"},
    )
    assert flows.var(case, "investigation_due") == "2026-07-14T23:59:59+08:00"  # WD(30)
    flows.at(2026, 7, 15, 9, 0)
    flows.fire_timers()  # the investigation period ended: ask for the one extension
    flows.complete(
        "supervisor",
        case,
        "request_extension",
        {"extension_workdays": 10, "extension_reason": "取证困难"},
    )
    flows.complete(
        "bureau_leader",
        case,
        "approve_investigation_extension",
        {"investigation_extension_granted": True},
    )
    assert flows.var(case, "investigation_due") == "2026-07-28T23:59:59+08:00"
    flows.complete("supervisor2", case, "investigate", {"measures": "调阅案卷"})
    flows.complete(
        "lz_bureau_handler",
        case,
        "provide_files",
        {"files_provided": "案卷", "files_received_at": "2026-07-16T09:00:00+08:00"},
    )
    report(flows, case)
    flows.complete("bureau_leader", case, "collective_review", {"meeting_minutes": "无问题"})
    flows.complete(
        "supervisor",
        case,
        "close_case",
        {"close_report": "未发现问题", "feedback_text": "经调查未发现问题"},
    )
    assert flows.case(case).case_status == "P3_CLOSED_NO_VIOLATION"
