"""The end-to-end scenarios of domain.md §6, through the services the web app uses."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

import pytest
from sqlalchemy import select

from db.models import HistoricActivity
from db.models import ProcessInstance
from supervision import authz
from supervision import clock
from supervision import intake
from supervision import numbering
from supervision.identity import get_user
from supervision.settings import set_setting
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


def hotline_ticket(flows, **fields) -> str:
    return flows.ticket({**TICKET, **fields})


def accept(flows, case, user, chief, respondent, **screening):
    flows.complete(user, case, "sign_for", {"dispatch_check": "ours"})
    flows.complete(
        user,
        case,
        "screening",
        {"respondent_agency_id": respondent, "screening_note": "审查", **screening},
    )
    flows.complete(chief, case, "approve_screening", {"screening_approved": True})


def test_ts02_anonymous_complaint_handed_down_to_the_county(flows):
    """TS-02: the city hands the ticket down to 剑阁县司法局, which owns and closes it."""
    flows.at(2026, 1, 5, 10, 0)
    city_case = hotline_ticket(
        flows,
        hotline_ticket_no="GY12345-20260105-0033",
        source_channel="hotline_web",
        dispatched_at="2026-01-05T10:00:00+08:00",
        is_anonymous=True,
        complainant_name=None,
        complainant_phone=None,
        callback_consent=False,
        respondent_agency_id="jtzf_510823",
        issue_type="arbitrary_fines",
        complaint_text="G108线上执法人员收取现金罚款，不开具财政统一罚没票据。",
    )
    assert flows.var(city_case, "hotline_due_date") == "2026-01-26"
    flows.at(2026, 1, 6, 9, 0)
    accept(flows, city_case, "supervisor", "section_chief", "jtzf_510823")
    city = flows.case(city_case)
    assert city.variables["screening_outcome"] == "hand_down"
    assert city.status == "completed" and city.case_status == "HANDED_DOWN"
    handdown = [d for d in flows.documents(city_case) if d.doc_type == "handdown"][0]
    assert handdown.doc_no == "广司监交〔2026〕1号"

    (county_case,) = [c.id for c in flows.children(city_case)]
    county = flows.case(county_case)
    assert county.owner_group_code == "jdk_510823" and county.region_code == "510823"
    assert county.case_no == "JD-510823-2026-TS-00001"
    assert county.business_key == "GY12345-20260105-0033"
    with flows.runtime.sessions() as s:
        county_row = s.get(type(county), county_case)
        assert authz.can_read_case(s, get_user(s, "supervisor"), county_row)  # the city reads
        assert authz.can_read_case(s, get_user(s, "jg_supervisor"), county_row)
        assert not authz.can_read_case(s, get_user(s, "lz_supervisor"), county_row)  # sideways

    flows.complete("jg_supervisor", county_case, "sign_for", {"dispatch_check": "ours"})
    assert flows.task(county_case, "screening").due_at == end_of_day(2026, 1, 9)  # WD(3)
    flows.at(2026, 1, 7, 9, 0)
    flows.complete(
        "jg_supervisor",
        county_case,
        "screening",
        {"respondent_agency_id": "jtzf_510823", "screening_note": "受理"},
    )
    flows.complete(
        "jg_section_chief", county_case, "approve_screening", {"screening_approved": True}
    )
    flows.at(2026, 1, 8, 9, 0)
    flows.complete(
        "jg_supervisor",
        county_case,
        "transfer",
        {"target_agency_id": "jtzf_510823", "instructions": "核查现金收缴罚款问题"},
    )
    flows.complete("jg_section_chief", county_case, "approve_transfer", {"transfer_approved": True})
    assert flows.var(county_case, "bureau_due_date") == "2026-01-19"
    flows.at(2026, 1, 16, 9, 0)
    flows.complete(
        "jg_bureau_handler",
        county_case,
        "verify",
        {"verified_by": "甲、乙", "verification_steps": "调取票据存根", "finding": "true"},
    )
    flows.complete("jg_bureau_head", county_case, "approve_bureau_reply", {"head_approved": True})
    flows.complete(
        "jg_supervisor",
        county_case,
        "review",
        {"review_opinion": "属实，未履行罚缴分离职责", "violation_found": True, "doc_type": "urge"},
    )
    flows.complete(
        "jg_supervisor",
        county_case,
        "draft",
        {
            "doc_type": "urge",
            "doc_subject": "现金收缴罚款",
            "addressee_id": "jtzf_510823",
            "facts_reasons": "两次当场收缴现金罚款未开具专用票据",
            "legal_basis": "《行政处罚法》第七十条",
            "requirements": "立即整改，依法使用专用票据",
        },
    )
    flows.complete("jg_section_chief", county_case, "review", {"review_approved": True})
    flows.complete("jg_bureau_leader", county_case, "sign", {"sign_approved": True})
    flows.at(2026, 1, 21, 9, 0)
    flows.complete(
        "jg_supervisor",
        county_case,
        "serve",
        {"service_method": "system", "served_at": "2026-01-21T09:00:00+08:00"},
    )
    urge = [d for d in flows.documents(county_case) if d.doc_type == "urge"][0]
    assert urge.doc_no == "剑司监督〔2026〕1号"
    assert flows.var(county_case, "correction_due_date") == "2026-02-11"  # WD(15) [ASSUME]
    flows.complete(
        "jg_supervisor",
        county_case,
        "draft_reply",
        {"reply_text": "已核查处理", "reply_method": "hotline"},
    )
    flows.complete("jg_section_chief", county_case, "approve_reply", {"reply_approved": True})
    # Anonymous: no reply to the complainant, no callback; the hotline gets its feedback.
    assert "reply_complainant" not in flows.activities(county_case)
    feedback = flows.outbox("Msg_HotlineFeedback")
    assert [f["variables"]["reply_text"] for f in feedback] == ["已核查处理"]
    assert "track_correction" in flows.tasks(county_case)
    flows.at(2026, 2, 10, 9, 0)
    flows.complete(
        "jg_bureau_handler", county_case, "track_correction", {"correction_report": "已整改"}
    )
    flows.complete(
        "jg_supervisor", county_case, "verify_correction", {"verification_result": "corrected"}
    )
    flows.complete("jg_supervisor", county_case, "close_archive", {"close_type": "replied"})
    county = flows.case(county_case)
    assert county.status == "completed" and county.case_status == "CLOSED"
    assert county.case_no == "JD-510823-2026-TS-00001"


def test_ts03_one_ticket_two_items_not_accepted_and_vertical(flows):
    """TS-03: part (a) is already in 行政复议; part (b) concerns a vertically managed body."""
    flows.at(2026, 6, 18, 9, 0)
    case = hotline_ticket(
        flows,
        hotline_ticket_no="GY12345-20260618-0201",
        dispatched_at="2026-06-18T09:00:00+08:00",
        complainant_name="李强",
        complainant_phone="13700001234",
        respondent_agency_id="sthj_510800",
        complaint_text="（a）生态环境局对洗车场的罚款；（b）税务局拖延增值税退税。",
    )
    assert flows.var(case, "hotline_due_date") == "2026-07-10"
    flows.complete("supervisor", case, "sign_for", {"dispatch_check": "ours"})
    assert flows.task(case, "screening").due_at == end_of_day(2026, 6, 24)  # WD(3)
    flows.complete(
        "supervisor",
        case,
        "screening",
        {
            "respondent_agency_id": "sthj_510800",
            "in_reconsideration_or_litigation": True,
            "split_ticket": True,
            "split_text": "（b）国家税务总局广元市利州区税务局拖延增值税退税",
            "split_respondent_id": "sw_510802",
            "screening_note": "（a）已申请复议；（b）拆分办理",
        },
    )
    flows.complete("section_chief", case, "approve_screening", {"screening_approved": True})
    assert flows.var(case, "rejection_code") == "IN_REVIEW_OR_LITIGATION"
    notice = flows.var(case, "notice_text")
    assert "第三十三条第三款" in notice and "复议" in notice
    (part_b,) = [c.id for c in flows.children(case)]
    assert flows.case(part_b).business_key == "GY12345-20260618-0201"
    assert "sign_for" not in flows.tasks(part_b)  # the same ticket was signed for already
    assert flows.task(part_b, "screening").due_at == end_of_day(2026, 6, 24)

    flows.complete(
        "supervisor", case, "notify_decline", {"notice_text": notice, "notice_method": "hotline"}
    )
    a = flows.case(case)
    assert a.status == "completed" and a.case_status == "NOT_ACCEPTED_NOTIFIED"

    flows.at(2026, 6, 22, 9, 0)
    flows.complete(
        "supervisor",
        part_b,
        "screening",
        {"respondent_agency_id": "sw_510802", "screening_note": "垂直管理机构"},
    )
    flows.complete("section_chief", part_b, "approve_screening", {"screening_approved": True})
    assert flows.var(part_b, "rejection_code") == "VERTICAL"
    flows.complete(
        "supervisor",
        part_b,
        "notify_vertical",
        {
            "vertical_superior": "国家税务总局广元市税务局",
            "letter_summary": "函告退税拖延问题",
            "notice_text": flows.var(part_b, "notice_text"),
        },
    )
    b = flows.case(part_b)
    assert b.status == "completed" and b.case_status == "VERTICAL_NOTIFIED"
    # No transfer to a bureau was created for either part.
    assert "transfer" not in flows.activities(case) + flows.activities(part_b)
    assert len(flows.outbox("Msg_HotlineFeedback")) == 2


def callback(flows, ticket_no: str, satisfaction: str, reason: str | None = None) -> None:
    with flows.runtime.sessions.begin() as s:
        intake.record_callback(
            s,
            flows.engine,
            get_user(s, "hotline_operator"),
            ticket_no,
            satisfaction=satisfaction,
            reason=reason,
        )


def issue_document(flows, case, prefix, doc_type, addressee, served_at):
    draft = {
        "doc_type": doc_type,
        "doc_subject": "执法着装与亮证",
        "addressee_id": addressee,
        "facts_reasons": "执法人员未按规定着装、未出示执法证件",
        "legal_basis": "《行政处罚法》第五十五条",
        "requirements": "规范着装和亮证",
    }
    flows.issue_document(case, draft, served_at=served_at, prefix=prefix)


def test_ts10_county_case_dissatisfied_callback_rehandled_with_visibility(flows):
    """TS-10: 利州区 case, 不满意 → 重办 with the same number; who may see it."""
    ticket_no = "GY12345-20260706-0412"
    flows.at(2026, 7, 6, 9, 0)
    city_case = hotline_ticket(
        flows,
        hotline_ticket_no=ticket_no,
        dispatched_at="2026-07-06T09:00:00+08:00",
        complainant_name="周涛",
        complainant_phone="13600007788",
        respondent_agency_id="zhzf_510802",
        complaint_text="从私人院落拖走车辆，执法人员不出示执法证件。",
    )
    accept(flows, city_case, "supervisor", "section_chief", "zhzf_510802")
    (case,) = [c.id for c in flows.children(city_case)]
    assert flows.case(case).owner_group_code == "jdk_510802"
    case_no = flows.case(case).case_no
    flows.complete("lz_supervisor", case, "sign_for", {"dispatch_check": "ours"})
    assert flows.task(case, "screening").due_at == end_of_day(2026, 7, 9)  # accepted by 07-09
    flows.complete(
        "lz_supervisor",
        case,
        "screening",
        {"respondent_agency_id": "zhzf_510802", "screening_note": "受理"},
    )
    flows.complete("lz_section_chief", case, "approve_screening", {"screening_approved": True})
    flows.complete(
        "lz_supervisor",
        case,
        "transfer",
        {
            "target_agency_id": "zhzf_510802",
            "instructions": "核查拖车及亮证情况",
            "needs_site_visit": True,
            "site_visit_unit": "sfs_510802001",
        },
    )
    flows.complete("lz_section_chief", case, "approve_transfer", {"transfer_approved": True})

    def can_read(username: str) -> bool:
        with flows.runtime.sessions() as s:
            row = s.get(ProcessInstance, case)
            return authz.can_read_case(s, get_user(s, username), row)

    assert can_read("lz_supervisor") and can_read("supervisor")  # owner; the city reads
    assert not can_read("ct_supervisor") and not can_read("zh_supervisor")  # nobody sideways
    assert not can_read("db_sfs")  # the 司法所 sees nothing until a task is assigned to it

    flows.at(2026, 7, 14, 9, 0)
    verify = {"verified_by": "甲、乙", "verification_steps": "调取拖车记录", "finding": "partly"}
    flows.complete("lz_bureau_handler", case, "verify", verify)
    flows.complete("lz_bureau_head", case, "approve_bureau_reply", {"head_approved": True})
    assert flows.task(case, "site_visit").candidate_groups == ["sfs_510802001"]
    assert can_read("db_sfs")
    site = {"site_visit_at": "2026-07-15T10:00:00+08:00", "site_findings": "院落为私人所有"}
    flows.complete("db_sfs", case, "site_visit", site)
    flows.complete(
        "lz_supervisor",
        case,
        "review",
        {
            "review_opinion": "拖车合法，未亮证",
            "violation_found": True,
            "doc_type": "reminder_letter",
        },
    )
    issue_document(
        flows, case, "lz_", "reminder_letter", "zhzf_510802", "2026-07-20T09:00:00+08:00"
    )
    assert flows.var(case, "correction_pending") is False  # a 提醒函 sets no correction period
    flows.at(2026, 7, 24, 9, 0)
    flows.complete(
        "lz_supervisor",
        case,
        "draft_reply",
        {"reply_text": "拖车合法，未亮证已提醒", "reply_method": "phone"},
    )
    flows.complete("lz_section_chief", case, "approve_reply", {"reply_approved": True})
    flows.complete(
        "lz_supervisor",
        case,
        "reply_complainant",
        {"reply_method": "phone", "replied_to_complainant_at": "2026-07-24T10:00:00+08:00"},
    )
    assert flows.var(case, "hotline_due_date") == "2026-07-27"

    flows.at(2026, 7, 28, 10, 0)
    callback(flows, ticket_no, "dissatisfied", "提供行车记录仪视频：执法人员未着制服")
    flows.complete(
        "lz_supervisor",
        case,
        "assess_dissatisfaction",
        {"new_facts": True, "explanation": "诉求人提供新证据"},
    )
    assert flows.task(case, "rehandle").due_at == end_of_day(2026, 8, 11)  # WD(10)
    flows.complete("lz_supervisor", case, "rehandle", {"rehandle_plan": "退回执法机关补充核查"})
    instance = flows.case(case)
    assert instance.case_no == case_no and instance.variables["reopen_count"] == 1
    assert instance.variables["rehandle_due_date"] == "2026-08-11"
    assert instance.variables["hotline_due_date"] == "2026-07-27"  # the 12345 SLA is not restarted

    flows.complete(
        "lz_supervisor",
        case,
        "review",
        {"review_opinion": "需补充核查着装问题", "insufficient": True},
    )
    flows.complete("lz_supervisor", case, "send_back", {"supplement_request": "核查着装"})
    assert flows.task(case, "verify").due_at == end_of_day(2026, 7, 31)  # WD(3)
    flows.complete("lz_bureau_handler", case, "verify", {**verify, "finding": "true"})
    flows.complete("lz_bureau_head", case, "approve_bureau_reply", {"head_approved": True})
    flows.complete("db_sfs", case, "site_visit", site)
    flows.complete(
        "lz_supervisor",
        case,
        "review",
        {
            "review_opinion": "未着装、未亮证",
            "insufficient": False,
            "violation_found": True,
            "doc_type": "opinion",
        },
    )
    issue_document(flows, case, "lz_", "opinion", "zhzf_510802", "2026-08-03T09:00:00+08:00")
    opinion = [d for d in flows.documents(case) if d.doc_type == "opinion"][0]
    assert opinion.doc_no == "利司监意〔2026〕1号"
    flows.complete(
        "lz_supervisor",
        case,
        "draft_reply",
        {"reply_text": "已制发意见书", "reply_method": "phone"},
    )
    flows.complete("lz_section_chief", case, "approve_reply", {"reply_approved": True})
    flows.complete(
        "lz_supervisor",
        case,
        "reply_complainant",
        {"reply_method": "phone", "replied_to_complainant_at": "2026-08-05T10:00:00+08:00"},
    )
    callback(flows, ticket_no, "basically_satisfied")
    flows.complete("lz_bureau_handler", case, "track_correction", {"correction_report": "已规范"})
    flows.complete("lz_supervisor", case, "verify_correction", {"verification_result": "corrected"})
    flows.complete("lz_supervisor", case, "close_archive", {"close_type": "replied"})
    instance = flows.case(case)
    assert instance.status == "completed" and instance.case_status == "CLOSED_SATISFIED"
    assert instance.case_no == case_no


def open_major_case(flows, prefix: str, respondent: str, title: str) -> str:
    """Flow 3 from a manual lead up to the investigation report and collective review."""
    case = flows.start_form(
        "major_case_supervision",
        f"{prefix}_supervisor",
        {
            "lead_source": "file_review",
            "case_title": title,
            "respondent_agency_id": respondent,
            "act_description": title,
        },
    )
    flows.complete(
        f"{prefix}_supervisor",
        case,
        "register_lead",
        {
            "lead_source": "file_review",
            "respondent_agency_id": respondent,
            "act_description": title,
        },
    )
    flows.complete(
        f"{prefix}_supervisor",
        case,
        "assess",
        {"is_major": True, "assessment": "重大", "not_major_handling": "transfer"},
    )
    flows.complete(
        f"{prefix}_section_chief",
        case,
        "open_case",
        {"chief_opening_approved": True, "mode": "direct"},
    )
    flows.complete(f"{prefix}_bureau_leader", case, "approve_opening", {"opening_approved": True})
    flows.complete(
        f"{prefix}_supervisor",
        case,
        "form_team",
        {
            "investigators": [f"{prefix}_supervisor", f"{prefix}_section_chief"],
            "invitees": ["special_supervisor"],
            "investigation_plan": "调阅案卷、询问当事人",
        },
    )
    flows.complete(f"{prefix}_supervisor", case, "investigate", {"measures": "调阅案卷"})
    flows.complete(
        f"{prefix}_bureau_handler",
        case,
        "provide_files",
        {"files_provided": "全部案卷", "files_received_at": "2026-04-10T09:00:00+08:00"},
    )
    flows.complete(
        f"{prefix}_supervisor",
        case,
        "write_report",
        {
            "facts": title,
            "legal_basis": "《行政执法监督条例》",
            "characterisation": "illegal",
            "recommendations": "依法处理",
        },
    )
    return case


def serve_document(flows, case, prefix, doc_type, addressee, served_at):
    draft = {
        "doc_type": doc_type,
        "doc_subject": "监督事项",
        "addressee_id": addressee,
        "facts_reasons": "查明的事实",
        "legal_basis": "《行政执法监督条例》第二十八条",
        "requirements": "依法纠正",
    }
    flows.issue_document(case, draft, served_at=served_at, prefix=f"{prefix}_")


@pytest.mark.parametrize(
    ("mode", "head_due", "psb_due"),
    [("calendar", (2026, 5, 2), (2026, 5, 4)), ("calendar_roll", (2026, 5, 6), (2026, 5, 6))],
)
def test_ts05_crime_found_transferred_to_police_in_both_day_modes(flows, mode, head_due, psb_due):
    """TS-05: 以罚代刑 at 旺苍县市场监管局 → 行刑衔接 with 310号 periods over 劳动节."""
    with flows.runtime.sessions.begin() as s:
        set_setting(s, "criminal_referral_days_mode", mode, "admin")
    flows.at(2026, 4, 20, 9, 0)
    case = open_major_case(flows, "wc", "scjg_510821", "苏丹红辣椒油案以罚代刑")
    assert flows.case(case).case_no == "JD-510821-2026-ZD-00001"
    flows.complete(
        "wc_bureau_leader",
        case,
        "collective_review",
        {"meeting_minutes": "涉嫌犯罪未移送", "crime_not_transferred": True},
    )
    major = case
    (referral,) = flows.children(major)
    case = referral.id  # the referral is followed as a case of its own
    assert referral.case_no == "JD-510821-2026-XS-00001"
    flows.complete(
        "wc_supervisor",
        case,
        "assess_criminal",
        {
            "target_agency_id": "scjg_510821",
            "party_name": "旺苍县某食品作坊",
            "suspected_offence": "刑法第一百四十四条 生产、销售有毒、有害食品罪",
            "amount_involved": "80000",
            "prior_admin_penalties": "罚款80000元（折抵）",
            "bureau_transferred": False,
        },
    )
    flows.at(2026, 4, 27, 9, 0)
    serve_document(flows, case, "wc", "opinion", "scjg_510821", "2026-04-27T09:00:00+08:00")
    (order,) = flows.documents(case)
    assert order.doc_no == "旺司监意〔2026〕1号"
    assert order.due_at == end_of_day(2026, 4, 30)  # 责令限期移送: CD(3) from service

    flows.at(2026, 4, 29, 16, 0)
    flows.complete(
        "wc_bureau_handler",
        case,
        "task_force",
        {
            "task_force": "甲、乙",
            "report_summary": "涉嫌犯罪",
            "report_submitted_at": "2026-04-29T16:00:00+08:00",
        },
    )
    assert flows.task(case, "head_decision").due_at == end_of_day(*head_due)
    flows.at(2026, 4, 30, 10, 0)
    flows.complete(
        "wc_bureau_head",
        case,
        "head_decision",
        {"head_decision": "approve", "head_decided_at": "2026-04-30T10:00:00+08:00"},
    )
    # 24 hours on the clock: holidays are irrelevant.
    assert flows.task(case, "transfer_case").due_at == local(2026, 5, 1, 10, 0).astimezone(UTC)
    flows.at(2026, 5, 1, 9, 0)
    flows.complete(
        "wc_bureau_handler",
        case,
        "transfer_case",
        {
            "transfer_doc_no": "旺市监移〔2026〕1号",
            "psb_unit": "ga_510821",
            "transferred_at": "2026-05-01T09:00:00+08:00",
        },
    )
    assert flows.outbox("Msg_CaseTransfer")[0]["variables"]["psb_unit"] == "ga_510821"
    flows.message(
        "Msg_PSBReceipt", case, {"receipt_signed_at": "2026-05-01T11:00:00+08:00"}, "wc_psb_liaison"
    )
    flows.at(2026, 5, 6, 10, 0)
    with flows.runtime.sessions() as s:
        waiting = s.scalar(
            select(HistoricActivity.started_at).where(
                HistoricActivity.instance_id == case,
                HistoricActivity.activity_id == "wait_psb_decision",
            )
        )
        assert waiting is not None
    assert flows.case(case).next_timer_at == end_of_day(*psb_due)
    flows.message(
        "Msg_PSBDecision",
        case,
        {"psb_decision": "filed", "psb_decided_at": "2026-05-06T10:00:00+08:00"},
        "wc_psb_liaison",
    )
    # Exhibits within 3 days of the 立案通知书: Saturday 05-09 is a 调休 working day.
    assert flows.task(case, "hand_over_exhibits").due_at == end_of_day(2026, 5, 9)
    flows.complete(
        "wc_bureau_handler",
        case,
        "hand_over_exhibits",
        {"exhibits_handed_over_at": "2026-05-08T10:00:00+08:00"},
    )
    flows.complete("wc_supervisor", case, "supervise_close", {"close_note": "已立案"})
    done = flows.case(case)
    assert done.status == "completed" and done.case_status == "CRIM_FILED"
    assert done.variables["prior_admin_penalties"] == "罚款80000元（折抵）"


def test_ts05b_police_decline_reconsideration_and_procuratorate(flows):
    """TS-05 variant 5b: 不予立案 → 复议 → 维持 → 检察院立案监督, administrative penalty done."""
    flows.at(2026, 4, 20, 9, 0)
    case = open_major_case(flows, "wc", "scjg_510821", "苏丹红辣椒油案以罚代刑")
    flows.complete(
        "wc_bureau_leader",
        case,
        "collective_review",
        {"meeting_minutes": "涉嫌犯罪未移送", "crime_not_transferred": True},
    )
    major = case
    (referral,) = flows.children(major)
    case = referral.id  # the referral is followed as a case of its own
    assert referral.case_no == "JD-510821-2026-XS-00001"
    flows.complete(
        "wc_supervisor",
        case,
        "assess_criminal",
        {
            "target_agency_id": "scjg_510821",
            "party_name": "某作坊",
            "suspected_offence": "有毒食品",
            "bureau_transferred": True,
        },
    )
    flows.complete(
        "wc_bureau_handler",
        case,
        "task_force",
        {
            "task_force": "甲、乙",
            "report_summary": "涉嫌犯罪",
            "report_submitted_at": "2026-04-29T16:00:00+08:00",
        },
    )
    flows.complete(
        "wc_bureau_head",
        case,
        "head_decision",
        {"head_decision": "approve", "head_decided_at": "2026-04-30T10:00:00+08:00"},
    )
    flows.complete(
        "wc_bureau_handler",
        case,
        "transfer_case",
        {
            "transfer_doc_no": "旺市监移〔2026〕1号",
            "psb_unit": "ga_510821",
            "transferred_at": "2026-05-01T09:00:00+08:00",
        },
    )
    flows.message(
        "Msg_PSBReceipt", case, {"receipt_signed_at": "2026-05-01T11:00:00+08:00"}, "wc_psb_liaison"
    )
    flows.at(2026, 5, 6, 10, 0)
    flows.message(
        "Msg_PSBDecision",
        case,
        {
            "psb_decision": "declined",
            "psb_reason": "金额未达立案标准",
            "psb_decided_at": "2026-05-06T10:00:00+08:00",
        },
        "wc_psb_liaison",
    )
    assert flows.task(case, "decide_declined").due_at == end_of_day(2026, 5, 9)
    flows.at(2026, 5, 8, 9, 0)
    flows.complete(
        "wc_bureau_head",
        case,
        "decide_declined",
        {"declined_action": "reconsider", "reconsider_requested_at": "2026-05-08T09:00:00+08:00"},
    )
    assert flows.case(case).next_timer_at == end_of_day(2026, 5, 11)  # PSB decides by 05-11
    flows.at(2026, 5, 11, 15, 0)
    flows.message(
        "Msg_PSBReconsideration",
        case,
        {"reconsider_result": "upheld", "reconsider_decided_at": "2026-05-11T15:00:00+08:00"},
        "wc_psb_liaison",
    )
    assert flows.task(case, "suggest_procuratorate").due_at == end_of_day(2026, 5, 14)
    flows.complete(
        "wc_bureau_head",
        case,
        "suggest_procuratorate",
        {
            "procuratorate_suggested": True,
            "procuratorate_suggested_at": "2026-05-13T09:00:00+08:00",
        },
    )
    flows.complete(
        "wc_bureau_handler",
        case,
        "admin_handling",
        {"admin_decision": "维持行政处罚", "admin_decided_at": "2026-05-14T09:00:00+08:00"},
    )
    flows.complete("wc_supervisor", case, "supervise_close", {"close_note": "已建议检察监督"})
    assert flows.case(case).case_status == "CRIM_PROCURATORATE_SUPERVISION"


def test_ts06_misconduct_lead_to_discipline_while_the_enforcement_side_closes(flows):
    """TS-06: 好处费 at 青川县农业农村局 → 问题线索移送函, 意见书 and 人员处理建议书 in parallel."""
    flows.at(2026, 6, 1, 9, 0)
    case = open_major_case(flows, "qc", "nync_510822", "农业执法人员收受好处费不予处罚")
    flows.complete(
        "qc_bureau_leader",
        case,
        "collective_review",
        {
            "meeting_minutes": "移送线索；同时制发意见书、人员处理建议书",
            "official_corruption_or_dereliction": True,
            "illegal_or_clearly_improper": True,
            "officer_fault": True,
        },
    )
    (referral,) = flows.children(case)
    lead = referral.id
    assert referral.case_no == "JD-510822-2026-JJ-00001"
    flows.complete(
        "qc_supervisor",
        lead,
        "assemble_lead",
        {
            "lead_persons": "赵某，青川县农业综合行政执法大队，执法证号5108xxxx",
            "misconduct_type": "bribery",
            "facts_summary": "收受农药经营者好处费5000元后不予处罚",
            "recipient_unit": "jw_510822",
        },
    )
    flows.complete("qc_section_chief", lead, "approve_lead_chief", {"lead_chief_approved": True})
    flows.complete("qc_bureau_leader", lead, "approve_lead_leader", {"lead_leader_approved": True})
    (letter,) = flows.documents(lead)
    assert letter.doc_no == "青司监移〔2026〕1号"
    flows.at(2026, 6, 15, 9, 0)
    flows.complete(
        "qc_supervisor",
        lead,
        "deliver_lead",
        {"delivery_method": "confidential", "sent_at": "2026-06-15T09:00:00+08:00"},
    )
    assert flows.case(lead).next_timer_at == end_of_day(2026, 6, 18)  # receipt reminder WD(3)
    with flows.runtime.sessions() as s:
        row = s.get(ProcessInstance, lead)
        assert authz.can_read_case(s, get_user(s, "qc_liaison"), row)  # the receiving organ
        assert not authz.can_read_case(s, get_user(s, "liaison"), row)  # other 纪委 do not
    flows.at(2026, 6, 16, 10, 0)
    flows.message(
        "Msg_LeadReceipt", lead, {"received_at": "2026-06-16T10:00:00+08:00"}, "qc_liaison"
    )
    reminder = flows.case(lead).next_timer_at.astimezone(clock.LOCAL_TZ)
    assert reminder.date().isoformat() == "2026-09-14"  # CD(90) after receipt [ASSUME]

    # The enforcement side: 意见书 and 人员处理建议书, corrected, closed on its own.
    serve_document(flows, case, "qc", "opinion", "nync_510822", "2026-06-18T09:00:00+08:00")
    serve_document(flows, case, "qc", "personnel", "nync_510822", "2026-06-18T09:00:00+08:00")
    flows.complete("qc_bureau_handler", case, "correct", {"correction_report": "重新立案查处"})
    flows.complete(
        "qc_supervisor",
        case,
        "verify_correction",
        {"verification_result": "corrected", "verification_note": "已纠正"},
    )
    flows.complete(
        "qc_supervisor", case, "close_case", {"close_report": "结案", "feedback_text": "已依法处理"}
    )
    closed = flows.case(case)
    assert closed.status == "completed" and closed.case_status == "P3_CLOSED_CORRECTED"
    assert flows.case(lead).status == "active"  # the lead is still followed

    flows.at(2026, 9, 14, 11, 0)
    flows.fire_timers()
    assert "feedback_reminder_alert" in flows.activities(lead)
    flows.message(
        "Msg_DisciplineFeedback",
        lead,
        {
            "disposition_type": "investigation",
            "feedback_text": "初步核实后立案审查调查",
            "feedback_at": "2026-09-20T10:00:00+08:00",
        },
        "qc_liaison",
    )
    flows.complete(
        "qc_supervisor",
        lead,
        "record_disposition",
        {"disposition_type": "investigation", "feedback_text": "初步核实后立案审查调查"},
    )
    done = flows.case(lead)
    assert done.case_status == "DISC_FEEDBACK_RECEIVED"
    assert done.variables["disposition_type"] == "investigation"
