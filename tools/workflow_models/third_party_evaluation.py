"""third_party_evaluation: Flow 2 行政执法效能第三方评估 (domain.md §2.2)."""

from __future__ import annotations

from tools.bpmn_builder import Diagram
from tools.bpmn_builder import area
from tools.bpmn_builder import choice
from tools.bpmn_builder import day
from tools.bpmn_builder import flag
from tools.bpmn_builder import group
from tools.bpmn_builder import number
from tools.bpmn_builder import text
from tools.workflow_models.common import CHIEF
from tools.workflow_models.common import LEADER
from tools.workflow_models.common import SUPERVISOR

EVALUATOR = "${evaluator_org}"
UNIT = "${target.agency}"
UNIT_HEAD = "${target.agency}_head"
DEFAULTS = {
    "feeds_city_assessment": "${false}",
    "has_objection": "${false}",
    "follow_up_opinion": "${false}",
    "follow_up_major": "${false}",
    "follow_up_referral": "${false}",
    "rectification_needed": "${false}",
}
BUILD_TARGETS = """
# 评估对象：组代码列表（逗号分隔），每个单位一条记录，后续环节的结果汇总于此
codes = [c.strip() for c in target_agency_list.replace('，', ',').split(',') if c.strip()]
eval_targets = [{'agency': c} for c in codes]
weight_total = weight_file_review + weight_satisfaction + weight_institution + weight_field
"""
GRADES = """
# 分项得分按权重合成总分，等次：≥90 优秀、≥80 良好、≥60 合格、<60 不合格 [ASSUME]
for t in eval_targets:
    if t.get('file_score') is None:
        continue
    total = (t['file_score'] * weight_file_review + t['satisfaction_score'] * weight_satisfaction
             + t['institution_score'] * weight_institution + t['field_score'] * weight_field)
    t['total_score'] = round(total / weight_total, 1)
    if t['total_score'] >= 90:
        t['grade'] = '优秀'
    elif t['total_score'] >= 80:
        t['grade'] = '良好'
    elif t['total_score'] >= 60:
        t['grade'] = '合格'
    else:
        t['grade'] = '不合格'
rectification_targets = [t for t in eval_targets
                         if t.get('grade') == '不合格' or t.get('needs_rectification')]
rectification_needed = len(rectification_targets) > 0
"""
OBJECTIONS = """
# 提出异议的单位由评估机构复核（征求意见期 WD(10)）
objection_targets = [t for t in eval_targets if t.get('has_objection')]
has_objection = len(objection_targets) > 0
"""
SCORE_FIELDS = [
    number("sampled_files", "抽样案卷数", required=True, minimum=0),
    number("failed_files", "不合格卷数", required=True, minimum=0),
    number("file_score", "案卷评查得分（0–100）", required=True, minimum=0, maximum=100),
    number(
        "satisfaction_score", "群众/企业满意度得分（0–100）", required=True, minimum=0, maximum=100
    ),
    number("institution_score", "制度落实得分（0–100）", required=True, minimum=0, maximum=100),
    number("field_score", "实地评估得分（0–100）", required=True, minimum=0, maximum=100),
    flag("needs_rectification", "需整改"),
    area("issue_list", "问题清单", maxlength=4000),
]
SCORE_NAMES = (
    "sampled_files,failed_files,file_score,satisfaction_score,institution_score,"
    "field_score,needs_rectification,issue_list"
)


def _per_unit(
    d: Diagram,
    prefix: str,
    name: str,
    col: float,
    row: int,
    *,
    collection: str,
    task: dict,
    stage: str,
    fields: str,
    doc: str,
) -> None:
    """A multi-instance subprocess: one instance per evaluated unit, its result kept."""
    d.subprocess(
        f"{prefix}_each", name, col, row, col + 3, row, multi=(collection, "target"), doc=doc
    )
    with d.inside(f"{prefix}_each"):
        d.start(f"{prefix}_start", "", col, row)
        d.user(f"{prefix}_task", task.pop("name"), col + 1, row, **task)
        d.service(
            f"{prefix}_record",
            "记录本单位结果",
            col + 2,
            row,
            handler="recordAgencyResult",
            fields={"stage": stage, "fields": fields},
        )
        d.end(f"{prefix}_end", "", col + 3, row)
        d.chain(f"{prefix}_start", f"{prefix}_task", f"{prefix}_record", f"{prefix}_end")


def build() -> Diagram:
    d = Diagram(
        "third_party_evaluation",
        "行政执法效能第三方评估",
        documentation=(
            "流程2 第三方评估（domain.md §2.2，《行政执法监督条例》第十六、十八、十九、二十三、"
            "三十四条）：方案（对象、指标及权重）→ 审定 → 公开评议标准 → 委托评估机构（账号随合同"
            "到期失效）→ 通知 → 各单位自评 WD(10) → 评估实施 WD(40) → 分项打分、合成等次 → 初审 "
            "→ 征求意见 WD(10) → 异议复核 WD(5)、重算等次 → 定稿 → 通报/公开 → 整改 CD(30) 与验收、"
            "意见书、重点监督、移送。各时限均为 [ASSUME]，见设置。"
        ),
        version_tag="1.0",
        pool_name="司法局（行政执法监督机构）",
        lanes=[
            ("Lane_supervision", "监督机构（承办人/科长/局领导）", 5),
            ("Lane_evaluator", "第三方评估机构", 1),
            ("Lane_bureau", "被评估执法机关", 1),
            ("Lane_bureau_head", "被评估单位负责人", 1),
            ("Lane_invited", "特邀监督员", 1),
        ],
        external_pools=[("government", "市政府/依法治市办")],
        cols=60,
    )
    d.start(
        "start",
        "启动年度评估",
        0,
        0,
        form=[
            number("eval_year", "评估年度", required=True, minimum=2020, maximum=2100),
            day("period_from", "评估期间自", required=True),
            day("period_to", "评估期间至", required=True),
            text("case_title", "项目名称", required=True, maxlength=200),
        ],
        doc="SE2_1：每年启动（可由定时启动事件触发）[ASSUME]。",
    )
    d.service("init_defaults", "设置默认值", 1, 0, handler="setDefaults", fields=DEFAULTS)
    d.service(
        "assign_case_no",
        "项目编号",
        2,
        0,
        handler="assignCaseNumber",
        fields={"type": "PG"},
        outputs={"eval_project_no": "${case_no}"},
    )
    d.user(
        "draft_plan",
        "拟定评估工作方案",
        3,
        0,
        groups=SUPERVISOR,
        due="${workdays(setting('eval_plan_workdays'))}",
        form=[
            text(
                "target_agency_list",
                "评估对象（单位组代码，逗号分隔）",
                required=True,
                maxlength=2000,
            ),
            area("indicator_set", "指标体系（一级/二级指标、评分方法、数据来源）", required=True),
            number("weight_file_review", "权重：案卷评查 %", default="40", minimum=0, maximum=100),
            number(
                "weight_satisfaction",
                "权重：群众/企业满意度 %",
                default="30",
                minimum=0,
                maximum=100,
            ),
            number("weight_institution", "权重：制度落实 %", default="20", minimum=0, maximum=100),
            number("weight_field", "权重：实地评估 %", default="10", minimum=0, maximum=100),
            number("sample_size", "每单位抽样案卷数", default="20", minimum=1),
            area("methods", "评估方法（案卷评查、问卷、访谈、实地、12345数据、监督员意见）"),
            area("schedule", "时间安排"),
            flag("feeds_city_assessment", "结果用于市级考核（需报市政府/依法治市办审定）"),
        ],
        doc="T2_1：WD(15) [ASSUME]（条例第十九条：评议标准、过程、结果以适当方式公开）。",
    )
    d.script("build_targets", "整理评估对象", 4, 0, BUILD_TARGETS)
    d.user(
        "review_plan",
        "科长审核方案",
        5,
        1,
        groups=CHIEF,
        due="${workdays(5)}",
        form=[
            flag("plan_reviewed", "同意", default="true"),
            area("plan_review_comment", "意见", maxlength=1000),
        ],
    )
    d.user(
        "approve_plan",
        "局领导审定方案",
        6,
        2,
        groups=LEADER,
        due="${workdays(5)}",
        form=[
            flag("plan_approved", "审定通过", default="true"),
            area("plan_approval_comment", "意见", maxlength=1000),
        ],
    )
    d.gateway("gw_plan_ok", "通过?", 7, 2)
    d.gateway("gw_gov", "报政府审定?", 8, 0, default="Flow_no_gov")
    d.send(
        "send_plan_gov",
        "报市政府/依法治市办审定",
        9,
        1,
        message="Msg_EvalPlanApproval",
        share_with="${setting('gov_office_unit')}",
        variables=["eval_project_no", "case_title", "target_agency_list", "indicator_set"],
        pool="government",
    )
    d.receive(
        "wait_gov_plan",
        "审定意见",
        10,
        1,
        message="Msg_EvalPlanApproved",
        pool="government",
        doc="G2_1：结果用于市级考核的，报审定（条例第三十四条）[ASSUME]。",
    )
    d.gateway("gw_gov_done", "", 11, 0)
    d.user(
        "publish_standards",
        "公开评议标准",
        12,
        0,
        groups=SUPERVISOR,
        due="${workdays(5)}",
        form=[
            text("publication", "公开渠道/网址", required=True, maxlength=300),
            day("published_on", "公开日期", required=True, default="${today()}"),
        ],
        doc="T2_2：实地评估前公开（条例第十九条）。",
    )
    d.user(
        "procure",
        "委托第三方评估机构",
        13,
        0,
        groups=SUPERVISOR,
        due="${caldays(setting('eval_procurement_caldays'))}",
        form=[
            group("evaluator_org", "评估机构", required=True, kind="evaluator"),
            text("contract_no", "合同编号", required=True, maxlength=64),
            day("contract_from", "合同期限自", required=True),
            day("contract_to", "合同期限至", required=True),
        ],
        doc="T2_3：政府采购/合同，20–45日 [ASSUME]；社会评议常委托专业机构 [SRC:S29]。",
    )
    d.service(
        "provision",
        "开通评估员账号（到期失效）",
        14,
        0,
        handler="provisionEvaluators",
        doc="T2_4：账号有效至合同期满加 evaluator_access_grace_days；仅共享本项目。",
    )
    d.send(
        "notify_bureaus",
        "发评估通知",
        15,
        0,
        message="Msg_EvalNotice",
        variables=[
            "eval_project_no",
            "case_title",
            "target_agency_list",
            "period_from",
            "period_to",
        ],
        doc="T2_5。",
    )
    _per_unit(
        d,
        "self",
        "各单位自评",
        16,
        6,
        collection="${eval_targets}",
        stage="self",
        fields="self_report,case_catalogue,enforcement_stats",
        task={
            "name": "自评及报送材料",
            "groups": UNIT,
            "due": "${workdays(setting('eval_self_assessment_workdays'))}",
            "form": [
                area("self_report", "自评报告", required=True),
                area("case_catalogue", "案卷目录", required=True),
                area("enforcement_stats", "执法统计", maxlength=3000),
            ],
            "doc": "T2_6：自评 WD(10) [ASSUME]。",
        },
        doc="每个被评估单位一个实例（多实例子流程，元素变量 target）。",
    )
    d.service(
        "collect_self",
        "汇总自评材料",
        20,
        0,
        handler="collectAgencyResults",
        fields={"stage": "self"},
    )
    d.gateway("gw_fieldwork", "", 21, 0, "parallel")
    d.user(
        "fieldwork",
        "评估实施（案卷评查、问卷、访谈、实地、12345数据分析）",
        22,
        5,
        groups=EVALUATOR,
        due="${workdays(setting('eval_fieldwork_workdays'))}",
        form=[
            area("fieldwork_record", "实施情况", required=True),
            number("survey_n", "问卷样本量", minimum=0),
        ],
        doc="T2_7：窗口 WD(30)–WD(40) [ASSUME]（条例第十六、十八、十九条）。",
    )
    d.user(
        "invited_opinion",
        "特邀监督员意见",
        22,
        8,
        groups="tyjd_510800",
        due="${workdays(setting('eval_fieldwork_workdays'))}",
        form=[area("invited_opinion_text", "意见", required=True)],
        doc="条例第二十三条：可邀请特邀监督员、专家参加。",
    )
    d.gateway("gw_fieldwork_done", "", 23, 0, "parallel")
    _per_unit(
        d,
        "score",
        "分单位评分",
        24,
        5,
        collection="${eval_targets}",
        stage="score",
        fields=SCORE_NAMES,
        task={
            "name": "评分",
            "groups": EVALUATOR,
            "due": "${workdays(setting('eval_review_workdays'))}",
            "form": SCORE_FIELDS,
            "doc": "案卷评查：否决项致不合格卷；总分 卷面20+内容80 [CUST:S28]。",
        },
        doc="评估机构为每个被评估单位打分。",
    )
    d.service(
        "collect_scores",
        "汇总评分",
        28,
        0,
        handler="collectAgencyResults",
        fields={"stage": "score"},
    )
    d.script("compute_grades", "合成总分与等次", 29, 0, GRADES)
    d.user(
        "draft_report",
        "提交评估报告初稿",
        30,
        5,
        groups=EVALUATOR,
        due="${workdays(setting('eval_review_workdays'))}",
        form=[area("draft_report_summary", "初稿摘要（分项得分、等次、问题清单）", required=True)],
        doc="T2_8。",
    )
    d.user(
        "review_draft",
        "初审评估报告",
        31,
        1,
        groups=CHIEF,
        due="${workdays(setting('eval_review_workdays'))}",
        form=[area("draft_review", "初审意见", required=True)],
        doc="T2_9：WD(5) [ASSUME]。",
    )
    _per_unit(
        d,
        "consult",
        "征求被评估单位意见",
        32,
        7,
        collection="${eval_targets}",
        stage="objection",
        fields="has_objection,objection_text",
        task={
            "name": "反馈意见（异议期）",
            "groups": UNIT_HEAD,
            "due": "${workdays(setting('eval_objection_workdays'))}",
            "form": [
                flag("has_objection", "提出异议"),
                area("objection_text", "异议内容", maxlength=4000),
            ],
            "doc": "T2_10：异议期 WD(10) [ASSUME]（条例第三十条类推）。",
        },
        doc="T2_10：初稿送各单位负责人，征求意见。",
    )
    d.service(
        "collect_objections",
        "汇总意见",
        36,
        0,
        handler="collectAgencyResults",
        fields={"stage": "objection"},
    )
    d.script("check_objections", "有无异议", 37, 0, OBJECTIONS)
    d.gateway("gw_objection", "有异议?", 38, 0, default="Flow_no_objection")
    _per_unit(
        d,
        "recheck",
        "复核异议",
        39,
        5,
        collection="${objection_targets}",
        stage="score",
        fields=SCORE_NAMES + ",recheck_note",
        task={
            "name": "复核并重新评分",
            "groups": EVALUATOR,
            "due": "${workdays(setting('eval_recheck_workdays'))}",
            "form": [*SCORE_FIELDS, area("recheck_note", "复核意见", required=True)],
            "doc": "T2_11：评估机构复核 WD(5) [ASSUME]。",
        },
        doc="只对提出异议的单位复核。",
    )
    d.service(
        "collect_rechecks",
        "汇总复核结果",
        43,
        1,
        handler="collectAgencyResults",
        fields={"stage": "score"},
    )
    d.script("recompute_grades", "重算等次", 44, 1, GRADES)
    d.user(
        "rule_objections",
        "科长裁定",
        45,
        1,
        groups=CHIEF,
        due="${workdays(setting('eval_recheck_workdays'))}",
        form=[area("objection_ruling", "裁定意见", required=True)],
        doc="T2_11。",
    )
    d.gateway("gw_objection_done", "", 46, 0)
    d.user(
        "finalize",
        "定稿并审定",
        47,
        2,
        groups=LEADER,
        due="${workdays(setting('eval_final_workdays'))}",
        form=[
            area("final_report_summary", "终稿摘要", required=True),
            flag("follow_up_opinion", "对违法或明显不当行为制发意见书"),
            group("opinion_agency", "意见书主送单位", kind="bureau"),
            flag("follow_up_major", "发现重大问题转重点监督"),
            flag("follow_up_referral", "发现涉嫌犯罪或违纪线索移送"),
            choice(
                "referral_kind",
                "移送类型",
                [("CRIMINAL", "行刑衔接"), ("DISCIPLINE", "纪检监察")],
                required=False,
            ),
            group("referral_agency", "涉及执法机关", kind="bureau"),
        ],
        outputs={"final_at": "${now()}"},
        doc="T2_12：WD(5) [ASSUME]；G2_3 后续处理可多选。",
    )
    d.service(
        "publish_results",
        "制发评估结果通报",
        48,
        0,
        handler="issueDocument",
        fields={"type": "bulletin", "variable": "bulletin_doc_no"},
        inputs={
            "doc_title": "关于${case_title}结果的通报",
            "facts_reasons": "${final_report_summary}",
        },
        doc="T2_13：报告市政府、通报并公开（条例第十九、三十一、三十四条）。",
    )
    d.send(
        "send_report",
        "报告/公开评估结果",
        49,
        0,
        message="Msg_EvalReport",
        variables=["eval_project_no", "case_title", "bulletin_doc_no", "eval_targets"],
        pool="government",
    )
    d.gateway(
        "gw_follow_up",
        "后续处理",
        50,
        0,
        "inclusive",
        default="Flow_no_follow_up",
        doc="G2_3（包容网关）。",
    )
    d.call(
        "follow_up_opinion_doc",
        "制发意见书",
        51,
        1,
        called="document_issuing",
        ins=[
            {"variables": "all"},
            {"sourceExpression": "${'opinion'}", "target": "doc_type"},
            {"sourceExpression": "${opinion_agency}", "target": "target_agency_id"},
        ],
        outs=[{"source": "doc_no", "target": "opinion_doc_no"}],
    )
    d.send(
        "follow_up_lead",
        "转重点监督",
        51,
        2,
        message="Msg_SupervisionLead",
        variables={
            "lead_source": "${'evaluation'}",
            "case_title": None,
            "respondent_agency_id": "${opinion_agency}",
            "act_description": "${final_report_summary}",
            "owner_unit_id": None,
        },
    )
    d.call(
        "follow_up_referral_case",
        "移送",
        51,
        3,
        called="referral",
        ins=[
            {"variables": "all"},
            {"sourceExpression": "${referral_kind}", "target": "referral_type"},
            {"sourceExpression": "${referral_agency}", "target": "target_agency_id"},
        ],
        outs=[{"source": "referral_status", "target": "eval_referral_status"}],
    )
    d.subprocess(
        "rectify_each",
        "整改与验收",
        51,
        4,
        55,
        6,
        multi=("${rectification_targets}", "target"),
        doc="T2_14/T2_15：对需整改单位制发整改通知书，CD(30) 整改，WD(10) 验收 [ASSUME]。",
    )
    with d.inside("rectify_each"):
        d.start("rectify_start", "", 51, 6)
        d.service(
            "issue_rectification",
            "制发整改通知书",
            52,
            4,
            handler="issueDocument",
            fields={"type": "rectification", "variable": "rectification_doc_no"},
            inputs={"addressee_id": "${target.agency}", "requirements": "${target.issue_list}"},
            outputs={"rectification_due": "${caldays(setting('eval_rectification_caldays'))}"},
        )
        d.user(
            "rectify",
            "整改并报送整改报告",
            53,
            6,
            groups=UNIT,
            due="${rectification_due}",
            form=[area("rectification_report", "整改报告", required=True)],
        )
        d.user(
            "accept_rectification",
            "整改验收",
            54,
            4,
            groups=SUPERVISOR,
            due="${workdays(setting('eval_acceptance_workdays'))}",
            form=[
                choice("acceptance_result", "验收结论", [("passed", "通过"), ("failed", "不通过")]),
                area("acceptance_note", "验收意见", required=True),
            ],
        )
        d.end("rectify_end", "", 55, 4)
        d.chain(
            "rectify_start", "issue_rectification", "rectify", "accept_rectification", "rectify_end"
        )
    d.gateway("gw_follow_up_done", "", 57, 0, "inclusive")
    d.user(
        "close_project",
        "评估完成归档",
        58,
        0,
        groups=SUPERVISOR,
        due="${workdays(5)}",
        form=[text("archive_no", "归档号", maxlength=64)],
        outputs={"case_status": "${'EVAL_CLOSED'}", "closed_at": "${now()}"},
    )
    d.end("end", "评估完成", 59, 0)

    d.chain(
        "start",
        "init_defaults",
        "assign_case_no",
        "draft_plan",
        "build_targets",
        "review_plan",
        "approve_plan",
        "gw_plan_ok",
    )
    d.flow("gw_plan_ok", "gw_gov", cond="${plan_reviewed && plan_approved}", name="通过")
    d.flow("gw_plan_ok", "draft_plan", cond="${!(plan_reviewed && plan_approved)}", name="退回修改")
    d.flow("gw_gov", "send_plan_gov", cond="${feeds_city_assessment}", name="是")
    d.flow("gw_gov", "gw_gov_done", id="Flow_no_gov", name="否")
    d.chain("send_plan_gov", "wait_gov_plan", "gw_gov_done")
    d.chain(
        "gw_gov_done",
        "publish_standards",
        "procure",
        "provision",
        "notify_bureaus",
        "self_each",
        "collect_self",
        "gw_fieldwork",
    )
    d.flow("gw_fieldwork", "fieldwork")
    d.flow("gw_fieldwork", "invited_opinion")
    d.flow("fieldwork", "gw_fieldwork_done")
    d.flow("invited_opinion", "gw_fieldwork_done")
    d.chain(
        "gw_fieldwork_done",
        "score_each",
        "collect_scores",
        "compute_grades",
        "draft_report",
        "review_draft",
        "consult_each",
        "collect_objections",
        "check_objections",
        "gw_objection",
    )
    d.flow("gw_objection", "recheck_each", cond="${has_objection}", name="有异议")
    d.flow("gw_objection", "gw_objection_done", id="Flow_no_objection", name="无异议")
    d.chain(
        "recheck_each",
        "collect_rechecks",
        "recompute_grades",
        "rule_objections",
        "gw_objection_done",
    )
    d.chain("gw_objection_done", "finalize", "publish_results", "send_report", "gw_follow_up")
    d.flow("gw_follow_up", "gw_follow_up_done", id="Flow_no_follow_up", name="无")
    d.flow("gw_follow_up", "follow_up_opinion_doc", cond="${follow_up_opinion}", name="意见书")
    d.flow("gw_follow_up", "follow_up_lead", cond="${follow_up_major}", name="重点监督")
    d.flow("gw_follow_up", "follow_up_referral_case", cond="${follow_up_referral}", name="移送")
    d.flow("gw_follow_up", "rectify_each", cond="${rectification_needed}", name="整改")
    for source in (
        "follow_up_opinion_doc",
        "follow_up_lead",
        "follow_up_referral_case",
        "rectify_each",
    ):
        d.flow(source, "gw_follow_up_done")
    d.chain("gw_follow_up_done", "close_project", "end")
    return d
