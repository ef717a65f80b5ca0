"""Administrator-editable settings: the [ASSUME] values of domain.md, document codes, limits.

Diagrams read them with ${setting('bureau_reply_workdays')}, so a bureau can confirm or
change a deadline without a designer redeploying anything. Every key has a default and a
description here; the `settings` table stores only what an administrator changed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Setting
from supervision import clock


@dataclass(frozen=True)
class SettingSpec:
    default: Any
    description: str
    source: str = "[ASSUME]"


SETTINGS: dict[str, SettingSpec] = {
    # Flow 1 (domain.md §2.1.1)
    "hotline_due_workdays_complaint": SettingSpec(
        15, "12345 投诉举报办结时限（工作日）", "[SRC:S5]"
    ),
    "hotline_due_workdays_consult": SettingSpec(3, "12345 咨询办结时限（工作日）", "[SRC:S5]"),
    "hotline_due_workdays_help": SettingSpec(
        7, "12345 求助/意见建议办结时限（工作日）", "[SRC:S5]"
    ),
    "sign_for_workdays": SettingSpec(1, "签收工单时限（工作日）"),
    "return_request_workdays": SettingSpec(2, "申请退单时限（工作日）", "[CUST:S16]"),
    "screening_workdays_hotline": SettingSpec(3, "受理审查时限：12345工单（工作日）"),
    "screening_workdays_direct": SettingSpec(5, "受理审查时限：直接受理（工作日）", "[CUST:S18]"),
    "transfer_workdays": SettingSpec(1, "受理后制发转办函时限（工作日）"),
    "bureau_reply_workdays": SettingSpec(7, "执法机关核查回复时限（工作日）"),
    "bureau_sign_workdays": SettingSpec(1, "执法机关签收时限（工作日）"),
    "escalation_after_workdays": SettingSpec(5, "逾期后升级督办的间隔（工作日）", "[CUST:S15]"),
    "extension_max_workdays": SettingSpec(5, "执法机关可申请的最长延期（工作日，限一次）"),
    "review_workdays": SettingSpec(2, "审查核查结果时限（工作日）"),
    "supplement_workdays": SettingSpec(3, "退回补充核查时限（工作日）"),
    "callback_workdays": SettingSpec(2, "热线回访时限（工作日）", "[CUST:S17]"),
    "rehandle_workdays": SettingSpec(10, "重办时限（工作日）"),
    "archive_workdays": SettingSpec(5, "办结归档时限（工作日）"),
    "vertical_notice_workdays": SettingSpec(5, "函告垂直管理机构上级时限（工作日）"),
    "hotline_warning_workdays": SettingSpec(2, "12345时限预警提前量（工作日）"),
    # Flow 2
    "eval_plan_workdays": SettingSpec(15, "拟定评估方案时限（工作日）"),
    "eval_self_assessment_workdays": SettingSpec(10, "自评报送时限（工作日）"),
    "eval_fieldwork_workdays": SettingSpec(40, "评估实施窗口（工作日）"),
    "eval_review_workdays": SettingSpec(5, "初审报告时限（工作日）"),
    "eval_objection_workdays": SettingSpec(10, "异议期（工作日）"),
    "eval_recheck_workdays": SettingSpec(5, "复核时限（工作日）"),
    "eval_final_workdays": SettingSpec(5, "定稿审定时限（工作日）"),
    "eval_rectification_caldays": SettingSpec(30, "整改时限（日）"),
    "eval_acceptance_workdays": SettingSpec(10, "整改验收时限（工作日）"),
    # Flow 3
    "lead_register_workdays": SettingSpec(1, "线索登记时限（工作日）"),
    "assessment_workdays": SettingSpec(3, "初步研判时限（工作日）"),
    "opening_workdays": SettingSpec(2, "立案审批时限（工作日）"),
    "team_workdays": SettingSpec(3, "组成调查组时限（工作日）"),
    "investigation_workdays": SettingSpec(30, "调查期限（工作日）"),
    "investigation_extension_workdays": SettingSpec(30, "调查延期（工作日，限一次）"),
    "collective_review_workdays": SettingSpec(5, "集体研究时限（工作日）"),
    "urge_letter_correction_workdays": SettingSpec(15, "督办函纠正时限（工作日）"),
    "opinion_correction_caldays": SettingSpec(30, "意见书/决定书纠正时限（日）"),
    "objection_caldays": SettingSpec(10, "异议期（日）", "[CUST:S32]"),
    "objection_answer_workdays": SettingSpec(10, "异议答复时限（工作日）"),
    "verification_workdays": SettingSpec(10, "复查整改时限（工作日）"),
    "close_feedback_workdays": SettingSpec(5, "结案反馈时限（工作日）"),
    "gov_decision_reminder_workdays": SettingSpec(10, "报请决定书提醒（工作日）"),
    # Flow 4
    "criminal_referral_days_mode": SettingSpec(
        "calendar", "行刑衔接期限计算方式：calendar / calendar_roll / working", "[ASSUME] §5.4"
    ),
    "order_transfer_days": SettingSpec(3, "责令限期移送期限（日）"),
    "lead_assemble_workdays": SettingSpec(5, "线索整理时限（工作日）"),
    "lead_approval_workdays": SettingSpec(3, "线索移送审批时限（工作日）"),
    "lead_receipt_reminder_workdays": SettingSpec(3, "纪检签收提醒（工作日）"),
    "discipline_feedback_reminder_caldays": SettingSpec(90, "纪检反馈提醒周期（日）"),
    "referral_close_workdays": SettingSpec(5, "监督复核与归档时限（工作日）"),
    # Observations (§2.6)
    "observation_triage_workdays": SettingSpec(3, "监督员意见登记研判时限（工作日）"),
    "observation_answer_workdays": SettingSpec(15, "执法机关答复监督员意见时限（工作日）"),
    "observation_feedback_workdays": SettingSpec(5, "反馈监督员时限（工作日）"),
    # Numbering (§4)
    "case_number_format": SettingSpec(
        "JD-{region}-{year}-{type}-{serial:05d}", "案件编号格式（见 docs/numbering.md）"
    ),
    "doc_agency_code": SettingSpec("广司", "发文机关代字（须向市司法局办公室核实）"),
    "deadline_end_of_day": SettingSpec("23:59:59", "期限当日截止时间（如 17:30 为下班时间）"),
    # Flows: further [ASSUME] limits and the organisation's defaults (issue 4)
    "default_owner_unit": SettingSpec(
        "jdk_510800", "无法确定主管机构时的默认监督机构（组代码，默认市司法局监督科）"
    ),
    "gov_office_unit": SettingSpec("zfb_510800", "制发决定书的本级人民政府办公室（组代码）"),
    "doc_type_codes": SettingSpec(
        {}, '文种代字覆盖（如 {"opinion": "监意"}，见 docs/numbering.md）'
    ),
    "direct_reply_workdays": SettingSpec(15, "直接受理件答复诉求人的内部时限（工作日）"),
    "site_visit_workdays": SettingSpec(3, "司法所协助实地核查时限（工作日）"),
    "callback_wait_workdays": SettingSpec(5, "反馈12345后等待回访结果的时限（工作日）"),
    "bureau_files_workdays": SettingSpec(5, "执法机关提供调阅案卷材料时限（工作日）"),
    "doc_draft_workdays": SettingSpec(2, "起草监督文书时限（工作日）"),
    "doc_review_workdays": SettingSpec(1, "科长审核文书时限（工作日）"),
    "doc_sign_workdays": SettingSpec(1, "局领导签发文书时限（工作日）"),
    "doc_serve_workdays": SettingSpec(2, "文书送达时限（工作日）"),
    "suggestion_reply_caldays": SettingSpec(15, "建议书回复时限（日）", "[CUST:S32]"),
    "eval_procurement_caldays": SettingSpec(45, "委托第三方评估机构时限（日）"),
    "evaluator_access_grace_days": SettingSpec(30, "评估员账号在合同期满后保留天数"),
    # Messages from outside
    "pending_message_ttl_days": SettingSpec(30, "未能匹配的外部消息保留天数"),
}


RECHECK_SECONDS = 5.0


class _Cache:
    """Settings per database, re-checked at most every few seconds.

    Every engine operation reads the settings; checking the table each time cost a query
    per step of every case. A change made in this process clears the cache at once;
    other processes pick it up within RECHECK_SECONDS.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._checked = 0.0
        self._values: dict[str, Any] = {}

    def get(self, session: Session) -> Mapping[str, Any]:
        if session.info.get(_WRITING) is not None and (
            session.info[_WRITING] is session.get_transaction()
        ):
            # Changed in this (uncommitted) transaction: its own view, not shared.
            return _load(session)
        url = str(session.get_bind().url)
        with self._lock:
            if (
                self._key is not None
                and self._key[0] == url
                and time.monotonic() - self._checked < RECHECK_SECONDS
            ):
                return dict(self._values)
        version = session.execute(
            select(func.count(Setting.key), func.max(Setting.updated_at))
        ).one()
        key = (url, tuple(version))
        with self._lock:
            if key != self._key:
                self._values = _load(session)
                self._key = key
            self._checked = time.monotonic()
            return dict(self._values)

    def clear(self) -> None:
        with self._lock:
            self._key = None


def _load(session: Session) -> dict[str, Any]:
    values = {k: s.default for k, s in SETTINGS.items()}
    for row in session.scalars(select(Setting)):
        values[row.key] = row.value
    return values


_WRITING = "supervision.settings.writing"
settings_cache = _Cache()


def get_settings(session: Session) -> Mapping[str, Any]:
    return settings_cache.get(session)


def set_setting(session: Session, key: str, value: Any, actor: str) -> None:
    if key not in SETTINGS:
        raise KeyError(f"unknown setting {key!r}")
    expected = type(SETTINGS[key].default)
    if expected is int and isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if not isinstance(value, expected) or isinstance(value, bool) != isinstance(
        SETTINGS[key].default, bool
    ):
        raise ValueError(f"{key} must be a {expected.__name__}")
    row = session.get(Setting, key)
    if row is None:
        row = Setting(key=key, value=value, description=SETTINGS[key].description)
        session.add(row)
    row.value = value
    row.updated_by = actor
    row.updated_at = clock.now()
    mark_changed(session)


def mark_changed(session: Session) -> None:
    """Call after changing the settings table: this transaction sees its own values at
    once, other sessions of this process after the next check of the table."""
    session.info[_WRITING] = session.get_transaction()
    settings_cache.clear()
