"""complaint_intake: Flow 1 投诉举报办理 (domain.md §2.1), from a 12345 ticket or direct intake."""

from __future__ import annotations

from tools.bpmn_builder import Diagram
from tools.bpmn_builder import area
from tools.bpmn_builder import choice
from tools.bpmn_builder import day
from tools.bpmn_builder import flag
from tools.bpmn_builder import group
from tools.bpmn_builder import moment
from tools.bpmn_builder import number
from tools.bpmn_builder import text
from tools.workflow_models.common import BUREAU
from tools.workflow_models.common import BUREAU_HEAD
from tools.workflow_models.common import CHIEF
from tools.workflow_models.common import CORRECTION_DOC_TYPES
from tools.workflow_models.common import FINDINGS
from tools.workflow_models.common import LEADER
from tools.workflow_models.common import REPLY_METHODS
from tools.workflow_models.common import SUPERVISOR
from tools.workflow_models.common import intake_fields

DEFAULTS = {
    "hotline_ticket_no": "${null}",
    "dispatched_at": "${now()}",
    "hotline_due_date": "${null}",
    "request_type": "${'complaint'}",
    "is_anonymous": "${false}",
    "callback_consent": "${false}",
    "respondent_agency_id": "${null}",
    "split_from": "${null}",
    "screening_due": "${null}",
    "share_contact": "${false}",
    "in_reconsideration_or_litigation": "${false}",
    "eligible_for_reconsideration_or_litigation": "${false}",
    "seeks_individual_remedy": "${false}",
    "respondent_is_vertical": "${false}",
    "discipline_only": "${false}",
    "discipline_forward": "${false}",
    "no_specific_respondent_or_facts": "${false}",
    "duplicate_without_new_facts": "${false}",
    "is_major": "${false}",
    "split_ticket": "${false}",
    "needs_site_visit": "${false}",
    "request_extension": "${false}",
    "extension_used": "${false}",
    "ask_hotline_extension": "${false}",
    "insufficient": "${false}",
    "violation_found": "${false}",
    "suspected_crime_not_transferred": "${false}",
    "suspected_official_misconduct": "${false}",
    "major_or_typical": "${false}",
    "reopened": "${false}",
    "reopen_count": "${0}",
    "correction_pending": "${false}",
    "close_status": "${'CLOSED'}",
}

COMPUTE_DEADLINES = """
# 12345 工单（交办件、拆分件带原工单编号）要签收，并按热线时限办结（domain.md §2.1.1）
is_hotline = bool(hotline_ticket_no)
needs_sign_for = is_hotline and not split_from
received_at = now()
if is_hotline:
    if hotline_due_date:
        case_due_at = workdays(0, hotline_due_date)
    else:
        if request_type == 'consult':
            hotline_due_workdays = setting('hotline_due_workdays_consult')
        elif request_type in ('help', 'suggestion'):
            hotline_due_workdays = setting('hotline_due_workdays_help')
        else:
            hotline_due_workdays = setting('hotline_due_workdays_complaint')
        case_due_at = workdays(hotline_due_workdays, dispatched_at)
        hotline_due_date = date_of(case_due_at)
else:
    case_due_at = workdays(setting('direct_reply_workdays'), received_at)
if not screening_due and not needs_sign_for:
    if is_hotline:
        screening_due = workdays(setting('screening_workdays_hotline'), received_at)
    else:
        screening_due = workdays(setting('screening_workdays_direct'), received_at)
handling_due_at = case_due_at
needs_callback = is_hotline and not is_anonymous and callback_consent
"""

DECIDE_SCREENING = """
# 受理决定：按 domain.md §2.1.2 的顺序判断，先命中者为准
rejection_code = None
if in_reconsideration_or_litigation:
    screening_outcome = 'not_accepted'
    rejection_code = 'IN_REVIEW_OR_LITIGATION'
    notice_text = ('您反映的事项已申请行政复议或者提起行政诉讼。依照《行政执法监督条例》'
                   '第三十三条第三款，已进入行政复议、行政诉讼程序的事项不再重复监督，'
                   '请关注复议或诉讼结果。')
elif eligible_for_reconsideration_or_litigation and seeks_individual_remedy:
    screening_outcome = 'redirect'
    rejection_code = 'ELIGIBLE_REVIEW_LITIGATION'
    notice_text = ('您反映的行政行为属于可以申请行政复议或者提起行政诉讼的事项。依照《行政执法'
                   '监督条例》第三十三条第三款，请依法向行政复议机关申请行政复议，或者向'
                   '人民法院提起行政诉讼。')
elif respondent_is_vertical:
    screening_outcome = 'vertical'
    rejection_code = 'VERTICAL'
    notice_text = ('您反映的单位属于垂直管理机构。依照《行政执法监督条例》第四十二条，'
                   '本机关已函告其上一级主管部门依法处理，您也可以向其主管部门反映'
                   '（涉税事项可拨打12366纳税服务热线）。')
elif hand_down:
    screening_outcome = 'hand_down'
    notice_text = '您反映的问题已交由属地县（区）司法局办理。'
elif discipline_only:
    screening_outcome = 'discipline'
    rejection_code = 'DISCIPLINE'
    notice_text = '您反映的问题属于公职人员违纪违法问题，请向纪检监察机关反映（举报电话12388）。'
elif no_specific_respondent_or_facts and not is_anonymous:
    screening_outcome = 'not_accepted'
    rejection_code = 'NO_FACTS'
    notice_text = '因未提供具体的被投诉单位或者事实，暂不能受理，请补充具体情况后再行反映。'
elif no_specific_respondent_or_facts:
    screening_outcome = 'lead'
    notice_text = '您反映的问题已作为监督线索登记，将进行研判处理。'
elif duplicate_without_new_facts:
    screening_outcome = 'merge'
    rejection_code = 'DUPLICATE'
    notice_text = '您反映的事项与此前诉求相同且无新的事实和理由，已并入原诉求办理。'
elif is_major:
    screening_outcome = 'lead'
    notice_text = '您反映的问题已转入重点监督程序办理，办理结束后将答复您。'
else:
    screening_outcome = 'transfer'
    notice_text = None
disposition = {'not_accepted': '告知', 'redirect': '告知', 'vertical': '函告',
               'hand_down': '交办下级', 'discipline': '告知', 'lead': '自办调查',
               'merge': '并单', 'transfer': '转办核查'}[screening_outcome]
"""


def build() -> Diagram:
    d = Diagram(
        "complaint_intake",
        "投诉举报办理",
        documentation=(
            "流程1 投诉举报办理（domain.md §2.1）：12345工单（消息 Msg_HotlineTicket）或直接受理 → "
            "签收/退单 → 受理审查（§2.1.2 各情形）→ 转办执法机关核查（黄牌/红牌/升级督办、延期）"
            " → 审查 → 监督文书/移送/重点监督 → 答复（匿名跳过）→ 反馈12345 → 回访与重办 → "
            "办结归档。12345办结时限（投诉举报15个工作日）与内部时限并行跟踪。"
        ),
        version_tag="1.0",
        pool_name="司法局（行政执法监督机构）",
        lanes=[
            ("Lane_supervision", "监督机构（承办人/科长/局领导）", 6),
            ("Lane_bureau", "执法机关承办人", 1),
            ("Lane_bureau_head", "执法机关负责人", 1),
            ("Lane_township", "司法所", 1),
            ("Lane_system", "时限监控（系统）", 3),
        ],
        external_pools=[("hotline", "12345政务服务便民热线管理机构")],
        cols=85,
    )
    # ---------------------------------------------------------------- intake
    d.start(
        "start_hotline",
        "收到12345工单",
        0,
        0,
        message="Msg_HotlineTicket",
        pool="hotline",
        doc="SE1_1：热线派单（消息 Msg_HotlineTicket，变量为 §2.1.3 受理字段，业务键=工单编号）。",
    )
    d.start(
        "start_direct",
        "直接受理（来信/来访/监督员转入/上级交办）",
        0,
        3,
        form=intake_fields(),
        doc="SE1_2：直接受理，受理审查 WD(5) [CUST:S18]。",
    )
    d.gateway("gw_intake", "", 1, 0)
    d.service(
        "init_defaults",
        "设置默认值",
        2,
        0,
        handler="setDefaults",
        fields=DEFAULTS,
        doc="网关读取的变量先有确定的默认值（工单未带的字段、未提交的表单项）。",
    )
    d.service(
        "assign_case_no",
        "确定主管机构并编号",
        3,
        0,
        handler="assignCaseNumber",
        fields={"type": "TS"},
        doc="案件编号 JD-<区划>-<年>-TS-<序号>（docs/numbering.md）；重办保留原编号。",
    )
    d.script(
        "compute_deadlines",
        "计算12345办结时限",
        4,
        0,
        COMPUTE_DEADLINES,
        doc="热线时限：投诉举报 WD(15)、咨询 WD(3)、求助/意见建议 WD(7) [SRC:S5]，工单带时限时"
        "以工单为准；直接受理按内部时限。",
    )
    d.gateway("gw_needs_sign", "需签收?", 5, 0, default="Flow_direct_to_screen")
    d.user(
        "sign_for",
        "签收工单",
        6,
        0,
        groups=SUPERVISOR,
        due="${workdays(setting('sign_for_workdays'), dispatched_at)}",
        form=[
            choice(
                "dispatch_check",
                "是否属本机关职责",
                [
                    ("ours", "属本机关职责"),
                    ("not_enforcement_conduct", "非行政执法行为（申请退单）"),
                    ("wrong_unit", "派错承办单位（申请退单）"),
                ],
                default="ours",
            ),
            area("sign_note", "签收说明", maxlength=1000),
        ],
        outputs={
            "signed_at": "${now()}",
            "screening_due": "${workdays(setting('screening_workdays_hotline'))}",
        },
        doc="T1_1 签收：当日、至迟 WD(1) [ASSUME]；受理审查时限自签收起 WD(3)。",
    )
    d.gateway("gw_ours", "属本机关职责?", 7, 0, default="Flow_gw_ours_request_return")
    d.user(
        "request_return",
        "申请退单",
        8,
        1,
        groups=SUPERVISOR,
        due="${workdays(setting('return_request_workdays'), dispatched_at)}",
        form=[
            area("return_reason", "退单理由", required=True, maxlength=2000),
            text("suggested_unit", "建议承办单位", maxlength=200),
            area("return_basis", "法律/职责依据", maxlength=2000),
        ],
        doc="T1_2：自派单起 WD(2) 内申请退单并说明理由 [CUST:S16]。",
    )
    d.user(
        "approve_return",
        "科长审核退单",
        9,
        2,
        groups=CHIEF,
        due="${workdays(setting('return_request_workdays'), dispatched_at)}",
        form=[
            flag("return_approved", "同意退单", default="true"),
            area("return_approval_comment", "审核意见", maxlength=1000),
        ],
    )
    d.gateway("gw_return_ok", "同意退单?", 10, 2)
    d.send(
        "send_return",
        "向12345提交退单申请",
        11,
        1,
        message="Msg_ReturnRequest",
        variables=[
            "hotline_ticket_no",
            "case_no",
            "return_reason",
            "suggested_unit",
            "return_basis",
        ],
        pool="hotline",
    )
    d.catch(
        "wait_return_result",
        "退单审核结果",
        12,
        1,
        message="Msg_ReturnResult",
        pool="hotline",
        outputs={"case_status": "${return_result == 'accepted' ? 'RETURNED' : null}"},
        doc="ICE1_1：热线答复退单申请（return_result: accepted | rejected, return_comment）。",
    )
    d.gateway("gw_return_result", "热线同意退单?", 13, 1, default="Flow_return_rejected")
    d.end("end_returned", "已退单", 14, 1)
    # ---------------------------------------------------------------- screening
    d.gateway("gw_screen", "", 15, 0)
    d.user(
        "screening",
        "受理审查",
        16,
        0,
        groups=SUPERVISOR,
        due="${screening_due}",
        form=[
            flag("in_scope", "属于行政执法监督受理范围", default="true"),
            group(
                "respondent_agency_id",
                "被投诉执法机关",
                default="${respondent_agency_id}",
                kind="bureau",
            ),
            flag("in_reconsideration_or_litigation", "已申请行政复议或提起行政诉讼"),
            flag("eligible_for_reconsideration_or_litigation", "属可申请复议或诉讼的事项"),
            flag("seeks_individual_remedy", "诉求人寻求个案救济"),
            flag("respondent_is_vertical", "被投诉单位为垂直管理机构"),
            flag("discipline_only", "仅反映公职人员违纪问题（无执法行为）"),
            flag("no_specific_respondent_or_facts", "无具体被投诉单位或事实"),
            flag("duplicate_without_new_facts", "重复诉求且无新事实（并单）"),
            text("merged_into_case_no", "并入的原工单/案件编号", maxlength=64),
            flag("is_major", "属重大（重点监督情形）"),
            area("major_criteria", "重大情形说明", maxlength=1000),
            flag("split_ticket", "拆分出另一事项单独办理"),
            area("split_text", "拆分事项内容", maxlength=3000),
            group("split_respondent_id", "拆分事项的被投诉单位"),
            area("screening_note", "审查意见", required=True, maxlength=2000),
        ],
        doc="T1_3 受理审查：12345工单自签收 WD(3) [ASSUME]，直接受理 WD(5) [CUST:S18]。"
        "数据项 in_scope、rejection_code、jurisdiction_level、owner_unit_id、"
        "disposition、is_major。",
    )
    d.service(
        "resolve_jurisdiction",
        "确定管辖",
        17,
        0,
        handler="resolveJurisdiction",
        doc="§1.4 规则1：市级部门/县级政府归市，县级部门/乡镇归县；垂直管理机构只函告上级。",
    )
    d.script(
        "decide_screening",
        "确定受理决定",
        18,
        0,
        DECIDE_SCREENING,
        doc="G1_2 的判断顺序写在此脚本中（domain.md §2.1.2 第1–8项），结果为 screening_outcome。",
    )
    d.user(
        "approve_screening",
        "科长审核受理决定",
        19,
        2,
        groups=CHIEF,
        due="${screening_due}",
        form=[
            flag("screening_approved", "同意受理决定", default="true"),
            area("approval_comment", "审核意见", maxlength=1000),
        ],
        outputs={"accepted_at": "${now()}"},
        doc="受理审查由科长审核（T1_3 supervisor, approved by section_chief）。",
    )
    d.gateway("gw_screening_ok", "同意?", 20, 2)
    d.gateway("gw_split", "拆分?", 21, 2, default="Flow_no_split")
    d.service(
        "split_case",
        "拆分事项另行立案",
        22,
        3,
        handler="startRelatedCase",
        fields={
            "process": "complaint_intake",
            "relation": "split",
            "copy": "intake,screening_due,split_from",
        },
        inputs={
            "complaint_text": "${split_text}",
            "respondent_agency_id": "${split_respondent_id}",
            "split_from": "${case_no}",
        },
        doc="一张工单反映两个事项时（TS-03），拆出的事项以同一工单编号另行审查。",
    )
    d.gateway("gw_split_done", "", 23, 0)
    d.gateway(
        "gw_outcome",
        "受理决定",
        24,
        0,
        default="Flow_outcome_transfer",
        doc="G1_2：按 screening_outcome 分流。",
    )
    d.user(
        "notify_decline",
        "不予受理告知/引导",
        25,
        1,
        groups=SUPERVISOR,
        due="${case_due_at}",
        form=[
            area(
                "notice_text", "告知内容", required=True, default="${notice_text}", maxlength=3000
            ),
            choice("notice_method", "告知方式", REPLY_METHODS, default="hotline"),
            flag("discipline_forward", "同时按程序移送纪检监察机关（经审批）"),
        ],
        outputs={
            "case_status": "${screening_outcome == 'redirect' ? 'REDIRECTED_REVIEW_LITIGATION'"
            " : 'NOT_ACCEPTED_NOTIFIED'}",
            "notified_at": "${now()}",
        },
        doc="T1_4：说明理由并告知复议/诉讼途径（《行政执法监督条例》第三十三条第三款）。",
    )
    d.user(
        "notify_vertical",
        "函告垂直管理机构上一级主管部门",
        25,
        2,
        groups=SUPERVISOR,
        due="${workdays(setting('vertical_notice_workdays'))}",
        form=[
            text("vertical_superior", "上一级主管部门", required=True, maxlength=200),
            area("letter_summary", "函告内容", required=True, maxlength=3000),
            area(
                "notice_text",
                "告知诉求人内容",
                required=True,
                default="${notice_text}",
                maxlength=3000,
            ),
        ],
        outputs={"case_status": "${'VERTICAL_NOTIFIED'}", "notified_at": "${now()}"},
        doc="T1_6：垂直管理机构只作合规监督，问题函告其上级（《行政执法监督条例》第四十二条）。",
    )
    d.user(
        "merge_ticket",
        "并单",
        25,
        3,
        groups=SUPERVISOR,
        due="${case_due_at}",
        form=[
            text("merged_into_case_no", "并入的原工单/案件编号", required=True, maxlength=64),
            area("notice_text", "告知内容", required=True, default="${notice_text}"),
        ],
        outputs={"case_status": "${'MERGED'}", "notified_at": "${now()}"},
        doc="重复诉求且无新事实：并单 [SRC:S7]。",
    )
    d.send(
        "send_lead",
        "转重点监督（线索）",
        25,
        4,
        message="Msg_SupervisionLead",
        variables={
            "lead_source": "${'12345'}",
            "related_ticket_nos": "${hotline_ticket_no}",
            "respondent_agency_id": None,
            "act_description": "${complaint_text}",
            "case_title": None,
            "owner_unit_id": None,
            "is_anonymous": None,
            "major_criteria": None,
        },
        doc="受理且属重大，或匿名且无具体事实（作为线索保留）：启动流程3 重点监督。",
    )
    d.user(
        "interim_reply",
        "阶段性答复",
        26,
        4,
        groups=SUPERVISOR,
        due="${case_due_at}",
        form=[area("notice_text", "阶段性答复内容", required=True, default="${notice_text}")],
        outputs={"case_status": "${'ESCALATED_TO_P3'}", "is_interim": "${true}"},
        doc="12345部分以阶段性答复办结，重点监督另案办理（ESCALATED_TO_P3）。",
    )
    d.service(
        "issue_handdown",
        "制发交办函",
        25,
        5,
        handler="issueDocument",
        fields={"type": "handdown", "variable": "handdown_doc_no"},
        inputs={"addressee_id": "${responsible_unit_id}"},
    )
    d.service(
        "hand_down",
        "交办下级司法局",
        26,
        5,
        handler="startRelatedCase",
        fields={
            "process": "complaint_intake",
            "relation": "handed_down",
            "copy": "intake,owner_unit_id",
        },
        inputs={"owner_unit_id": "${responsible_unit_id}"},
        outputs={"case_status": "${'HANDED_DOWN'}"},
        doc="T1_5：县（区）司法局以同一工单办理流程1，案件归县主管；市级可查阅、可提级。",
    )
    d.end("end_handed_down", "已交办下级", 27, 5)
    d.gateway("gw_notice", "", 27, 2)
    d.gateway("gw_notice_hotline", "12345工单?", 28, 2, default="Flow_notice_no_hotline")
    d.send(
        "send_notice_feedback",
        "反馈12345处理结果",
        29,
        2,
        message="Msg_HotlineFeedback",
        variables={
            "reply_text": "${notice_text}",
            "reply_method": "${'hotline'}",
            "hotline_feedback_at": "${now()}",
            "case_no": None,
            "hotline_ticket_no": None,
            "case_status": None,
            "rejection_code": None,
        },
        outputs={"hotline_feedback_at": "${hotline_feedback_at}"},
        pool="hotline",
    )
    d.gateway("gw_notice_sent", "", 30, 2)
    d.gateway("gw_discipline_forward", "移送纪检?", 31, 2, default="Flow_no_discipline_forward")
    d.call(
        "refer_discipline_clue",
        "移送纪检监察（线索）",
        32,
        3,
        called="referral",
        ins=[
            {"variables": "all"},
            {"sourceExpression": "${'DISCIPLINE'}", "target": "referral_type"},
        ],
        outs=[
            {"source": "referral_status", "target": "discipline_referral_status"},
            {"source": "referral_no", "target": "discipline_referral_no"},
        ],
        doc="G1_2 第5项：纯违纪问题，经审批按流程4b移送 [ASSUME]。",
    )
    d.gateway("gw_discipline_done", "", 33, 2)
    d.gateway("gw_notice_end", "结果", 34, 2, default="Flow_notice_end_not_accepted")
    d.end("end_not_accepted", "不予受理-已告知", 35, 1)
    d.end("end_redirected", "已引导复议/诉讼", 35, 2)
    d.end("end_vertical", "已函告上级主管部门", 35, 3)
    d.end("end_merged", "已并单", 35, 4)
    d.end("end_escalated", "转重点监督", 35, 5)

    d.chain(
        "start_hotline",
        "gw_intake",
        "init_defaults",
        "assign_case_no",
        "compute_deadlines",
        "gw_needs_sign",
    )
    d.flow("start_direct", "gw_intake")
    d.flow("gw_needs_sign", "sign_for", cond="${needs_sign_for}", name="12345工单")
    d.flow(
        "gw_needs_sign",
        "gw_screen",
        id="Flow_direct_to_screen",
        name="直接受理",
        waypoints=[(d.cx(5), d.cy(4)), (d.cx(15), d.cy(4))],
    )
    d.flow("sign_for", "gw_ours")
    d.flow("gw_ours", "gw_screen", cond="${dispatch_check == 'ours'}", name="属本机关")
    d.flow("gw_ours", "request_return", id="Flow_gw_ours_request_return", name="否")
    d.chain("request_return", "approve_return", "gw_return_ok")
    d.flow("gw_return_ok", "send_return", cond="${return_approved}", name="同意")
    d.flow(
        "gw_return_ok",
        "gw_screen",
        cond="${!return_approved}",
        name="不同意",
        waypoints=[(d.cx(10), d.cy(3)), (d.cx(15), d.cy(3))],
    )
    d.chain("send_return", "wait_return_result", "gw_return_result")
    d.flow(
        "gw_return_result", "end_returned", cond="${return_result == 'accepted'}", name="同意退单"
    )
    d.flow("gw_return_result", "gw_screen", id="Flow_return_rejected", name="不同意")
    d.chain(
        "gw_screen",
        "screening",
        "resolve_jurisdiction",
        "decide_screening",
        "approve_screening",
        "gw_screening_ok",
    )
    d.flow("gw_screening_ok", "screening", cond="${!screening_approved}", name="退回")
    d.flow("gw_screening_ok", "gw_split", cond="${screening_approved}", name="同意")
    d.flow("gw_split", "split_case", cond="${split_ticket}", name="拆分")
    d.flow("gw_split", "gw_split_done", id="Flow_no_split")
    d.flow("split_case", "gw_split_done")
    d.flow("gw_split_done", "gw_outcome")
    d.flow(
        "gw_outcome",
        "notify_decline",
        cond="${screening_outcome == 'not_accepted' || screening_outcome == 'redirect'"
        " || screening_outcome == 'discipline'}",
        name="不予受理/引导",
    )
    d.flow(
        "gw_outcome", "notify_vertical", cond="${screening_outcome == 'vertical'}", name="垂直管理"
    )
    d.flow("gw_outcome", "merge_ticket", cond="${screening_outcome == 'merge'}", name="并单")
    d.flow("gw_outcome", "send_lead", cond="${screening_outcome == 'lead'}", name="重大/线索")
    d.flow(
        "gw_outcome", "issue_handdown", cond="${screening_outcome == 'hand_down'}", name="交办下级"
    )
    d.chain("send_lead", "interim_reply")
    d.chain("issue_handdown", "hand_down", "end_handed_down")
    for source in ("notify_decline", "notify_vertical", "merge_ticket", "interim_reply"):
        d.flow(source, "gw_notice")
    d.flow("gw_notice", "gw_notice_hotline")
    d.flow("gw_notice_hotline", "send_notice_feedback", cond="${is_hotline}", name="是")
    d.flow(
        "gw_notice_hotline",
        "gw_notice_sent",
        id="Flow_notice_no_hotline",
        name="否",
        waypoints=[(d.cx(28), d.cy(3)), (d.cx(30), d.cy(3))],
    )
    d.chain("send_notice_feedback", "gw_notice_sent", "gw_discipline_forward")
    d.flow(
        "gw_discipline_forward",
        "refer_discipline_clue",
        cond="${screening_outcome == 'discipline' && discipline_forward}",
        name="移送",
    )
    d.flow("gw_discipline_forward", "gw_discipline_done", id="Flow_no_discipline_forward")
    d.flow("refer_discipline_clue", "gw_discipline_done")
    d.flow("gw_discipline_done", "gw_notice_end")
    d.flow("gw_notice_end", "end_not_accepted", id="Flow_notice_end_not_accepted")
    d.flow("gw_notice_end", "end_redirected", cond="${screening_outcome == 'redirect'}")
    d.flow("gw_notice_end", "end_vertical", cond="${screening_outcome == 'vertical'}")
    d.flow("gw_notice_end", "end_merged", cond="${screening_outcome == 'merge'}")
    d.flow("gw_notice_end", "end_escalated", cond="${screening_outcome == 'lead'}")

    _handling(d)
    _closing(d)
    return d


def _handling(d: Diagram) -> None:
    """The 12345-timed part: transfer, bureau, review, reply, feedback (SP_handling)."""
    b = 36
    d.gateway("gw_handling_in", "", b - 0.75, 0)
    d.subprocess(
        "handling",
        "核查办理（办理时限内）",
        b,
        0,
        b + 33,
        8,
        doc="办理时限：首次为12345办结时限，重办时为重办时限（handling_due_at）；边界计时器"
        "BT1_4 在到期前 WD(2) 与到期时预警 [SRC:S5] [ASSUME]。",
    )
    d.flow("gw_outcome", "gw_handling_in", id="Flow_outcome_transfer", name="受理：转办核查")
    d.flow("gw_handling_in", "handling")
    with d.inside("handling"):
        d.start("handling_start", "开始办理", b, 0)
        d.gateway("gw_reentry", "重办?", b + 1, 0, default="Flow_first_handling")
        d.user(
            "transfer",
            "制发转办函",
            b + 2,
            0,
            groups=SUPERVISOR,
            due="${workdays(setting('transfer_workdays'), accepted_at)}",
            form=[
                group(
                    "target_agency_id",
                    "承办执法机关",
                    required=True,
                    default="${respondent_agency_id}",
                    kind="bureau",
                ),
                area(
                    "instructions",
                    "办理要求",
                    required=True,
                    default="请核查诉求反映的问题（核查人员不少于2人），形成书面核查报告，"
                    "经单位负责人审核后书面回复。",
                    maxlength=2000,
                ),
                flag("share_contact", "向执法机关提供诉求人联系方式"),
                text("share_contact_reason", "提供联系方式的理由", maxlength=500),
                flag("needs_site_visit", "需司法所协助实地核查"),
                group("site_visit_unit", "协助核查的司法所", kind="justice_office"),
            ],
            doc="T1_7：受理后 WD(1) 内制发转办函 [ASSUME]；执法机关回复期限 WD(7) [ASSUME]。",
        )
        d.user(
            "approve_transfer",
            "科长审核转办",
            b + 3,
            2,
            groups=CHIEF,
            due="${workdays(setting('transfer_workdays'), accepted_at)}",
            form=[
                flag("transfer_approved", "同意转办", default="true"),
                area("transfer_comment", "审核意见", maxlength=1000),
            ],
            outputs={
                "bureau_due_at": "${workdays(setting('bureau_reply_workdays'))}",
                "bureau_due_date": "${date_of(workdays(setting('bureau_reply_workdays')))}",
                "transferred_at": "${now()}",
            },
        )
        d.gateway("gw_transfer_ok", "同意?", b + 4, 2)
        d.service(
            "issue_transfer",
            "编号并发出转办函",
            b + 5,
            0,
            handler="issueDocument",
            fields={"type": "transfer", "variable": "transfer_doc_no"},
            doc="转办函取号（如 广司监转〔2026〕31号），诉求人信息除非 share_contact 均不提供。",
        )
        d.gateway("gw_bureau_in", "", b + 6, 6)
        _bureau(d, b + 7)
        d.gateway("gw_after_bureau", "申请延期?", b + 12, 6, default="Flow_bureau_replied")
        d.user(
            "decide_extension",
            "审批延期申请",
            b + 13,
            5,
            groups=CHIEF,
            due="${bureau_due_at}",
            form=[
                flag("extension_granted", "同意延期", default="true"),
                number(
                    "extension_days_granted",
                    "延期工作日数",
                    default="${extension_days}",
                    minimum=1,
                    maximum=5,
                ),
                area("extension_comment", "审批意见", maxlength=1000),
                flag("ask_hotline_extension", "同时向12345申请延期（热线时限有风险）"),
            ],
            outputs={
                "bureau_due_at": "${extension_granted ? workdays(extension_days_granted, "
                "bureau_due_at) : bureau_due_at}",
                "bureau_due_date": "${date_of(extension_granted ? workdays("
                "extension_days_granted, bureau_due_at) : bureau_due_at)}",
                "extension_used": "${extension_used || extension_granted}",
                "request_extension": "${false}",
            },
            doc="ICE1_2：延期至多 WD(5) 且限一次 [ASSUME]；重新进入核查环节，"
            "预警计时器随新期限重算。",
        )
        d.gateway("gw_ask_hotline", "向12345延期?", b + 14, 5, default="Flow_no_hotline_ext")
        d.send(
            "send_hotline_extension",
            "向12345申请延期",
            b + 15,
            4,
            message="Msg_HotlineExtensionRequest",
            variables={
                "hotline_ticket_no": None,
                "case_no": None,
                "extension_comment": None,
                "bureau_due_date": None,
            },
            pool="hotline",
            doc="[SRC:S5] 复杂事项按规定延期办理。",
        )
        d.gateway("gw_extension_done", "", b + 16, 5)
        d.gateway("gw_site", "需司法所协助?", b + 17, 0, default="Flow_no_site_visit")
        d.user(
            "site_visit",
            "司法所协助实地核查",
            b + 18,
            8,
            groups="${site_visit_unit}",
            due="${workdays(setting('site_visit_workdays'))}",
            form=[
                moment("site_visit_at", "核查时间", required=True, default="${now()}"),
                area("site_findings", "实地核查情况", required=True),
            ],
            doc="司法所协助县（区）司法局（《行政执法监督条例》第六条）；只看到分配给它的事项。",
        )
        d.gateway("gw_review_in", "", b + 19, 0)
        d.user(
            "review",
            "审查核查结果",
            b + 20,
            0,
            groups=SUPERVISOR,
            due="${workdays(setting('review_workdays'))}",
            form=[
                area("review_opinion", "审查意见", required=True),
                flag("insufficient", "核查不充分，退回补充核查"),
                flag("violation_found", "发现违法或明显不当/应履行未履行（制发监督文书）"),
                choice("doc_type", "拟制发文书类型", CORRECTION_DOC_TYPES, default="opinion"),
                flag("suspected_crime_not_transferred", "涉嫌犯罪未移送（行刑衔接）"),
                flag("suspected_official_misconduct", "公职人员涉嫌违纪违法（移送纪检监察）"),
                flag("major_or_typical", "重大或典型（转重点监督）"),
            ],
            doc="T1_10：自回复起 WD(2) [ASSUME]；G1_3 结论可多选。",
        )
        d.gateway("gw_insufficient", "不充分?", b + 21, 0, default="Flow_sufficient")
        d.user(
            "send_back",
            "退回补充核查",
            b + 21,
            1,
            groups=SUPERVISOR,
            due="${workdays(1)}",
            form=[area("supplement_request", "补充核查要求", required=True)],
            outputs={
                "bureau_due_at": "${workdays(setting('supplement_workdays'))}",
                "bureau_due_date": "${date_of(workdays(setting('supplement_workdays')))}",
            },
            doc="T1_11：执法机关 WD(3) 内补充核查 [ASSUME]。",
        )
        d.gateway(
            "gw_review_outcome",
            "审查结论",
            b + 22,
            0,
            "inclusive",
            doc="G1_3（包容网关）：可同时制发文书、移送、转重点监督；始终答复。",
        )
        d.call(
            "issue_documents",
            "制发监督文书",
            b + 23,
            1,
            called="document_issuing",
            ins=[{"variables": "all"}],
            outs=[
                {"source": "doc_no", "target": "supervision_doc_no"},
                {"source": "doc_id", "target": "supervision_doc_id"},
                {"source": "doc_type", "target": "supervision_doc_type"},
                {"source": "correction_due", "target": "correction_due"},
                {"source": "correction_due_date", "target": "correction_due_date"},
                {"source": "correction_pending", "target": "correction_pending"},
                {"source": "served_at", "target": "supervision_doc_served_at"},
            ],
            doc="SP1_1：督办函（应履行未履行）/意见书（违法或明显不当）/提醒函/建议书（§2.5）。",
        )
        for element_id, name, kind, row in (
            ("refer_crime", "移送：行刑衔接监督", "CRIMINAL", 2),
            ("refer_misconduct", "移送：纪检监察", "DISCIPLINE", 3),
        ):
            d.service(
                element_id,
                name,
                b + 23,
                row,
                handler="startRelatedCase",
                fields={
                    "process": "referral",
                    "relation": "criminal_referral"
                    if kind == "CRIMINAL"
                    else "discipline_referral",
                    "copy": "owner_unit_id,target_agency_id,case_title,referral_type,"
                    "related_case_no",
                },
                inputs={"referral_type": "${'" + kind + "'}", "related_case_no": "${case_no}"},
                doc="流程4：移送作为关联案件单独编号（XS/JJ）、单独跟踪、各自办结（TS-06）。",
            )
            d.end(f"end_{element_id}", "已移送", b + 24, row)
        d.send(
            "send_major",
            "转重点监督",
            b + 23,
            4,
            message="Msg_SupervisionLead",
            variables={
                "lead_source": "${'12345'}",
                "related_ticket_nos": "${hotline_ticket_no}",
                "respondent_agency_id": None,
                "act_description": "${review_opinion}",
                "case_title": None,
                "owner_unit_id": None,
            },
        )
        d.end("end_major_sent", "已转重点监督", b + 24, 4)
        d.gateway("gw_review_join", "", b + 24, 0, "inclusive")
        d.user(
            "draft_reply",
            "拟写答复意见",
            b + 25,
            0,
            groups=SUPERVISOR,
            due="${caldays(0, before_workdays(handling_due_at, 1))}",
            form=[
                area("reply_text", "答复内容", required=True, maxlength=5000),
                choice("reply_method", "答复方式", REPLY_METHODS, default="hotline"),
                flag("is_interim", "阶段性答复"),
            ],
            doc="T1_12：办理时限前 WD(1) [ASSUME]。",
        )
        d.user(
            "approve_reply",
            "科长审核答复",
            b + 26,
            2,
            groups=CHIEF,
            due="${caldays(0, before_workdays(handling_due_at, 1))}",
            form=[
                flag("reply_approved", "同意答复", default="true"),
                area("reply_approval_comment", "审核意见", maxlength=1000),
            ],
        )
        d.gateway("gw_reply_ok", "同意?", b + 27, 2)
        d.gateway("gw_anonymous", "匿名?", b + 28, 0, default="Flow_named")
        d.user(
            "reply_complainant",
            "答复诉求人",
            b + 29,
            1,
            groups=SUPERVISOR,
            due="${handling_due_at}",
            form=[
                choice("reply_method", "答复方式", REPLY_METHODS, default="phone"),
                moment("replied_to_complainant_at", "答复时间", required=True, default="${now()}"),
                area("reply_note", "答复情况记录", maxlength=2000),
            ],
            doc="T1_13：匿名诉求不答复诉求人（§1.4 规则7）。",
        )
        d.gateway("gw_replied", "", b + 30, 0)
        d.gateway("gw_feedback", "12345工单?", b + 31, 0, default="Flow_no_feedback")
        d.send(
            "send_feedback",
            "反馈12345办理结果",
            b + 32,
            0,
            message="Msg_HotlineFeedback",
            variables={
                "reply_text": None,
                "reply_method": None,
                "hotline_feedback_at": "${now()}",
                "case_no": None,
                "hotline_ticket_no": None,
                "is_interim": None,
            },
            outputs={"hotline_feedback_at": "${hotline_feedback_at}"},
            pool="hotline",
            doc="T1_14：在热线办结时限内反馈（Msg_HotlineFeedback，经发件箱送达热线）。",
        )
        d.end("handling_end", "办理完毕", b + 33, 0)

        d.chain("handling_start", "gw_reentry")
        d.flow("gw_reentry", "transfer", id="Flow_first_handling", name="首次")
        d.flow(
            "gw_reentry",
            "gw_review_in",
            cond="${reopened}",
            name="重办：重新审查",
            waypoints=[(d.cx(b + 1), d.cy(1)), (d.cx(b + 19), d.cy(1))],
        )
        d.chain("transfer", "approve_transfer", "gw_transfer_ok")
        d.flow("gw_transfer_ok", "transfer", cond="${!transfer_approved}", name="退回")
        d.flow("gw_transfer_ok", "issue_transfer", cond="${transfer_approved}", name="同意")
        d.chain("issue_transfer", "gw_bureau_in", "bureau")
        d.flow("bureau", "gw_after_bureau")
        d.flow(
            "gw_after_bureau",
            "decide_extension",
            cond="${request_extension && !extension_used}",
            name="申请延期",
        )
        d.flow(
            "gw_after_bureau",
            "gw_site",
            id="Flow_bureau_replied",
            name="已回复",
            waypoints=[(d.cx(b + 16.6), d.cy(6)), (d.cx(b + 16.6), d.cy(0))],
        )
        d.chain("decide_extension", "gw_ask_hotline")
        d.flow(
            "gw_ask_hotline",
            "send_hotline_extension",
            cond="${ask_hotline_extension && is_hotline}",
            name="是",
        )
        d.flow("gw_ask_hotline", "gw_extension_done", id="Flow_no_hotline_ext")
        d.flow("send_hotline_extension", "gw_extension_done")
        d.flow(
            "gw_extension_done",
            "gw_bureau_in",
            name="按新期限继续核查",
            waypoints=[(d.cx(b + 16), d.cy(5.42)), (d.cx(b + 6), d.cy(5.42))],
        )
        d.flow("gw_site", "site_visit", cond="${needs_site_visit}", name="是")
        d.flow("gw_site", "gw_review_in", id="Flow_no_site_visit")
        d.flow("site_visit", "gw_review_in")
        d.chain("gw_review_in", "review", "gw_insufficient")
        d.flow("gw_insufficient", "send_back", cond="${insufficient}", name="不充分")
        d.flow(
            "send_back",
            "gw_bureau_in",
            name="补充核查",
            waypoints=[(d.cx(b + 21), d.cy(5.33)), (d.cx(b + 6.1), d.cy(5.33))],
        )
        d.flow("gw_insufficient", "gw_review_outcome", id="Flow_sufficient")
        d.flow("gw_review_outcome", "issue_documents", cond="${violation_found}", name="制发文书")
        d.flow("gw_review_outcome", "gw_review_join", cond="${true}", name="答复")
        d.flow("gw_review_outcome", "send_major", cond="${major_or_typical}", name="重点监督")
        d.flow(
            "gw_review_outcome",
            "refer_crime",
            cond="${suspected_crime_not_transferred}",
            name="行刑衔接",
        )
        d.flow(
            "gw_review_outcome",
            "refer_misconduct",
            cond="${suspected_official_misconduct}",
            name="纪检监察",
        )
        d.flow("refer_crime", "end_refer_crime")
        d.flow("refer_misconduct", "end_refer_misconduct")
        d.flow("issue_documents", "gw_review_join")
        d.flow("send_major", "end_major_sent")
        d.chain("gw_review_join", "draft_reply", "approve_reply", "gw_reply_ok")
        d.flow("gw_reply_ok", "draft_reply", cond="${!reply_approved}", name="退回")
        d.flow("gw_reply_ok", "gw_anonymous", cond="${reply_approved}", name="同意")
        d.flow("gw_anonymous", "gw_replied", cond="${is_anonymous}", name="匿名")
        d.flow("gw_anonymous", "reply_complainant", id="Flow_named", name="实名")
        d.flow("reply_complainant", "gw_replied")
        d.flow("gw_replied", "gw_feedback")
        d.flow("gw_feedback", "send_feedback", cond="${is_hotline}", name="是")
        d.flow(
            "gw_feedback",
            "handling_end",
            id="Flow_no_feedback",
            name="否",
            waypoints=[(d.cx(b + 31), d.cy(1)), (d.cx(b + 33), d.cy(1))],
        )
        d.flow("send_feedback", "handling_end")
    d.boundary(
        "handling_warning",
        "办理时限预警",
        "handling",
        timer={"date": "${before_workdays(handling_due_at, setting('hotline_warning_workdays'))}"},
        slot=-0.95,
        doc="BT1_4：12345办结时限（重办时为重办时限）前 WD(2) 预警 [ASSUME]。",
    )
    d.service(
        "handling_warning_alert",
        "通知：时限预警",
        b + 2,
        9,
        handler="notify",
        fields={
            "group": "${owner_unit_id}",
            "title": "办理时限将至：{case_no}",
            "body": "案件 {case_no} 的办理时限（{hotline_due_date}）将至，请尽快办结并反馈12345。",
            "kind": "due_soon",
        },
    )
    d.end("end_handling_warning", "已预警", b + 3, 9)
    d.boundary(
        "handling_due",
        "办理时限届满",
        "handling",
        timer={"date": "${handling_due_at}"},
        slot=-0.9,
        doc="BT1_4：办理时限届满仍未反馈，记录逾期。",
    )
    d.service(
        "handling_due_alert",
        "通知：时限届满",
        b + 2,
        10,
        handler="notify",
        fields={
            "group": "${owner_unit_id},${owner_unit_id}_chief",
            "title": "办理时限已届满：{case_no}",
            "body": "案件 {case_no} 已超过办理时限，请向12345申请延期或作阶段性答复。",
            "kind": "overdue",
        },
    )
    d.end("end_handling_due", "已记录逾期", b + 3, 10)
    d.chain("handling_warning", "handling_warning_alert", "end_handling_warning")
    d.chain("handling_due", "handling_due_alert", "end_handling_due")


def _bureau(d: Diagram, c: float) -> None:
    """SP_bureau: the bureau verifies and its head approves, under yellow/red/escalation."""
    d.subprocess(
        "bureau",
        "执法机关核查回复",
        c,
        6,
        c + 4,
        7,
        doc="T1_8/T1_9：执法机关签收核查、负责人审核回复，期限 bureau_due_at；可申请延期。",
    )
    with d.inside("bureau"):
        d.start("bureau_start", "收到转办函", c, 6)
        d.user(
            "verify",
            "签收并核查",
            c + 1,
            6,
            groups=BUREAU,
            due="${bureau_due_at}",
            form=[
                text("verified_by", "核查人员（不少于2人）", required=True, maxlength=200),
                area("verification_steps", "核查过程", required=True),
                choice("finding", "核查结论", FINDINGS),
                area("violation_items", "违法或不当情形", maxlength=3000),
                area("actions_taken", "已采取措施", maxlength=3000),
                area("corrective_plan", "整改措施", maxlength=3000),
                day("corrective_due", "整改期限"),
                flag("request_extension", "申请延期（限一次）"),
                number("extension_days", "申请延期工作日数", default="5", minimum=1, maximum=5),
                area("extension_reason", "延期理由", maxlength=1000),
            ],
            outputs={"replied_at": "${now()}"},
            doc="T1_8：核查人不少于2人 [CUST:S18]；数据项 verified_by、verification_steps、"
            "finding、violation_items、actions_taken、corrective_plan、corrective_due。",
        )
        d.gateway("gw_extension_request", "申请延期?", c + 2, 6, default="Flow_to_head")
        d.end("end_extension_requested", "申请延期", c + 3, 6)
        d.user(
            "approve_bureau_reply",
            "负责人审核回复",
            c + 3,
            7,
            groups=BUREAU_HEAD,
            due="${bureau_due_at}",
            form=[
                flag("head_approved", "同意回复", default="true"),
                area("head_comment", "负责人意见", maxlength=1000),
            ],
            doc="T1_9：执法机关负责人审核核查报告。",
        )
        d.gateway("gw_head_ok", "同意?", c + 4, 7)
        d.end("end_bureau_replied", "已回复", c + 4, 6)
        d.chain("bureau_start", "verify", "gw_extension_request")
        d.flow(
            "gw_extension_request",
            "end_extension_requested",
            cond="${request_extension && !extension_used}",
            name="是",
        )
        d.flow("gw_extension_request", "approve_bureau_reply", id="Flow_to_head")
        d.flow("approve_bureau_reply", "gw_head_ok")
        d.flow("gw_head_ok", "end_bureau_replied", cond="${head_approved}", name="同意")
        d.flow("gw_head_ok", "verify", cond="${!head_approved}", name="退回")
    # Yellow, red and escalation cards on the bureau's deadline (BT1_1..BT1_3).
    d.boundary(
        "bureau_escalation",
        "升级督办",
        "bureau",
        edge="top",
        slot=-0.8,
        timer={"date": "${after_workdays(bureau_due_at, setting('escalation_after_workdays'))}"},
        doc="BT1_3：逾期 WD(5) 仍未回复，升级：督办函/约谈 [CUST:S15]。",
    )
    d.boundary(
        "bureau_red",
        "红牌",
        "bureau",
        edge="top",
        slot=-0.4,
        timer={"date": "${after_workdays(bureau_due_at, 1)}"},
        doc="BT1_2：到期后第一个工作日：逾期登记并制发催办通知书 [CUST:S14][CUST:S15]。",
    )
    d.boundary(
        "bureau_yellow",
        "黄牌",
        "bureau",
        edge="top",
        slot=0.0,
        timer={"date": "${before_workdays(bureau_due_at, 1)}"},
        doc="BT1_1：到期前一个工作日黄牌提醒 [CUST:S14]。",
    )
    d.service(
        "escalation_alert",
        "升级预警",
        c + 1,
        3,
        handler="raiseAlert",
        fields={"level": "escalated", "activities": "verify,approve_bureau_reply"},
    )
    d.user(
        "decide_escalation",
        "升级督办决定",
        c + 2,
        3,
        groups=LEADER,
        due="${workdays(2)}",
        form=[
            choice(
                "escalation_measure",
                "升级措施",
                [
                    ("urge_letter", "制发行政执法监督督办函"),
                    ("interview", "约谈负责人"),
                    ("bulletin", "通报"),
                ],
                default="urge_letter",
            ),
            area("escalation_note", "说明", maxlength=2000),
        ],
        doc="BT1_3（监督科 → 局领导）：《行政执法监督条例》第二十二条（五）、"
        "第二十七条、第三十一条。",
    )
    d.gateway("gw_escalation", "督办函?", c + 3, 3, default="Flow_escalation_other")
    d.call(
        "issue_urge_letter",
        "制发督办函",
        c + 4,
        2,
        called="document_issuing",
        ins=[{"variables": "all"}, {"sourceExpression": "${'urge'}", "target": "doc_type"}],
        outs=[{"source": "doc_no", "target": "urge_doc_no"}],
    )
    d.gateway("gw_escalation_done", "", c + 5, 3)
    d.end("end_escalated_bureau", "已升级督办", c + 6, 3)
    d.service(
        "red_alert",
        "红牌：逾期登记",
        c + 2,
        4,
        handler="raiseAlert",
        fields={"level": "red", "activities": "verify,approve_bureau_reply"},
    )
    d.user(
        "urge_notice",
        "制发催办通知书",
        c + 3,
        4,
        groups=SUPERVISOR,
        due="${workdays(1)}",
        form=[
            area(
                "urge_requirements",
                "催办要求",
                required=True,
                default="请于收到本通知后尽快报送核查结果。",
            ),
        ],
    )
    d.service(
        "issue_urge_notice",
        "编号并发出催办通知书",
        c + 4,
        4,
        handler="issueDocument",
        fields={"type": "urge_notice", "variable": "urge_notice_no"},
        inputs={
            "requirements": "${urge_requirements}",
            "facts_reasons": "执法机关逾期未回复核查结果（原期限 ${bureau_due_date}）。",
        },
    )
    d.end("end_red", "已催办", c + 5, 4)
    d.service(
        "yellow_alert",
        "黄牌提醒",
        c + 3,
        5,
        handler="raiseAlert",
        fields={"level": "yellow", "activities": "verify,approve_bureau_reply"},
    )
    d.end("end_yellow", "已提醒", c + 4, 5)
    d.chain("bureau_escalation", "escalation_alert", "decide_escalation", "gw_escalation")
    d.flow(
        "gw_escalation",
        "issue_urge_letter",
        cond="${escalation_measure == 'urge_letter'}",
        name="督办函",
    )
    d.flow("gw_escalation", "gw_escalation_done", id="Flow_escalation_other", name="约谈/通报")
    d.flow("issue_urge_letter", "gw_escalation_done")
    d.flow("gw_escalation_done", "end_escalated_bureau")
    d.chain("bureau_red", "red_alert", "urge_notice", "issue_urge_notice", "end_red")
    d.chain("bureau_yellow", "yellow_alert", "end_yellow")


def _closing(d: Diagram) -> None:
    """Callback, satisfaction and re-handling, correction follow-up, close and archive."""
    c = 70
    d.gateway("gw_callback", "需回访?", c, 0, default="Flow_no_callback")
    d.gateway("gw_wait_callback", "", c + 1, 0, "event")
    d.catch(
        "callback",
        "回访结果",
        c + 2,
        0,
        message="Msg_HotlineCallback",
        pool="hotline",
        outputs={
            "close_status": "${satisfaction == 'dissatisfied' ? 'CLOSED_EXPLAINED' "
            ": 'CLOSED_SATISFIED'}",
        },
        doc="ICE1_3：热线回访（satisfaction: satisfied | basically_satisfied | dissatisfied，"
        "dissatisfaction_reason, callback_at），通常 WD(2) 内 [CUST:S17]。",
    )
    d.catch(
        "callback_timeout",
        "未收到回访结果",
        c + 2,
        1,
        timer={"date": "${workdays(setting('callback_wait_workdays'), hotline_feedback_at)}"},
        outputs={"close_status": "${'CLOSED_NO_CALLBACK'}"},
        doc="反馈后 WD(5) 仍无回访结果，按未回访办结 [ASSUME]。",
    )
    d.gateway("gw_satisfied", "满意?", c + 3, 0, default="Flow_satisfied")
    d.user(
        "assess_dissatisfaction",
        "研判不满意原因",
        c + 4,
        2,
        groups=SUPERVISOR,
        due="${workdays(1)}",
        form=[
            flag("new_facts", "提出新的事实或证据"),
            flag("handling_defect", "原办理存在缺陷"),
            area("explanation", "解释说明", required=True),
        ],
        doc="G1_5：不满意且有新事实或办理缺陷 → 重办；否则记录解释说明后办结 [ASSUME]。",
    )
    d.gateway("gw_rehandle", "重办?", c + 5, 2, default="Flow_explained")
    d.user(
        "rehandle",
        "重办",
        c + 5,
        3,
        groups=SUPERVISOR,
        due="${workdays(setting('rehandle_workdays'), callback_at)}",
        form=[area("rehandle_plan", "重办方案", required=True)],
        outputs={
            "reopened": "${true}",
            "reopen_count": "${reopen_count + 1}",
            "handling_due_at": "${workdays(setting('rehandle_workdays'), callback_at)}",
            "rehandle_due_date": "${date_of(workdays(setting('rehandle_workdays'), callback_at))}",
        },
        doc="T1_15：重办 WD(10) [ASSUME]；保留原案件编号，12345时限不重新起算（TS-10）。",
    )
    d.gateway("gw_close", "", c + 6, 0)
    d.gateway("gw_correction", "待纠正?", c + 7, 0, default="Flow_nothing_to_correct")
    d.user(
        "track_correction",
        "纠正并报送纠正情况",
        c + 8,
        6,
        groups=BUREAU,
        due="${correction_due}",
        form=[
            area("correction_report", "纠正情况报告", required=True),
            flag("corrected", "已纠正", default="true"),
        ],
        doc="监督文书规定的期限内报送纠正情况（《行政执法监督条例》第二十七、二十八条），"
        "期限自送达日起算。",
    )
    d.boundary(
        "correction_overdue",
        "逾期未纠正",
        "track_correction",
        timer={"date": "${after_workdays(correction_due, 1)}"},
    )
    d.service(
        "correction_alert",
        "逾期未纠正预警",
        c + 9,
        9,
        handler="raiseAlert",
        fields={"level": "red", "activities": "track_correction"},
    )
    d.end("end_correction_alert", "已催告", c + 10, 9)
    d.user(
        "verify_correction",
        "核查纠正情况",
        c + 9,
        1,
        groups=SUPERVISOR,
        due="${workdays(setting('verification_workdays'))}",
        form=[
            choice(
                "verification_result",
                "核查结论",
                [("corrected", "已纠正"), ("not_corrected", "未纠正")],
            ),
            area("verification_note", "核查说明", maxlength=2000),
        ],
        outputs={"correction_pending": "${false}"},
    )
    d.gateway("gw_verified", "已纠正?", c + 10, 1, default="Flow_corrected")
    d.send(
        "escalate_uncorrected",
        "未纠正：转重点监督",
        c + 11,
        2,
        message="Msg_SupervisionLead",
        variables={
            "lead_source": "${'12345'}",
            "related_ticket_nos": "${hotline_ticket_no}",
            "respondent_agency_id": None,
            "act_description": "${verification_note}",
            "case_title": None,
            "owner_unit_id": None,
            "prior_doc_ignored": "${true}",
        },
        doc="BT3_2 同理：逾期不纠正的，升级（督办函 → 意见书 → 报请决定书）。",
    )
    d.gateway("gw_archive", "", c + 12, 0)
    d.user(
        "close_archive",
        "办结归档",
        c + 13,
        0,
        groups=SUPERVISOR,
        due="${workdays(setting('archive_workdays'))}",
        form=[
            text("archive_no", "归档号", maxlength=64),
            choice(
                "close_type",
                "办结方式",
                [
                    ("replied", "答复办结"),
                    ("explained", "解释说明办结"),
                    ("no_callback", "未回访办结"),
                ],
                default="replied",
            ),
            flag("counts_for_assessment", "计入执法机关考核", default="true"),
        ],
        outputs={"closed_at": "${now()}", "case_status": "${close_status}"},
        doc="T1_16：办结后 WD(5) 内归档 [ASSUME]。",
    )
    d.end("end_closed", "办结", c + 14, 0)

    d.flow("handling", "gw_callback")
    d.flow("gw_callback", "gw_wait_callback", cond="${needs_callback}", name="是")
    d.flow(
        "gw_callback",
        "gw_close",
        id="Flow_no_callback",
        name="否",
        waypoints=[(d.cx(c), d.cy(4)), (d.cx(c + 6), d.cy(4))],
    )
    d.flow("gw_wait_callback", "callback")
    d.flow("gw_wait_callback", "callback_timeout")
    d.flow("callback", "gw_satisfied")
    d.flow("callback_timeout", "gw_close")
    d.flow(
        "gw_satisfied",
        "assess_dissatisfaction",
        cond="${satisfaction == 'dissatisfied'}",
        name="不满意",
    )
    d.flow("gw_satisfied", "gw_close", id="Flow_satisfied", name="满意/基本满意")
    d.flow("assess_dissatisfaction", "gw_rehandle")
    d.flow("gw_rehandle", "rehandle", cond="${new_facts || handling_defect}", name="重办")
    d.flow("gw_rehandle", "gw_close", id="Flow_explained", name="解释说明")
    d.flow(
        "rehandle",
        "gw_handling_in",
        name="重办",
        waypoints=[(d.cx(c + 5), d.cy(11)), (d.cx(35.25), d.cy(11))],
    )
    d.flow("gw_close", "gw_correction")
    d.flow("gw_correction", "track_correction", cond="${correction_pending}", name="是")
    d.flow("gw_correction", "gw_archive", id="Flow_nothing_to_correct")
    d.chain("correction_overdue", "correction_alert", "end_correction_alert")
    d.flow("track_correction", "verify_correction")
    d.flow("verify_correction", "gw_verified")
    d.flow("gw_verified", "gw_archive", id="Flow_corrected", name="已纠正")
    d.flow(
        "gw_verified",
        "escalate_uncorrected",
        cond="${verification_result == 'not_corrected'}",
        name="未纠正",
    )
    d.flow("escalate_uncorrected", "gw_archive")
    d.chain("gw_archive", "close_archive", "end_closed")
