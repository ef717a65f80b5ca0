"""referral: Flow 4 移送 (domain.md §2.4), a called process: (a) 行刑衔接 to public security,
(b) leads on officials to 纪检监察. Variable referral_type: CRIMINAL | DISCIPLINE."""

from __future__ import annotations

from tools.bpmn_builder import Diagram
from tools.bpmn_builder import area
from tools.bpmn_builder import choice
from tools.bpmn_builder import flag
from tools.bpmn_builder import group
from tools.bpmn_builder import moment
from tools.bpmn_builder import text
from tools.workflow_models.common import BUREAU
from tools.workflow_models.common import BUREAU_HEAD
from tools.workflow_models.common import CHIEF
from tools.workflow_models.common import LEADER
from tools.workflow_models.common import SUPERVISOR

DEFAULTS = {
    "case_no": "${null}",
    "referral_outcome": "${null}",
    "bureau_transferred": "${false}",
    "receipt_signed_at": "${null}",
    "forwarded_to": "${null}",
    "psb_decided_at": "${null}",
    "reconsider_decided_at": "${null}",
    "procuratorate_suggested": "${false}",
    "continue_tracking": "${true}",
}
MISCONDUCT_TYPES = [
    ("bribery", "贪污贿赂"),
    ("dereliction", "失职渎职"),
    ("abuse_of_power", "滥用职权"),
    ("regulation_breach", "违反《行政执法监督条例》"),
    ("other", "其他"),
]


def build() -> Diagram:
    d = Diagram(
        "referral",
        "移送（行刑衔接 / 纪检监察）",
        documentation=(
            "流程4 移送（domain.md §2.4），由流程1/2/3及监督员意见流程以调用活动使用，变量 "
            "referral_type = CRIMINAL（行刑衔接，国务院令第310号：负责人3日内决定、24小时内移送、"
            "公安3日内审查、复议与检察监督各3日、3日内移交涉案物品；日期计算方式见设置 "
            "criminal_referral_days_mode）或 DISCIPLINE（问题线索移送纪检监察机关，签收提醒 WD(3)，"
            "反馈提醒每 CD(90) [ASSUME]）。外部机关的回执、决定与反馈以消息送达。"
        ),
        version_tag="1.0",
        pool_name="司法局（行政执法监督机构）",
        lanes=[
            ("Lane_supervision", "监督机构（承办人/科长/局领导）", 6),
            ("Lane_bureau", "执法机关承办人", 2),
            ("Lane_bureau_head", "执法机关负责人", 1),
            ("Lane_system", "时限监控（系统）", 1),
        ],
        external_pools=[("outside", "公安机关 / 纪检监察机关")],
        cols=26,
    )
    d.start("start", "需要移送", 0, 0, doc="SE4a_1 / SE4b_1：由调用流程传入 referral_type。")
    d.service("init_defaults", "设置默认值", 1, 0, handler="setDefaults", fields=DEFAULTS)
    d.service(
        "assign_referral_no",
        "移送编号",
        2,
        0,
        handler="assignCaseNumber",
        fields={"type": "${referral_type == 'CRIMINAL' ? 'XS' : 'JJ'}", "variable": "referral_no"},
        outputs={"case_no": "${case_no != null ? case_no : referral_no}"},
        doc="行刑衔接 JD-<区划>-<年>-XS-<序号>，线索移送 …-JJ-…（domain.md §4.3）。",
    )
    d.gateway("gw_type", "移送类型", 3, 0, default="Flow_discipline")
    _criminal(d)
    _discipline(d)
    d.chain("start", "init_defaults", "assign_referral_no", "gw_type")
    return d


def _criminal(d: Diagram) -> None:
    d.user(
        "assess_criminal",
        "核查行刑衔接情况",
        4,
        0,
        groups=SUPERVISOR,
        due="${workdays(2)}",
        form=[
            group(
                "target_agency_id",
                "负有移送职责的执法机关",
                required=True,
                default="${target_agency_id}",
                kind="bureau",
            ),
            text("party_name", "当事人", required=True, maxlength=200),
            text("party_id", "统一社会信用代码/身份证号", maxlength=30),
            text("suspected_offence", "涉嫌罪名", required=True, maxlength=200),
            text("amount_involved", "涉案金额", maxlength=50),
            area("prior_admin_penalties", "已作出的行政处罚（折抵）", maxlength=2000),
            flag("bureau_transferred", "执法机关已启动移送程序"),
        ],
        outputs={"detected_at": "${now()}"},
        doc="监督机构跟踪执法机关的法定步骤（310号第3条、行政处罚法第27条），必要时责令移送。",
    )
    d.gateway("gw_bureau_acted", "已启动移送?", 5, 0, default="Flow_order_transfer")
    d.call(
        "order_transfer",
        "制发监督文书：责令限期移送",
        6,
        1,
        called="document_issuing",
        ins=[
            {"variables": "all"},
            {"sourceExpression": "${'opinion'}", "target": "doc_type"},
            {
                "sourceExpression": "${setting('order_transfer_days')}",
                "target": "correction_caldays",
            },
            {"sourceExpression": "${target_agency_id}", "target": "addressee_id"},
        ],
        outs=[
            {"source": "doc_no", "target": "order_doc_no"},
            {"source": "correction_due", "target": "order_transfer_due"},
        ],
        doc="T4a_0：以意见书责令限期移送，期限 CD(3) [ASSUME]（310号第16条）。",
    )
    d.gateway("gw_transfer_started", "", 7, 0)
    d.user(
        "task_force",
        "组成专案组并提交书面报告",
        8,
        6,
        groups=BUREAU,
        due="${workdays(1)}",
        form=[
            text("task_force", "专案组成员（不少于2人）", required=True, maxlength=200),
            area("report_summary", "涉嫌犯罪案件情况的调查报告（摘要）", required=True),
            moment("report_submitted_at", "报告提交时间", required=True, default="${now()}"),
        ],
        doc="T4a_1：立即指定2名以上执法人员组成专案组核实并书面报告（310号第5条第1款）。",
    )
    d.user(
        "head_decision",
        "正职负责人审批是否移送",
        9,
        8,
        groups=BUREAU_HEAD,
        due="${statutory_days(3, report_submitted_at)}",
        form=[
            choice("head_decision", "决定", [("approve", "批准移送"), ("reject", "不予批准")]),
            area("reject_reason", "不予批准的理由", maxlength=2000),
            moment("head_decided_at", "决定时间", required=True, default="${now()}"),
        ],
        doc="T4a_2：自接到报告之日起3日内作出决定（310号第5条第2款），日期按 "
        "criminal_referral_days_mode 计算。",
    )
    d.gateway("gw_head_decision", "批准?", 10, 8)
    d.user(
        "review_rejection",
        "审查不批准理由",
        11,
        1,
        groups=SUPERVISOR,
        due="${workdays(setting('referral_close_workdays'))}",
        form=[
            flag("rejection_accepted", "不批准理由成立", default="false"),
            area("rejection_review", "审查意见", required=True),
        ],
        outputs={
            "referral_status": "${rejection_accepted ? 'CRIM_NOT_APPROVED_REASON_RECORDED' : null}",
            "case_status": "${rejection_accepted ? 'CRIM_NOT_APPROVED_REASON_RECORDED' : null}",
        },
        doc="G4a_1：不批准的理由记录在案，监督机构审查；理由不成立的再次责令移送。",
    )
    d.gateway("gw_rejection", "理由成立?", 12, 1)
    d.end("end_not_approved", "不予批准-理由已记录", 13, 1)
    d.user(
        "transfer_case",
        "向公安机关移送（24小时内）",
        11,
        6,
        groups=BUREAU,
        due="${hours(24, head_decided_at)}",
        form=[
            text("transfer_doc_no", "涉嫌犯罪案件移送书编号", required=True, maxlength=64),
            group("psb_unit", "接收公安机关", required=True, kind="police"),
            moment("transferred_at", "移送时间", required=True, default="${now()}"),
            flag("att_transfer_letter", "附：涉嫌犯罪案件移送书", default="true"),
            flag("att_investigation_report", "附：涉嫌犯罪案件情况的调查报告", default="true"),
            flag("att_exhibit_list", "附：涉案物品清单", default="true"),
            flag("att_inspection_report", "附：有关检验报告或者鉴定结论", default="true"),
            flag("att_other", "附：其他有关涉嫌犯罪的材料", default="true"),
        ],
        doc="T4a_3：批准后24小时内移送同级公安机关，附五类材料（310号第5条第2款、第6条）。",
    )
    d.send(
        "send_case_transfer",
        "移送公安机关",
        12,
        6,
        message="Msg_CaseTransfer",
        share_with="${psb_unit}",
        variables=[
            "referral_no",
            "transfer_doc_no",
            "psb_unit",
            "party_name",
            "party_id",
            "suspected_offence",
            "amount_involved",
            "transferred_at",
            "case_no",
        ],
        pool="outside",
    )
    d.receive(
        "wait_psb_receipt",
        "公安签收回执",
        13,
        6,
        message="Msg_PSBReceipt",
        pool="outside",
        outputs={"receipt_signed_at": "${receipt_signed_at != null ? receipt_signed_at : now()}"},
        doc="ICE4a_1：公安在移送书回执上签名；非本机关管辖的，24小时内转送并书面告知（310号第7条）。",
    )
    d.boundary(
        "receipt_overdue",
        "24小时未签收",
        "wait_psb_receipt",
        timer={"date": "${hours(24, transferred_at)}"},
    )
    d.service(
        "receipt_alert",
        "签收提醒",
        14,
        9,
        handler="raiseAlert",
        fields={"level": "red", "variable": "referral_alert"},
    )
    d.end("end_receipt_alert", "已提醒", 15, 9)
    d.receive(
        "wait_psb_decision",
        "公安立案审查决定",
        14,
        6,
        message="Msg_PSBDecision",
        pool="outside",
        doc="ICE4a_2：公安自接受之日起3日内决定是否立案（310号第8条）；变量 psb_decision: "
        "filed | declined, psb_reason, psb_decided_at。",
    )
    d.boundary(
        "psb_overdue",
        "公安逾期未决定",
        "wait_psb_decision",
        timer={"date": "${statutory_days(3, receipt_signed_at)}"},
    )
    d.service(
        "psb_overdue_alert",
        "逾期预警",
        16,
        9,
        handler="raiseAlert",
        fields={"level": "red", "variable": "referral_alert"},
    )
    d.user(
        "psb_overdue_action",
        "提示检察立案监督/报政府责令改正",
        17,
        2,
        groups=SUPERVISOR,
        due="${workdays(2)}",
        form=[area("psb_overdue_note", "处理意见", required=True)],
        doc="BT4a_1：公安逾期未作决定（310号第17条）。",
    )
    d.end("end_psb_overdue", "已处置逾期", 18, 2)
    d.gateway("gw_filed", "立案?", 15, 6, default="Flow_declined")
    d.user(
        "decide_declined",
        "不予立案：提请复议或建议检察监督",
        16,
        8,
        groups=BUREAU_HEAD,
        due="${statutory_days(3, psb_decided_at)}",
        form=[
            choice(
                "declined_action",
                "处理",
                [
                    ("reconsider", "提请公安机关复议"),
                    ("procuratorate", "建议人民检察院立案监督"),
                    ("accept", "接受，依法作出行政处理"),
                ],
            ),
            moment("reconsider_requested_at", "提出时间", required=True, default="${now()}"),
        ],
        doc="T4a_5：自收到不予立案通知书之日起3日内提请复议（310号第9条第1款）。",
    )
    d.gateway("gw_declined", "处理方式", 17, 8, default="Flow_accept_decline")
    d.send(
        "send_reconsider",
        "提请公安机关复议",
        18,
        7,
        message="Msg_ReconsiderRequest",
        variables=[
            "referral_no",
            "transfer_doc_no",
            "psb_unit",
            "reconsider_requested_at",
            "case_no",
        ],
        pool="outside",
    )
    d.receive(
        "wait_reconsideration",
        "公安复议决定",
        19,
        7,
        message="Msg_PSBReconsideration",
        pool="outside",
        doc="ICE4a_3：公安自收到复议请求之日起3日内作出复议决定（310号第9条第2款）；变量 "
        "reconsider_result: upheld | reversed, reconsider_decided_at。",
    )
    d.boundary(
        "reconsideration_overdue",
        "复议逾期",
        "wait_reconsideration",
        timer={"date": "${statutory_days(3, reconsider_requested_at)}"},
    )
    d.service(
        "reconsideration_alert",
        "复议逾期预警",
        20,
        9,
        handler="raiseAlert",
        fields={"level": "red", "variable": "referral_alert"},
    )
    d.end("end_reconsideration_alert", "已预警", 21, 9)
    d.gateway("gw_reconsidered", "复议结果", 20, 7, default="Flow_upheld")
    d.user(
        "suggest_procuratorate",
        "建议人民检察院立案监督",
        21,
        8,
        groups=BUREAU_HEAD,
        due="${statutory_days(3, reconsider_decided_at != null ? reconsider_decided_at : "
        "psb_decided_at)}",
        form=[
            flag("procuratorate_suggested", "已建议人民检察院立案监督", default="true"),
            moment("procuratorate_suggested_at", "建议时间", default="${now()}"),
        ],
        outputs={
            "referral_outcome": "${procuratorate_suggested ? 'CRIM_PROCURATORATE_SUPERVISION' "
            ": 'CRIM_DECLINED_ADMIN_HANDLED'}",
        },
        doc="T4a_6：对复议决定仍有异议的，自收到复议决定通知书之日起3日内建议检察院立案监督。",
    )
    d.user(
        "admin_handling",
        "依法作出行政处理",
        22,
        7,
        groups=BUREAU,
        due="${workdays(setting('referral_close_workdays'))}",
        form=[
            area("admin_decision", "行政处理情况", required=True),
            moment("admin_decided_at", "处理时间", required=True, default="${now()}"),
        ],
        outputs={
            "referral_outcome": "${referral_outcome != null ? referral_outcome : "
            "'CRIM_DECLINED_ADMIN_HANDLED'}",
        },
        doc="T4a_7：不予立案、不追究刑事责任的，依法作出行政处理（310号第10条）。",
    )
    d.user(
        "hand_over_exhibits",
        "移交涉案物品及有关材料",
        22,
        6,
        groups=BUREAU,
        due="${statutory_days(3, psb_decided_at)}",
        form=[moment("exhibits_handed_over_at", "移交时间", required=True, default="${now()}")],
        outputs={"referral_outcome": "${'CRIM_FILED'}"},
        doc="T4a_4：自接到立案通知书之日起3日内移交涉案物品（310号第12条）。",
    )
    d.gateway("gw_criminal_done", "", 23, 0)
    d.user(
        "supervise_close",
        "监督复核与归档",
        24,
        0,
        groups=SUPERVISOR,
        due="${workdays(setting('referral_close_workdays'))}",
        form=[area("close_note", "复核意见", required=True)],
        outputs={
            "referral_status": "${referral_outcome}",
            "case_status": "${referral_outcome}",
            "referral_closed_at": "${now()}",
        },
        doc="T4a_8：WD(5) [ASSUME]；结束状态 CRIM_FILED / CRIM_DECLINED_ADMIN_HANDLED / "
        "CRIM_PROCURATORATE_SUPERVISION。",
    )
    d.end("end_criminal", "行刑衔接监督结束", 25, 0)

    d.flow("gw_type", "assess_criminal", cond="${referral_type == 'CRIMINAL'}", name="行刑衔接")
    d.flow("assess_criminal", "gw_bureau_acted")
    d.flow("gw_bureau_acted", "gw_transfer_started", cond="${bureau_transferred}", name="已启动")
    d.flow("gw_bureau_acted", "order_transfer", id="Flow_order_transfer", name="未启动")
    d.flow("order_transfer", "gw_transfer_started")
    d.flow("gw_transfer_started", "task_force")
    d.chain("task_force", "head_decision", "gw_head_decision")
    d.flow("gw_head_decision", "transfer_case", cond="${head_decision == 'approve'}", name="批准")
    d.flow(
        "gw_head_decision", "review_rejection", cond="${head_decision == 'reject'}", name="不批准"
    )
    d.chain("review_rejection", "gw_rejection")
    d.flow(
        "gw_rejection",
        "end_not_approved",
        cond="${rejection_accepted}",
        name="成立",
        id="Flow_rejection_accepted",
    )
    d.flow(
        "gw_rejection",
        "order_transfer",
        cond="${!rejection_accepted}",
        name="再次责令",
        loop="above",
    )
    d.chain(
        "transfer_case", "send_case_transfer", "wait_psb_receipt", "wait_psb_decision", "gw_filed"
    )
    d.chain("receipt_overdue", "receipt_alert", "end_receipt_alert")
    d.chain("psb_overdue", "psb_overdue_alert", "psb_overdue_action", "end_psb_overdue")
    d.flow("gw_filed", "hand_over_exhibits", cond="${psb_decision == 'filed'}", name="立案")
    d.flow("gw_filed", "decide_declined", id="Flow_declined", name="不予立案")
    d.flow("decide_declined", "gw_declined")
    d.flow("gw_declined", "send_reconsider", cond="${declined_action == 'reconsider'}", name="复议")
    d.flow(
        "gw_declined",
        "suggest_procuratorate",
        cond="${declined_action == 'procuratorate'}",
        name="检察监督",
    )
    d.flow(
        "gw_declined",
        "admin_handling",
        id="Flow_accept_decline",
        name="接受",
        waypoints=[(d.cx(17), d.cy(8.6)), (d.cx(22), d.cy(8.6))],
    )
    d.chain("send_reconsider", "wait_reconsideration", "gw_reconsidered")
    d.chain("reconsideration_overdue", "reconsideration_alert", "end_reconsideration_alert")
    d.flow(
        "gw_reconsidered",
        "hand_over_exhibits",
        cond="${reconsider_result == 'reversed'}",
        name="改为立案",
    )
    d.flow("gw_reconsidered", "suggest_procuratorate", id="Flow_upheld", name="维持")
    d.flow("suggest_procuratorate", "admin_handling")
    d.flow("hand_over_exhibits", "gw_criminal_done")
    d.flow("admin_handling", "gw_criminal_done")
    d.chain("gw_criminal_done", "supervise_close", "end_criminal")


def _discipline(d: Diagram) -> None:
    d.user(
        "assemble_lead",
        "线索整理",
        4,
        3,
        groups=SUPERVISOR,
        due="${workdays(setting('lead_assemble_workdays'))}",
        form=[
            area("lead_persons", "涉及人员（姓名、单位、职务、是否党员、执法证号）", required=True),
            choice("misconduct_type", "问题类型", MISCONDUCT_TYPES),
            area("facts_summary", "事实摘要", required=True),
            area("evidence_index", "证据清单（仅元数据）", maxlength=3000),
            group("recipient_unit", "接收机关（纪委监委）", required=True, kind="discipline"),
            text(
                "access_scope",
                "知悉范围",
                default="科长、局主要负责人、承办人、联络员",
                maxlength=200,
            ),
        ],
        doc="T4b_1：只整理线索，不开展职务违法调查（属监察权限）。",
    )
    d.user(
        "approve_lead_chief",
        "科长审核",
        5,
        4,
        groups=CHIEF,
        due="${workdays(setting('lead_approval_workdays'))}",
        form=[
            flag("lead_chief_approved", "同意", default="true"),
            area("lead_chief_comment", "审核意见", maxlength=1000),
        ],
    )
    d.user(
        "approve_lead_leader",
        "局主要负责人审批",
        6,
        4,
        groups=LEADER,
        due="${workdays(setting('lead_approval_workdays'))}",
        form=[
            flag("lead_leader_approved", "同意移送", default="true"),
            area("lead_leader_comment", "审批意见", maxlength=1000),
        ],
        outputs={
            "referral_status": "${lead_chief_approved && lead_leader_approved ? null "
            ": 'DISC_NOT_APPROVED'}",
            "case_status": "${lead_chief_approved && lead_leader_approved ? null "
            ": 'DISC_NOT_APPROVED'}",
        },
        doc="T4b_2：科长 → 局主要负责人审批 WD(3) [ASSUME]。",
    )
    d.gateway("gw_lead_approved", "同意移送?", 7, 4)
    d.end("end_lead_not_approved", "不予移送", 8, 5)
    d.service(
        "issue_lead_letter",
        "编号并生成问题线索移送函",
        8,
        3,
        handler="issueDocument",
        fields={"type": "lead_transfer", "variable": "lead_doc_no"},
        inputs={"addressee_id": "${recipient_unit}", "facts_reasons": "${facts_summary}"},
        doc="《问题线索移送函》（如 青司监移〔2026〕1号），附材料清单。",
    )
    d.user(
        "deliver_lead",
        "机要移送",
        9,
        3,
        groups=SUPERVISOR,
        due="${workdays(1)}",
        form=[
            choice(
                "delivery_method",
                "移送方式",
                [("confidential", "机要"), ("in_person", "当面")],
                default="confidential",
            ),
            moment("sent_at", "移送时间", required=True, default="${now()}"),
        ],
        doc="T4b_3：批准后即行移送（《行政执法监督条例》第三十三条）。",
    )
    d.send(
        "send_lead_transfer",
        "移送纪检监察机关",
        10,
        3,
        message="Msg_LeadTransfer",
        share_with="${recipient_unit}",
        variables=[
            "referral_no",
            "lead_doc_no",
            "recipient_unit",
            "delivery_method",
            "sent_at",
            "misconduct_type",
            "case_no",
        ],
        pool="outside",
    )
    d.receive(
        "wait_lead_receipt",
        "签收回执",
        11,
        3,
        message="Msg_LeadReceipt",
        pool="outside",
        doc="ICE4b_1：纪检监察机关签收（变量 received_at）。",
    )
    d.boundary(
        "lead_receipt_reminder",
        "签收提醒",
        "wait_lead_receipt",
        timer={"date": "${workdays(setting('lead_receipt_reminder_workdays'), sent_at)}"},
        doc="WD(3) 未签收提醒 [ASSUME]。",
    )
    d.service(
        "lead_receipt_alert",
        "签收提醒",
        12,
        9,
        handler="raiseAlert",
        fields={"level": "red", "variable": "referral_alert"},
    )
    d.end("end_lead_receipt_alert", "已提醒", 13, 9)
    d.gateway("gw_track", "", 12, 3)
    d.receive(
        "wait_disposition",
        "等待处置情况反馈",
        13,
        3,
        message="Msg_DisciplineFeedback",
        pool="outside",
        outputs={"referral_outcome": "${'DISC_FEEDBACK_RECEIVED'}"},
        doc="ICE4b_3：处置方式（谈话函询/初步核实/暂存待查/予以了结/立案审查调查）与结果"
        "（变量 disposition_type, feedback_text, feedback_at）。",
    )
    d.boundary(
        "feedback_reminder",
        "反馈提醒（每90日）",
        "wait_disposition",
        timer={"cycle": "R/P${setting('discipline_feedback_reminder_caldays')}D"},
        slot=-0.6,
        doc="BT4b_1：签收后每 CD(90) 提醒 [ASSUME]（无规定纪检向移送机关反馈的时限）。",
    )
    d.service(
        "feedback_reminder_alert",
        "反馈提醒",
        14,
        9,
        handler="raiseAlert",
        fields={"level": "yellow", "variable": "referral_alert"},
    )
    d.end("end_feedback_reminder", "已提醒", 15, 9)
    d.boundary(
        "lead_forwarded",
        "已转送",
        "wait_disposition",
        message="Msg_LeadForwarded",
        interrupting=True,
        slot=0.1,
        doc="ICE4b_2：无管辖权的，5个工作日内转送有管辖权的监察机关（《监察法实施条例》"
        "第一百七十一条）；变量 forwarded_to, forwarded_at。",
    )
    d.user(
        "record_forward",
        "登记转送情况",
        14,
        4,
        groups=SUPERVISOR,
        due="${workdays(1)}",
        form=[
            flag("continue_tracking", "继续跟踪处置反馈", default="true"),
            area("forward_note", "说明", maxlength=1000),
        ],
        outputs={
            "referral_status": "${continue_tracking ? null : 'DISC_FORWARDED'}",
            "case_status": "${continue_tracking ? null : 'DISC_FORWARDED'}",
        },
    )
    d.gateway("gw_keep_tracking", "继续跟踪?", 15, 4, default="Flow_stop_tracking")
    d.end("end_forwarded", "已转送", 16, 4)
    d.boundary(
        "lead_returned",
        "被退回",
        "wait_disposition",
        message="Msg_LeadReturned",
        interrupting=True,
        slot=0.7,
        doc="ICE4b_2：退回（变量 return_reason）。",
    )
    d.user(
        "record_return",
        "登记退回情况",
        15,
        5,
        groups=SUPERVISOR,
        due="${workdays(1)}",
        form=[area("return_note", "处理意见", required=True)],
        outputs={"referral_status": "${'DISC_RETURNED'}", "case_status": "${'DISC_RETURNED'}"},
    )
    d.end("end_returned", "线索被退回", 16, 5)
    d.user(
        "record_disposition",
        "登记处置反馈",
        14,
        3,
        groups=SUPERVISOR,
        due="${workdays(1)}",
        form=[
            choice(
                "disposition_type",
                "处置方式",
                [
                    ("talk_inquiry", "谈话函询"),
                    ("preliminary_verification", "初步核实"),
                    ("shelve", "暂存待查"),
                    ("close", "予以了结"),
                    ("investigation", "立案审查调查"),
                ],
                default="${disposition_type}",
            ),
            area("feedback_text", "反馈内容", required=True, default="${feedback_text}"),
        ],
        outputs={
            "referral_status": "${'DISC_FEEDBACK_RECEIVED'}",
            "case_status": "${'DISC_FEEDBACK_RECEIVED'}",
        },
    )
    d.end("end_discipline", "已收到处置反馈", 15, 3)

    d.flow("gw_type", "assemble_lead", id="Flow_discipline", name="纪检监察")
    d.chain("assemble_lead", "approve_lead_chief", "approve_lead_leader", "gw_lead_approved")
    d.flow(
        "gw_lead_approved",
        "issue_lead_letter",
        cond="${lead_chief_approved && lead_leader_approved}",
        name="同意",
    )
    d.flow(
        "gw_lead_approved",
        "end_lead_not_approved",
        cond="${!(lead_chief_approved && lead_leader_approved)}",
        name="不同意",
    )
    d.chain(
        "issue_lead_letter",
        "deliver_lead",
        "send_lead_transfer",
        "wait_lead_receipt",
        "gw_track",
        "wait_disposition",
        "record_disposition",
        "end_discipline",
    )
    d.chain("lead_receipt_reminder", "lead_receipt_alert", "end_lead_receipt_alert")
    d.chain("feedback_reminder", "feedback_reminder_alert", "end_feedback_reminder")
    d.chain("lead_forwarded", "record_forward", "gw_keep_tracking")
    d.flow("gw_keep_tracking", "gw_track", cond="${continue_tracking}", name="继续", loop="above")
    d.flow(
        "gw_keep_tracking",
        "end_forwarded",
        id="Flow_stop_tracking",
        name="结束",
    )
    d.chain("lead_returned", "record_return", "end_returned")
