"""Things every supervision flow shares: who does what, and common form fields."""

from __future__ import annotations

from tools.bpmn_builder import area
from tools.bpmn_builder import choice
from tools.bpmn_builder import day
from tools.bpmn_builder import flag
from tools.bpmn_builder import group
from tools.bpmn_builder import text

# Candidate groups come from case data (docs/designer-guide.md "Groups"): the owning
# supervision body, its chiefs and leaders; the bureau a case was sent to and its head.
SUPERVISOR = "${owner_unit_id}"
CHIEF = "${owner_unit_id}_chief"
LEADER = "${owner_unit_id}_leader"
BUREAU = "${target_agency_id}"
BUREAU_HEAD = "${target_agency_id}_head"

SOURCE_CHANNELS = [
    ("hotline_phone", "12345电话"),
    ("hotline_web", "12345网站"),
    ("app", "APP"),
    ("letter", "来信"),
    ("visit", "来访"),
    ("invited_supervisor", "特邀监督员"),
    ("superior", "上级交办"),
    ("other", "其他"),
]
REQUEST_TYPES = [
    ("complaint", "投诉"),
    ("report", "举报"),
    ("consult", "咨询"),
    ("help", "求助"),
    ("suggestion", "意见建议"),
]
ACT_TYPES = [
    ("licensing", "行政许可"),
    ("penalty", "行政处罚"),
    ("coercion", "行政强制"),
    ("inspection", "行政检查"),
    ("expropriation", "行政征收征用"),
    ("benefit", "行政给付"),
    ("other", "其他"),
]
ISSUE_TYPES = [
    ("subject", "主体资格"),
    ("procedure", "程序违法"),
    ("decision", "决定违法或明显不当"),
    ("case_not_opened", "有案不立"),
    ("buck_passing", "推诿扯皮"),
    ("fine_instead_of_regulate", "以罚代管"),
    ("cross_region", "违规异地执法"),
    ("profit_driven", "趋利性执法"),
    ("arbitrary_fees", "乱收费"),
    ("arbitrary_fines", "乱罚款"),
    ("arbitrary_inspections", "乱检查"),
    ("arbitrary_seizures", "乱查封"),
    ("uncivil", "不文明执法"),
    ("credentials", "证件装备着装"),
]
FINDINGS = [
    ("true", "属实"),
    ("partly", "部分属实"),
    ("false", "不属实"),
    ("unverifiable", "无法核实"),
]
REPLY_METHODS = [("phone", "电话"), ("written", "书面"), ("sms", "短信"), ("hotline", "经12345")]
CORRECTION_DOC_TYPES = [
    ("opinion", "行政执法监督意见书（违法或明显不当）"),
    ("urge", "行政执法监督督办函（应履行未履行）"),
    ("reminder_letter", "提醒函（一般问题）"),
    ("suggestion", "行政执法监督建议书（制度性问题）"),
]


def intake_fields():
    """The intake fields of domain.md §2.1.3 (same ids as supervision.intake.INTAKE_FORM)."""
    return [
        text("hotline_ticket_no", "工单编号（12345工单必填）", maxlength=64),
        choice("source_channel", "来源渠道", SOURCE_CHANNELS, default="letter"),
        choice("request_type", "诉求类型", REQUEST_TYPES, default="complaint"),
        text("case_title", "标题", required=True, maxlength=200),
        flag("is_anonymous", "是否匿名"),
        text("complainant_name", "诉求人姓名", maxlength=50),
        text("complainant_phone", "联系电话", maxlength=20),
        text("complainant_address", "联系地址", maxlength=200),
        flag("confidentiality_requested", "是否要求保密", default="true"),
        flag("callback_consent", "是否同意回访"),
        group("respondent_agency_id", "被投诉执法机关", kind="bureau"),
        choice("act_type", "执法行为类别", ACT_TYPES, required=False),
        choice("issue_type", "问题类型", ISSUE_TYPES, required=False),
        day("incident_date", "事发时间"),
        text("incident_location", "事发地点", maxlength=200),
        area("complaint_text", "诉求内容", required=True, maxlength=5000),
        area("requested_outcome", "诉求事项", maxlength=2000),
    ]
