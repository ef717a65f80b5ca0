"""observation: 特邀行政执法监督员意见的登记研判与反馈 (domain.md §2.6)."""

from __future__ import annotations

from tools.bpmn_builder import Diagram
from tools.bpmn_builder import area
from tools.bpmn_builder import choice
from tools.bpmn_builder import flag
from tools.bpmn_builder import group
from tools.workflow_models.common import SUPERVISOR

UNIT = "${agency_id}"
UNIT_HEAD = "${agency_id}_head"
ROUTES = [
    ("major", "重大：转重点监督"),
    ("specific_complaint", "具体投诉：转投诉举报程序"),
    ("general_suggestion", "一般意见：转执法机关限期答复"),
    ("crime", "涉嫌犯罪未移送：行刑衔接"),
    ("misconduct", "公职人员违纪违法：移送纪检监察"),
]


def build() -> Diagram:
    d = Diagram(
        "observation",
        "特邀行政执法监督员意见办理",
        documentation=(
            "特邀监督员提交观察意见（supervision.observations 创建记录并启动本流程）→ 登记研判 "
            "WD(3) → 分流：重大转流程3（可邀请监督员参加调查）、具体投诉转流程1、一般意见由执法机关"
            " WD(15) 限期答复、涉嫌犯罪或违纪违法转流程4 → 结果出来后 WD(5) 内反馈监督员 → 监督员"
            "评价（domain.md §2.6，时限均为 [ASSUME]）。"
        ),
        version_tag="1.0",
        pool_name="司法局（行政执法监督机构）",
        lanes=[
            ("Lane_supervision", "监督机构", 5),
            ("Lane_bureau", "执法机关承办人", 1),
            ("Lane_bureau_head", "执法机关负责人", 1),
            ("Lane_invited", "特邀监督员", 1),
        ],
        cols=13,
    )
    d.start("start", "收到监督员意见", 0, 0, doc="SE6_1：监督员在网页/移动端提交。")
    d.service(
        "init_defaults",
        "设置默认值",
        1,
        0,
        handler="setDefaults",
        fields={"invite_filer": "${false}", "answer_approved": "${false}"},
    )
    d.service(
        "assign_case_no",
        "编号",
        2,
        0,
        handler="assignCaseNumber",
        fields={"type": "GC"},
        doc="JD-<区划>-<年>-GC-<序号>。",
    )
    d.user(
        "triage",
        "登记、研判",
        3,
        0,
        groups=SUPERVISOR,
        due="${workdays(setting('observation_triage_workdays'))}",
        form=[
            group(
                "agency_id", "被观察执法机关", required=True, default="${agency_id}", kind="bureau"
            ),
            choice("routing", "研判结果", ROUTES),
            area("assessment", "研判意见", required=True),
            flag("invite_filer", "邀请该监督员参加调查（重点监督）"),
        ],
        doc="T6_1：WD(3) [ASSUME]。",
    )
    d.service(
        "mark_triaged",
        "标记已研判",
        4,
        0,
        handler="setObservationStatus",
        fields={"status": "triaged"},
    )
    d.gateway("gw_route", "分流", 5, 0, default="Flow_general")
    d.send(
        "send_lead",
        "转重点监督",
        6,
        1,
        message="Msg_SupervisionLead",
        variables={
            "lead_source": "${'invited_supervisor'}",
            "case_title": None,
            "respondent_agency_id": "${agency_id}",
            "act_description": "${observation_text}",
            "owner_unit_id": None,
            "invitees": "${invite_filer ? filed_by : null}",
        },
        doc="G6_1 major → 流程3；监督员可受邀参加调查组（条例第二十三条）。",
    )
    d.receive(
        "wait_outcome",
        "等待重点监督结果",
        7,
        1,
        message="Msg_LeadOutcome",
        doc="流程3 结案时以消息 Msg_LeadOutcome 送回结果（lead_case_no, lead_case_status, "
        "lead_feedback_text）。",
    )
    d.service(
        "start_complaint",
        "转投诉举报程序",
        6,
        2,
        handler="startRelatedCase",
        fields={
            "process": "complaint_intake",
            "relation": "observation",
            "copy": "case_title,owner_unit_id,complaint_text,respondent_agency_id,"
            "source_channel,request_type,complainant_name,is_anonymous",
        },
        inputs={
            "complaint_text": "${observation_text}",
            "respondent_agency_id": "${agency_id}",
            "source_channel": "${'invited_supervisor'}",
            "request_type": "${'complaint'}",
            "complainant_name": "${filed_by_name}",
            "is_anonymous": "${false}",
        },
        doc="G6_1 specific_complaint → 流程1 直接受理（SE1_2）。",
    )
    d.user(
        "bureau_answer",
        "答复监督员意见",
        6,
        5,
        groups=UNIT,
        due="${workdays(setting('observation_answer_workdays'))}",
        form=[area("answer_text", "答复内容", required=True)],
        doc="T6_2：执法机关限期答复 WD(15) [ASSUME]（[SRC:S19] 限期答复）。",
    )
    d.user(
        "approve_answer",
        "负责人审核答复",
        7,
        6,
        groups=UNIT_HEAD,
        due="${workdays(setting('observation_answer_workdays'))}",
        form=[
            flag("answer_approved", "同意答复", default="true"),
            area("answer_comment", "意见", maxlength=1000),
        ],
    )
    d.gateway("gw_answer_ok", "同意?", 8, 6)
    d.call(
        "refer_crime",
        "行刑衔接移送监督",
        6,
        3,
        called="referral",
        ins=[
            {"variables": "all"},
            {"sourceExpression": "${'CRIMINAL'}", "target": "referral_type"},
            {"sourceExpression": "${agency_id}", "target": "target_agency_id"},
        ],
        outs=[
            {"source": "referral_status", "target": "referral_status"},
            {"source": "prior_admin_penalties", "target": "prior_admin_penalties"},
        ],
    )
    d.call(
        "refer_misconduct",
        "移送纪检监察",
        6,
        4,
        called="referral",
        ins=[
            {"variables": "all"},
            {"sourceExpression": "${'DISCIPLINE'}", "target": "referral_type"},
            {"sourceExpression": "${agency_id}", "target": "target_agency_id"},
        ],
        outs=[{"source": "referral_status", "target": "referral_status"}],
    )
    d.gateway("gw_outcome", "", 9, 0)
    d.user(
        "feedback",
        "反馈监督员",
        10,
        0,
        groups=SUPERVISOR,
        due="${workdays(setting('observation_feedback_workdays'))}",
        form=[area("feedback_text", "反馈内容", required=True)],
        doc="T6_3：结果出来后 WD(5) 内反馈 [ASSUME]；反馈写入监督员可见的意见记录。",
    )
    d.service("record_reply", "写入监督员意见记录", 11, 0, handler="recordObservationReply")
    d.user(
        "rate_feedback",
        "评价反馈",
        12,
        7,
        users="${filed_by}",
        due="${workdays(setting('observation_feedback_workdays'))}",
        form=[
            choice(
                "supervisor_satisfaction",
                "满意度",
                [
                    ("satisfied", "满意"),
                    ("basically_satisfied", "基本满意"),
                    ("dissatisfied", "不满意"),
                ],
            ),
            area("rating_comment", "意见", maxlength=1000),
        ],
        doc="监督员对反馈的评价（满意度 supervisor_satisfaction）。",
    )
    d.service(
        "mark_closed",
        "办结",
        13,
        0,
        handler="setObservationStatus",
        fields={"status": "closed"},
        outputs={"case_status": "${'OBS_CLOSED'}"},
    )
    d.end("end", "已办结", 14, 0)

    d.chain("start", "init_defaults", "assign_case_no", "triage", "mark_triaged", "gw_route")
    d.flow("gw_route", "send_lead", cond="${routing == 'major'}", name="重大")
    d.flow(
        "gw_route", "start_complaint", cond="${routing == 'specific_complaint'}", name="具体投诉"
    )
    d.flow("gw_route", "refer_crime", cond="${routing == 'crime'}", name="涉嫌犯罪")
    d.flow("gw_route", "refer_misconduct", cond="${routing == 'misconduct'}", name="违纪违法")
    d.flow("gw_route", "bureau_answer", id="Flow_general", name="一般意见")
    d.chain("send_lead", "wait_outcome", "gw_outcome")
    d.flow("start_complaint", "gw_outcome")
    d.flow("refer_crime", "gw_outcome")
    d.flow("refer_misconduct", "gw_outcome")
    d.chain("bureau_answer", "approve_answer", "gw_answer_ok")
    d.flow("gw_answer_ok", "gw_outcome", cond="${answer_approved}", name="同意")
    d.flow("gw_answer_ok", "bureau_answer", cond="${!answer_approved}", name="退回")
    d.chain("gw_outcome", "feedback", "record_reply", "rate_feedback", "mark_closed", "end")
    return d
