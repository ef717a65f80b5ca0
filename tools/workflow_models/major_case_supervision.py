"""major_case_supervision: Flow 3 重大行政执法案件重点监督 (domain.md §2.3)."""

from __future__ import annotations

from tools.bpmn_builder import Diagram
from tools.bpmn_builder import area
from tools.bpmn_builder import choice
from tools.bpmn_builder import flag
from tools.bpmn_builder import group
from tools.bpmn_builder import moment
from tools.bpmn_builder import number
from tools.bpmn_builder import people
from tools.bpmn_builder import text
from tools.workflow_models.common import BUREAU
from tools.workflow_models.common import CHIEF
from tools.workflow_models.common import LEADER
from tools.workflow_models.common import SUPERVISOR

LEAD_SOURCES = [
    ("12345", "12345热线"),
    ("complaint", "投诉举报"),
    ("invited_supervisor", "特邀监督员"),
    ("evaluation", "第三方评估"),
    ("file_review", "案卷评查"),
    ("superior", "上级交办/领导批示"),
    ("media", "媒体舆情"),
    ("npc_cppcc", "人大建议/政协提案"),
    ("procuratorate", "检察建议"),
    ("other", "其他"),
]
DISPOSITION_FLAGS = [
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
]
DEFAULTS = {
    "lead_source": "${'other'}",
    "last_verified_at": "${null}",
    "invitees": "${null}",
    "related_ticket_nos": "${null}",
    "is_anonymous": "${false}",
    "is_major": "${false}",
    "file_objection": "${false}",
    "extension_used": "${false}",
    **{name: "${false}" for name in DISPOSITION_FLAGS},
}


def build() -> Diagram:
    d = Diagram(
        "major_case_supervision",
        "重大行政执法案件重点监督",
        documentation=(
            "流程3 重点监督（domain.md §2.3，《行政执法监督条例》第二十至三十三条）：线索登记 → "
            "初步研判 WD(3) → 立案审批与方式选择（挂牌督办/提级监督/直接调查）→ 调查组（不少于2人，"
            "可邀请特邀监督员）→ 调查取证（期限 WD(30)，可延期一次）→ 调查报告 → 集体研究 → "
            "处理（当场纠正/督办函/意见书/报请决定书/通报/人员处理建议/移送）→ 纠正（可提出异议）"
            " → 复查 → 结案并反馈线索来源。"
        ),
        version_tag="1.0",
        pool_name="司法局（行政执法监督机构）",
        lanes=[
            ("Lane_supervision", "监督机构（承办人/科长/局领导）", 10),
            ("Lane_team", "调查组（含特邀监督员）", 1),
            ("Lane_bureau", "被监督执法机关", 2),
            ("Lane_system", "时限监控（系统）", 1),
        ],
        cols=35,
    )
    d.start(
        "start_lead",
        "收到监督线索",
        0,
        0,
        message="Msg_SupervisionLead",
        doc="SE3_1/SE3_2/SE3_6：流程1（重大或匿名线索）、监督员意见、评估结果以消息 "
        "Msg_SupervisionLead 转入。",
    )
    d.start(
        "start_manual",
        "登记线索（上级交办/领导批示/舆情/建议）",
        0,
        2,
        form=[
            choice("lead_source", "线索来源", LEAD_SOURCES, default="superior"),
            text("case_title", "标题", required=True, maxlength=200),
            group("respondent_agency_id", "被监督机关", required=True, kind="bureau"),
            area("act_description", "案件/行为描述", required=True),
        ],
        doc="SE3_3–SE3_5：12345数据研判、上级交办、领导批示、媒体舆情、人大建议政协提案等。",
    )
    d.gateway("gw_start", "", 1, 0)
    d.service("init_defaults", "设置默认值", 2, 0, handler="setDefaults", fields=DEFAULTS)
    d.service(
        "assign_case_no",
        "编号",
        3,
        0,
        handler="assignCaseNumber",
        fields={"type": "ZD"},
        doc="JD-<区划>-<年>-ZD-<序号>；提级监督不改变编号。",
    )
    d.user(
        "register_lead",
        "线索登记",
        4,
        0,
        groups=SUPERVISOR,
        due="${workdays(setting('lead_register_workdays'))}",
        form=[
            choice("lead_source", "线索来源", LEAD_SOURCES, default="${lead_source}"),
            text("related_ticket_nos", "关联工单编号", maxlength=500),
            group(
                "respondent_agency_id",
                "被监督机关",
                required=True,
                default="${respondent_agency_id}",
                kind="bureau",
            ),
            area("act_description", "案件/行为描述", required=True, default="${act_description}"),
            number("affected_count", "涉及人数", minimum=0),
            text("amount_involved", "涉案金额（元）", maxlength=50),
        ],
        outputs={"target_agency_id": "${respondent_agency_id}"},
        doc="T3_0：WD(1) [ASSUME]（线索渠道 [SRC:S13]）。",
    )
    d.user(
        "assess",
        "初步研判",
        5,
        0,
        groups=SUPERVISOR,
        due="${workdays(setting('assessment_workdays'))}",
        form=[
            flag("is_major", "属重大（重点监督）"),
            area(
                "major_criteria",
                "重大情形（人数、金额、舆情、死伤、强拆查封、领导批示、趋利性执法…）",
                default="${major_criteria}",
                maxlength=2000,
            ),
            area("assessment", "研判意见", required=True),
            choice(
                "not_major_handling",
                "非重大的处理",
                [
                    ("transfer", "转投诉举报程序办理"),
                    ("reminder_letter", "制发提醒函"),
                    ("close", "存档备查"),
                ],
                default="transfer",
            ),
        ],
        outputs={"case_status": "${is_major ? null : 'P3_NOT_MAJOR'}"},
        doc="T3_1：WD(3) [ASSUME]（条例第二十条第二款“及时进行研判”）；重大情形清单可配置。",
    )
    d.gateway("gw_major", "重大?", 6, 0, default="Flow_not_major")
    d.gateway("gw_not_major", "处理方式", 6, 5, default="Flow_not_major_close")
    d.service(
        "start_complaint",
        "转投诉举报程序",
        7,
        4,
        handler="startRelatedCase",
        fields={
            "process": "complaint_intake",
            "relation": "transferred",
            "copy": "case_title,respondent_agency_id,owner_unit_id,complaint_text,"
            "source_channel,is_anonymous",
        },
        inputs={"complaint_text": "${act_description}", "source_channel": "${'other'}"},
    )
    d.call(
        "issue_reminder_letter",
        "制发提醒函",
        7,
        5,
        called="document_issuing",
        ins=[
            {"variables": "all"},
            {"sourceExpression": "${'reminder_letter'}", "target": "doc_type"},
        ],
        outs=[{"source": "doc_no", "target": "reminder_doc_no"}],
        doc="“C类”一般问题：提醒函 [CUST:S12]。",
    )
    d.gateway("gw_not_major_done", "", 8, 5)
    d.send(
        "send_not_major_outcome",
        "反馈线索来源",
        9,
        5,
        message="Msg_LeadOutcome",
        variables={
            "lead_case_no": "${case_no}",
            "lead_case_status": "${case_status}",
            "lead_feedback_text": "${assessment}",
        },
        doc="非重大的研判结果同样反馈线索来源（监督员意见流程等待此结果）。消息变量不用 case_no "
        "等名称，以免改写接收案件自己的变量。",
    )
    d.end("end_not_major", "非重大：已分流", 10, 5)
    d.user(
        "open_case",
        "立案审批并选择监督方式",
        7,
        1,
        groups=CHIEF,
        due="${workdays(setting('opening_workdays'))}",
        form=[
            flag("chief_opening_approved", "同意立案", default="true"),
            choice(
                "mode",
                "监督方式",
                [
                    ("listed_supervision", "挂牌督办（执法机关限期自查整改）"),
                    ("escalated", "提级监督（上级接管下级案件）"),
                    ("direct", "直接调查"),
                ],
                default="direct",
            ),
            area("opening_comment", "意见", maxlength=1000),
        ],
        doc="T3_2：科长 → 局领导 WD(2) [ASSUME]；挂牌督办、提级监督（条例第二十条第三款）。",
    )
    d.user(
        "approve_opening",
        "局领导批准立案",
        8,
        1,
        groups=LEADER,
        due="${workdays(setting('opening_workdays'))}",
        form=[
            flag("opening_approved", "批准立案", default="true"),
            area("leader_comment", "批示", maxlength=1000),
        ],
        outputs={
            "opened_at": "${now()}",
            "investigation_due": "${workdays(setting('investigation_workdays'))}",
            "case_status": "${chief_opening_approved && opening_approved ? null : 'P3_NOT_OPENED'}",
        },
    )
    d.gateway("gw_opened", "批准?", 9, 1)
    d.end("end_not_opened", "不予立案", 10, 2)
    d.gateway("gw_mode", "监督方式", 10, 1, default="Flow_direct")
    d.service(
        "escalate",
        "提级：改由上级主管",
        11,
        2,
        handler="escalateCase",
        doc="提级监督：上一级监督机构接管，原机构保留查阅（§1.4 规则3）。",
    )
    d.gateway("gw_mode_done", "", 12, 1)
    d.user(
        "listed_self_check",
        "挂牌督办：执法机关自查整改并报告",
        11,
        11,
        groups=BUREAU,
        due="${investigation_due}",
        form=[
            area("self_check_report", "自查整改报告", required=True),
            area("self_explanation", "情况说明", maxlength=3000),
        ],
        doc="挂牌督办：执法机关在期限内自查整改，监督机构跟踪（条例第二十条）。",
    )
    d.user(
        "form_team",
        "组成调查组并制定方案",
        13,
        1,
        groups=SUPERVISOR,
        due="${workdays(setting('team_workdays'))}",
        form=[
            people("investigators", "调查组成员（不少于2人）", required=True, minimum=2),
            people("invitees", "邀请的特邀监督员/专家"),
            area("investigation_plan", "调查方案", required=True),
        ],
        doc="T3_3：不少于2人 [CUST:S18]，可邀请特邀监督员、专家（条例第二十三条）。",
    )
    d.script(
        "build_team",
        "确定调查组名单",
        14,
        1,
        "# 调查组成员与受邀人员都可办理调查取证任务\n"
        "team = list(investigators or []) + [u for u in (invitees or []) "
        "if u not in (investigators or [])]\n",
    )
    d.gateway("gw_investigate", "", 15, 1, "parallel")
    d.user(
        "investigate",
        "调查取证",
        16,
        10,
        users="${team}",
        due="${investigation_due}",
        form=[
            area(
                "measures",
                "调查措施记录（自查说明、调阅、检查、访谈、暗访、座谈、约谈）",
                required=True,
            ),
            area("interview_records", "约谈/访谈记录", maxlength=4000),
            area("files_requested", "调阅案卷清单", maxlength=2000),
        ],
        doc="T3_4：条例第二十二条的监督措施；期限 WD(30) 自立案起 [ASSUME]。",
    )
    d.boundary(
        "investigation_deadline",
        "调查期限届满",
        "investigate",
        edge="top",
        timer={"date": "${investigation_due}"},
        doc="BT3_1：调查期限届满提醒，可申请延期一次（局领导批准）。",
    )
    d.user(
        "request_extension",
        "申请延长调查期限",
        19,
        9,
        groups=SUPERVISOR,
        due="${workdays(1)}",
        form=[
            number("extension_workdays", "延长工作日数", default="30", minimum=1, maximum=30),
            area("extension_reason", "理由", required=True),
        ],
    )
    d.user(
        "approve_investigation_extension",
        "局领导批准延期",
        20,
        9,
        groups=LEADER,
        due="${workdays(1)}",
        form=[flag("investigation_extension_granted", "同意延期", default="true")],
        outputs={
            "investigation_due": "${investigation_extension_granted && !extension_used ? "
            "workdays(extension_workdays, investigation_due) : investigation_due}",
            "extension_used": "${extension_used || investigation_extension_granted}",
        },
    )
    d.end("end_extension", "延期已处理", 21, 9)
    d.user(
        "provide_files",
        "执法机关自查说明并提供案卷",
        16,
        11,
        groups=BUREAU,
        due="${workdays(setting('bureau_files_workdays'), opened_at)}",
        form=[
            area("files_provided", "提供的案卷材料", required=True),
            area("self_explanation", "自查说明", maxlength=3000),
            moment("files_received_at", "提交时间", required=True, default="${now()}"),
        ],
        doc="执法机关配合监督、提供材料 WD(5) [ASSUME]（条例第二十五条）。",
    )
    d.gateway("gw_investigated", "", 17, 1, "parallel")
    d.gateway("gw_report", "", 18, 1)
    d.user(
        "write_report",
        "撰写调查报告",
        19,
        1,
        groups=SUPERVISOR,
        due="${investigation_due}",
        form=[
            area("facts", "认定事实", required=True),
            area("evidence", "证据清单", maxlength=4000),
            area("legal_basis", "法律依据", required=True),
            choice(
                "characterisation",
                "定性",
                [
                    ("illegal", "违法"),
                    ("improper", "明显不当"),
                    ("inaction", "不作为"),
                    ("no_issue", "无问题"),
                ],
            ),
            area("recommendations", "处理建议", required=True),
        ],
        doc="T3_5：在调查期限内完成。",
    )
    d.gateway("gw_collective", "", 20, 1)
    d.user(
        "collective_review",
        "集体研究",
        21,
        1,
        groups=LEADER,
        due="${workdays(setting('collective_review_workdays'))}",
        form=[
            area("meeting_minutes", "会议纪要", required=True),
            flag("can_fix_on_spot", "可当场纠正（条例第二十六条）"),
            flag("duty_not_performed", "应当履行而未履行：督办函（第二十七条）"),
            flag("illegal_or_clearly_improper", "违法或明显不当：意见书（第二十八条）"),
            flag("major_issue", "重大问题：报请政府制发决定书（第二十九条）"),
            flag("prior_doc_ignored", "拒不执行督办函/意见书：报请决定书（第二十九条）"),
            flag("systemic_or_refusal", "通报（第三十一条）"),
            flag("officer_fault", "人员处理建议（第三十二条）"),
            flag("official_corruption_or_dereliction", "移送纪检监察（第三十三条）"),
            flag("crime_not_transferred", "涉嫌犯罪未移送：行刑衔接"),
            flag("individual_remedy_needed", "引导复议/诉讼（第三十三条第三款）"),
        ],
        doc="T3_6：科务会/局务会集体研究 WD(5) [ASSUME]；G3_3 处理方式可多选。",
    )
    d.gateway(
        "gw_disposition",
        "处理方式",
        22,
        1,
        "inclusive",
        doc="G3_3（包容网关）。",
    )
    calls = [
        ("issue_urge", "制发督办函", "urge", "duty_not_performed", 0),
        ("issue_opinion", "制发意见书", "opinion", "illegal_or_clearly_improper", 2),
        ("issue_decision", "报请制发决定书", "decision", "major_issue || prior_doc_ignored", 3),
        ("issue_bulletin", "通报", "bulletin", "systemic_or_refusal", 4),
        ("issue_personnel", "人员处理建议书", "personnel", "officer_fault", 5),
    ]
    for element_id, name, doc_type, _condition, row in calls:
        outs = [{"source": "doc_no", "target": f"{doc_type}_doc_no"}]
        d.call(
            element_id,
            name,
            23,
            row,
            called="document_issuing",
            ins=[
                {"variables": "all"},
                {"sourceExpression": "${'" + doc_type + "'}", "target": "doc_type"},
            ],
            outs=outs,
        )
    d.user(
        "fix_on_spot",
        "当场纠正记录",
        23,
        7,
        groups=SUPERVISOR,
        due="${workdays(1)}",
        form=[area("on_spot_record", "当场纠正情况", required=True)],
    )
    d.user(
        "guide_remedy",
        "引导复议/诉讼",
        23,
        6,
        groups=SUPERVISOR,
        due="${workdays(2)}",
        form=[area("remedy_guidance", "告知内容", required=True)],
    )
    for element_id, name, kind, row in (
        ("refer_crime", "移送：行刑衔接监督", "CRIMINAL", 8),
        ("refer_discipline", "移送：纪检监察", "DISCIPLINE", 9),
    ):
        d.service(
            element_id,
            name,
            23,
            row,
            handler="startRelatedCase",
            fields={
                "process": "referral",
                "relation": "criminal_referral" if kind == "CRIMINAL" else "discipline_referral",
                "copy": "owner_unit_id,target_agency_id,case_title,referral_type,related_case_no",
            },
            inputs={"referral_type": "${'" + kind + "'}", "related_case_no": "${case_no}"},
            doc="条例第三十三条、国务院令第310号：移送作为关联案件单独编号、跟踪，"
            "执法监督部分各自办结（TS-06）。",
        )
    d.gateway("gw_disposition_done", "", 24, 1, "inclusive")
    for element_id, name, _doc_type, condition, _row in calls:
        d.flow("gw_disposition", element_id, cond="${" + condition + "}", name=name)
        d.flow(element_id, "gw_disposition_done")
    d.service(
        "collect",
        "汇总处理结果",
        25,
        1,
        handler="summarizeDocuments",
        outputs={
            "referred": "${official_corruption_or_dereliction || crime_not_transferred}",
        },
        doc="纠正期限取本轮已送达文书中最晚者（T3_8）；从文书记录汇总，不受并行分支影响。",
    )
    d.gateway("gw_correction", "待纠正?", 26, 1, default="Flow_nothing_to_correct")
    d.gateway("gw_correct", "", 27, 11)
    d.user(
        "correct",
        "纠正并报送纠正情况",
        28,
        11,
        groups=BUREAU,
        due="${correction_due}",
        form=[
            area("correction_report", "纠正情况报告", required=True),
            flag("file_objection", "对监督文书提出异议"),
            area("objection_text", "异议理由", maxlength=3000),
        ],
        doc="T3_8：督办函 WD(15)、意见书/决定书 CD(30) [ASSUME]，自送达日起算；可提出异议"
        "（条例第三十条，CD(10) [CUST:S32]）。",
    )
    d.boundary(
        "correction_overdue",
        "逾期未纠正",
        "correct",
        timer={"date": "${after_workdays(correction_due, 1)}"},
        doc="BT3_2：期限届满后第一个工作日。",
    )
    d.service(
        "overdue_alert",
        "逾期预警",
        29,
        13,
        handler="raiseAlert",
        fields={"level": "red", "activities": "correct"},
    )
    d.user(
        "escalate_overdue",
        "逾期未纠正：升级处置",
        30,
        8,
        groups=SUPERVISOR,
        due="${workdays(2)}",
        form=[
            choice(
                "overdue_measure",
                "升级措施",
                [
                    ("opinion", "制发意见书"),
                    ("decision", "报请决定书"),
                    ("interview", "约谈"),
                    ("bulletin", "通报"),
                ],
            ),
            area("overdue_note", "说明", required=True),
        ],
        doc="督办函 → 意见书 → 报请决定书；约谈；通报（条例第二十九、三十一、二十二条）。",
    )
    d.end("end_overdue", "已升级", 31, 8)
    d.gateway("gw_objection", "异议?", 29, 11, default="Flow_no_objection")
    d.user(
        "handle_objection",
        "处理异议",
        30,
        9,
        groups=CHIEF,
        due="${workdays(setting('objection_answer_workdays'))}",
        form=[
            choice("objection_ruling", "处理结果", [("upheld", "维持"), ("changed", "变更")]),
            area("objection_answer", "异议处理意见", required=True),
        ],
        outputs={
            "file_objection": "${false}",
            "correction_due": "${objection_ruling == 'changed' ? "
            "workdays(setting('urge_letter_correction_workdays')) : correction_due}",
        },
        doc="ICE3_1：答复异议 WD(10) [ASSUME]（条例第三十条“及时处理”）。",
    )
    d.user(
        "verify_correction",
        "复查整改",
        30,
        2,
        groups=SUPERVISOR,
        due="${workdays(setting('verification_workdays'))}",
        form=[
            choice(
                "verification_result",
                "复查结论",
                [("corrected", "已纠正"), ("not_corrected", "未纠正")],
            ),
            area("verification_note", "复查意见", required=True),
        ],
        outputs={
            "prior_doc_ignored": "${verification_result == 'not_corrected'}",
            # The periods of this round are settled; a new round sets its own.
            "last_verified_at": "${now()}",
        },
        doc="T3_9：WD(10) [ASSUME]；未纠正的重新集体研究（报请决定书等）。",
    )
    d.gateway("gw_verified", "已纠正?", 31, 2, default="Flow_corrected")
    d.gateway("gw_close", "", 32, 1)
    d.user(
        "close_case",
        "结案报告并反馈线索来源",
        33,
        1,
        groups=SUPERVISOR,
        due="${workdays(setting('close_feedback_workdays'))}",
        form=[
            area("close_report", "结案报告", required=True),
            area("feedback_text", "反馈线索来源（诉求人/监督员）的内容", required=True),
        ],
        outputs={
            "case_status": "${decision_issued ? 'P3_CLOSED_GOV_DECISION' : (violation_found ? "
            "'P3_CLOSED_CORRECTED' : (referred ? 'P3_REFERRED' : 'P3_CLOSED_NO_VIOLATION'))}",
            "closed_at": "${now()}",
        },
        doc="T3_10：结案后 WD(5) 内反馈线索来源 [CUST:S19]。",
    )
    d.send(
        "send_outcome",
        "反馈线索来源",
        34,
        1,
        message="Msg_LeadOutcome",
        variables={
            "lead_case_no": "${case_no}",
            "lead_case_status": "${case_status}",
            "lead_feedback_text": "${feedback_text}",
            "lead_closed_at": "${closed_at}",
        },
        doc="线索来自监督员意见的，结果送回该意见流程；其他来源经发件箱反馈。",
    )
    d.end("end_closed", "结案", 35, 1)

    d.flow("start_lead", "gw_start")
    d.flow("start_manual", "gw_start")
    d.chain("gw_start", "init_defaults", "assign_case_no", "register_lead", "assess", "gw_major")
    d.flow("gw_major", "open_case", cond="${is_major}", name="重大")
    d.flow("gw_major", "gw_not_major", id="Flow_not_major", name="非重大")
    d.flow(
        "gw_not_major", "start_complaint", cond="${not_major_handling == 'transfer'}", name="转办"
    )
    d.flow(
        "gw_not_major",
        "issue_reminder_letter",
        cond="${not_major_handling == 'reminder_letter'}",
        name="提醒函",
    )
    d.flow(
        "gw_not_major",
        "gw_not_major_done",
        id="Flow_not_major_close",
        name="存档",
        waypoints=[(d.cx(6), d.cy(6)), (d.cx(8), d.cy(6))],
    )
    d.flow("start_complaint", "gw_not_major_done")
    d.flow("issue_reminder_letter", "gw_not_major_done")
    d.chain("gw_not_major_done", "send_not_major_outcome", "end_not_major")
    d.chain("open_case", "approve_opening", "gw_opened")
    d.flow(
        "gw_opened", "gw_mode", cond="${chief_opening_approved && opening_approved}", name="批准"
    )
    d.flow(
        "gw_opened",
        "end_not_opened",
        cond="${!(chief_opening_approved && opening_approved)}",
        name="不批准",
    )
    d.flow("gw_mode", "escalate", cond="${mode == 'escalated'}", name="提级")
    d.flow("gw_mode", "gw_mode_done", id="Flow_direct", name="直接调查")
    d.flow("gw_mode", "listed_self_check", cond="${mode == 'listed_supervision'}", name="挂牌督办")
    d.flow("escalate", "gw_mode_done")
    d.chain("gw_mode_done", "form_team", "build_team", "gw_investigate")
    d.flow("gw_investigate", "investigate")
    d.flow("gw_investigate", "provide_files")
    d.flow("investigate", "gw_investigated")
    d.flow("provide_files", "gw_investigated")
    d.chain(
        "investigation_deadline",
        "request_extension",
        "approve_investigation_extension",
        "end_extension",
    )
    d.flow("gw_investigated", "gw_report")
    d.flow("listed_self_check", "gw_report")
    d.chain("gw_report", "write_report", "gw_collective", "collective_review", "gw_disposition")
    d.flow("gw_disposition", "gw_disposition_done", cond="${true}", name="继续")
    d.flow("gw_disposition", "fix_on_spot", cond="${can_fix_on_spot}", name="当场纠正")
    d.flow("fix_on_spot", "gw_disposition_done")
    d.flow(
        "gw_disposition", "guide_remedy", cond="${individual_remedy_needed}", name="引导复议诉讼"
    )
    d.flow("guide_remedy", "gw_disposition_done")
    d.flow(
        "gw_disposition",
        "refer_discipline",
        cond="${official_corruption_or_dereliction}",
        name="纪检监察",
    )
    d.flow("refer_discipline", "gw_disposition_done")
    d.flow("gw_disposition", "refer_crime", cond="${crime_not_transferred}", name="行刑衔接")
    d.flow("refer_crime", "gw_disposition_done")
    d.chain("gw_disposition_done", "collect", "gw_correction")
    d.flow("gw_correction", "gw_correct", cond="${correction_pending}", name="是")
    d.flow("gw_correction", "gw_close", id="Flow_nothing_to_correct")
    d.chain("gw_correct", "correct", "gw_objection")
    d.chain("correction_overdue", "overdue_alert", "escalate_overdue", "end_overdue")
    d.flow("gw_objection", "handle_objection", cond="${file_objection}", name="异议")
    d.flow("handle_objection", "gw_correct", name="重新纠正", loop="above")
    d.flow("gw_objection", "verify_correction", id="Flow_no_objection")
    d.flow("verify_correction", "gw_verified")
    d.flow(
        "gw_verified",
        "gw_collective",
        cond="${verification_result == 'not_corrected'}",
        name="未纠正：重新研究",
        loop="above",
    )
    d.flow("gw_verified", "gw_close", id="Flow_corrected", name="已纠正")
    d.chain("gw_close", "close_case", "send_outcome", "end_closed")
    return d
