"""document_issuing: 监督文书制发 (domain.md §2.5), a called process used by every flow."""

from __future__ import annotations

from tools.bpmn_builder import Diagram
from tools.bpmn_builder import area
from tools.bpmn_builder import choice
from tools.bpmn_builder import flag
from tools.bpmn_builder import group
from tools.bpmn_builder import moment
from tools.bpmn_builder import text

DOC_TYPES = [
    ("urge", "行政执法监督督办函"),
    ("opinion", "行政执法监督意见书"),
    ("decision", "行政执法监督决定书（报请本级人民政府）"),
    ("suggestion", "行政执法监督建议书"),
    ("notice", "行政执法监督通知书"),
    ("reminder_letter", "提醒函"),
    ("urge_notice", "催办通知书"),
    ("personnel", "行政执法人员处理建议书"),
    ("bulletin", "通报"),
    ("rectification", "整改通知书"),
    ("lead_transfer", "问题线索移送函"),
]
SUPERVISOR = "${owner_unit_id}"
CHIEF = "${owner_unit_id}_chief"
LEADER = "${owner_unit_id}_leader"


def build() -> Diagram:
    d = Diagram(
        "document_issuing",
        "监督文书制发",
        documentation=(
            "监督文书制发（domain.md §2.5）：起草 → 科长审核 → 局领导签发（决定书报请本级人民政府）"
            " → 签发时取发文字号（GB/T 9704）并生成 Word 文书 → 送达，纠正期限自送达日起算。"
            "由各流程以调用活动（call activity）使用：传入 doc_type 等变量，传出 doc_no、"
            "doc_id、correction_due、correction_pending 等。"
        ),
        version_tag="1.0",
        pool_name="司法局（监督机构）",
        lanes=[
            ("Lane_supervisor", "监督科承办人", 1),
            ("Lane_chief", "科长", 1),
            ("Lane_leader", "局领导", 3),
        ],
        external_pools=[("government", "本级人民政府（办公室）")],
        cols=15,
    )
    d.start("start", "需制发文书", 0, 0, doc="由调用流程传入文书类型（doc_type）与案件事实。")
    d.gateway("gw_redraft", "", 1, 0)
    d.user(
        "draft",
        "起草文书",
        2,
        0,
        groups=SUPERVISOR,
        due="${workdays(setting('doc_draft_workdays'))}",
        form=[
            choice("doc_type", "文书类型", DOC_TYPES, default="${doc_type}"),
            text("doc_title", "标题（留空则自动生成）", maxlength=200),
            text(
                "doc_subject",
                "监督事项/案由",
                required=True,
                default="${case_title}",
                maxlength=200,
            ),
            group(
                "addressee_id",
                "主送单位",
                required=True,
                default="${target_agency_id}",
                kind="bureau",
            ),
            area("facts_reasons", "查明的事实和理由", required=True),
            area("legal_basis", "依据（法律法规条款）", required=True, maxlength=2000),
            area("requirements", "处理意见和要求（纠正意见）", required=True, maxlength=2000),
            text("cc", "抄送单位（组代码，逗号分隔）", maxlength=500),
        ],
        doc="§2.5 步骤1 起草（承办人）。数据项：doc_type, title, addressee_id, facts_reasons, "
        "legal_basis, requirements, cc。",
    )
    d.user(
        "review",
        "科长审核文书",
        3,
        1,
        groups=CHIEF,
        due="${workdays(setting('doc_review_workdays'))}",
        form=[
            flag("review_approved", "审核通过", default="true"),
            area("review_comment", "审核意见", maxlength=1000),
        ],
        doc="§2.5 步骤2 科长审核；不通过退回起草。",
    )
    d.gateway("gw_review", "审核通过?", 4, 1)
    d.gateway("gw_issuer", "决定书?", 5, 1, default="Flow_gw_issuer_sign")
    d.user(
        "sign",
        "局领导签发",
        6,
        2,
        groups=LEADER,
        due="${workdays(setting('doc_sign_workdays'))}",
        form=[
            flag("sign_approved", "同意签发", default="true"),
            area("sign_comment", "签发意见", maxlength=1000),
        ],
        doc="§2.5 步骤3 局领导签发（《党政机关公文处理工作条例》第二十二条）；签发后才取号。",
    )
    d.gateway("gw_sign", "同意签发?", 7, 2)
    d.user(
        "sign_request",
        "局领导签发报请决定书的请示",
        6,
        3,
        groups=LEADER,
        due="${workdays(setting('doc_sign_workdays'))}",
        form=[
            flag("request_approved", "同意报请本级人民政府", default="true"),
            area("request_comment", "意见", maxlength=1000),
        ],
        doc="决定书由本级人民政府制发（《行政执法监督条例》第二十九条）：先签发《关于提请制发"
        "行政执法监督决定书的请示》。",
    )
    d.gateway("gw_request", "同意报请?", 7, 3)
    d.send(
        "send_gov_request",
        "报请本级人民政府",
        8,
        3,
        message="Msg_GovDecisionRequest",
        share_with="${setting('gov_office_unit')}",
        variables={
            "case_no": "${case_no}",
            "doc_subject": "${doc_subject}",
            "facts_reasons": "${facts_reasons}",
            "requirements": "${requirements}",
            "requested_at": "${now()}",
        },
        outputs={"requested_at": "${requested_at}"},
        pool="government",
        doc="发送 Msg_GovDecisionRequest（外部系统经发件箱接收）。",
    )
    d.receive(
        "wait_gov",
        "等待政府决定",
        9,
        3,
        message="Msg_GovDecision",
        pool="government",
        doc="本级人民政府办公室以消息 Msg_GovDecision 答复（变量 gov_decision: approved | "
        "rejected, gov_comment）。",
    )
    d.boundary(
        "gov_reminder",
        "政府决定提醒",
        "wait_gov",
        timer={"date": "${workdays(setting('gov_decision_reminder_workdays'), requested_at)}"},
        doc="T3_7：政府决定不受本机关控制，WD(10) 提醒 [ASSUME]。",
    )
    d.service(
        "remind_gov",
        "提醒跟进政府决定",
        10,
        4,
        handler="raiseAlert",
        fields={"level": "red", "variable": "gov_alert"},
    )
    d.end("end_reminded", "已提醒", 11, 4)
    d.gateway("gw_gov", "政府同意?", 10, 3)
    d.end("end_gov_rejected", "政府未同意制发", 11, 3)
    d.gateway("gw_issue", "", 11, 0)
    d.service(
        "issue",
        "编号并生成文书",
        12,
        0,
        handler="issueDocument",
        doc="§2.5 步骤4–5：按 (机关代字, 文种代字, 年度) 取下一个发文字号（不跳号、不重号），"
        "生成 Word 文书并存入案件。",
    )
    d.user(
        "serve",
        "送达文书",
        13,
        0,
        groups=SUPERVISOR,
        due="${workdays(setting('doc_serve_workdays'))}",
        form=[
            choice(
                "service_method",
                "送达方式",
                [("system", "系统送达并签收"), ("paper", "纸质送达（送达回证）"), ("post", "邮寄")],
                default="system",
            ),
            moment("served_at", "送达时间", required=True, default="${now()}"),
            text("received_by", "签收人", maxlength=50),
        ],
        doc="§2.5 步骤6 送达；步骤7：纠正期限自送达日起算（TS-01）。",
    )
    d.service("record_service", "登记送达、起算纠正期限", 14, 0, handler="recordService")
    d.end("end_served", "文书已送达", 15, 0)

    d.chain("start", "gw_redraft", "draft", "review", "gw_review")
    d.flow("gw_review", "gw_issuer", cond="${review_approved}", name="通过")
    d.flow("gw_review", "gw_redraft", cond="${!review_approved}", name="退回修改")
    d.flow("gw_issuer", "sign", id="Flow_gw_issuer_sign", name="本机关签发")
    d.flow("gw_issuer", "sign_request", cond="${doc_type == 'decision'}", name="决定书")
    d.flow("sign", "gw_sign")
    d.flow("gw_sign", "gw_issue", cond="${sign_approved}", name="签发")
    d.flow("gw_sign", "gw_redraft", cond="${!sign_approved}", name="退回")
    d.flow("sign_request", "gw_request")
    d.flow("gw_request", "send_gov_request", cond="${request_approved}", name="报请")
    d.flow("gw_request", "gw_redraft", cond="${!request_approved}", name="退回")
    d.chain("send_gov_request", "wait_gov", "gw_gov")
    d.flow("gov_reminder", "remind_gov")
    d.flow("remind_gov", "end_reminded")
    d.flow("gw_gov", "gw_issue", cond="${gov_decision == 'approved'}", name="同意")
    d.flow("gw_gov", "end_gov_rejected", cond="${gov_decision != 'approved'}", name="不同意")
    d.chain("gw_issue", "issue", "serve", "record_service", "end_served")
    return d
