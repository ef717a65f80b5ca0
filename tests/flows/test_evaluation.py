"""Flow 2 第三方评估 (third_party_evaluation): TS-08 across the year end and every branch."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from uuid import UUID

from sqlalchemy import select

from db.models import Incident
from db.models import OpenTask
from db.models import ProcessInstance
from supervision import authz
from supervision import identity
from supervision.identity import get_user
from tests.flows.conftest import local

UNITS = ["scjg_510800", "sthj_510800", "jtys_510800", "cgzf_510800", "zrzy_510800", "yjgl_510800"]
SCORES = {
    "sampled_files": 20,
    "failed_files": 0,
    "file_score": 92,
    "satisfaction_score": 90,
    "institution_score": 95,
    "field_score": 90,
}


def end_of_day(year, month, day):
    return local(year, month, day, 23, 59, 59).astimezone(UTC)


def unit_users(flows) -> None:
    """A handler and a head for each evaluated unit (the demo has them for 市场监管局 only)."""
    with flows.runtime.sessions.begin() as s:
        for unit in UNITS[1:]:
            identity.create_user(
                s,
                f"{unit}_handler",
                password="unit-pass-1",
                roles=["bureau_handler"],
                groups=[unit],
            )
            identity.create_user(
                s,
                f"{unit}_head",
                password="unit-pass-1",
                roles=["bureau_head"],
                groups=[unit, f"{unit}_head"],
            )


def handler_of(unit):
    return "bureau_handler" if unit == "scjg_510800" else f"{unit}_handler"


def head_of(unit):
    return "bureau_head" if unit == "scjg_510800" else f"{unit}_head"


def instances(flows, case, spec_id):
    """The open instances of a multi-instance step, by evaluated unit (its item `target`)."""
    with flows.runtime.sessions() as s:
        rows = s.scalars(
            select(OpenTask).where(OpenTask.instance_id == case, OpenTask.task_spec_id == spec_id)
        ).all()
        workflow = flows.engine._load(s, s.get(ProcessInstance, case))
        return {
            workflow.get_task_from_id(UUID(row.id)).data["target"]["agency"]: row for row in rows
        }


def complete_id(flows, username, case, task_id, values):
    from supervision import cases

    with flows.runtime.sessions.begin() as s:
        cases.complete_task(s, flows.engine, get_user(s, username), task_id, values)
    flows.round_trip(case)


def start_project(flows, units=UNITS, feeds_city=False, plan_ok=True) -> str:
    case = flows.start_form(
        "third_party_evaluation",
        "supervisor",
        {
            "eval_year": 2026,
            "period_from": "2025-07-01",
            "period_to": "2026-06-30",
            "case_title": "2026年度行政执法效能第三方评估",
        },
    )
    assert flows.case(case).case_no == "JD-510800-2026-PG-00001"
    flows.complete(
        "supervisor",
        case,
        "draft_plan",
        {
            "target_agency_list": ",".join(units),
            "indicator_set": "案卷评查、满意度、制度、实地",
            "weight_file_review": 40,
            "weight_satisfaction": 30,
            "weight_institution": 20,
            "weight_field": 10,
            "sample_size": 20,
            "feeds_city_assessment": feeds_city,
        },
    )
    flows.complete("section_chief", case, "review_plan", {"plan_reviewed": True})
    flows.complete("bureau_leader", case, "approve_plan", {"plan_approved": plan_ok})
    return case


def procure(flows, case, contract_to="2026-12-31"):
    flows.complete(
        "supervisor",
        case,
        "publish_standards",
        {"publication": "广元市司法局网站", "published_on": "2026-08-20"},
    )
    flows.complete(
        "supervisor",
        case,
        "procure",
        {
            "evaluator_org": "pg_510800_01",
            "contract_no": "GYSF-2026-PG-01",
            "contract_from": "2026-08-25",
            "contract_to": contract_to,
        },
    )


def self_assess(flows, case, units):
    open_ = instances(flows, case, "self_task")
    assert set(open_) == set(units)
    for unit, task in open_.items():
        complete_id(
            flows,
            handler_of(unit),
            case,
            task.id,
            {"self_report": f"{unit}自评", "case_catalogue": "目录"},
        )


def score(flows, case, spec_id, scores_by_unit):
    for unit, task in instances(flows, case, spec_id).items():
        complete_id(flows, "evaluator", case, task.id, scores_by_unit.get(unit, SCORES))


def test_ts08_annual_evaluation_with_an_objection_into_2027(flows):
    """TS-08: six city bureaus, 市交通运输局 objects, grades recomputed, 2027 fails loudly."""
    unit_users(flows)
    flows.at(2026, 8, 10, 9, 0)
    case = start_project(flows)
    flows.at(2026, 9, 1, 9, 0)
    procure(flows, case)
    with flows.runtime.sessions() as s:
        evaluator = get_user(s, "evaluator")
        # Evaluator accounts expire with the contract (plus the configured grace period).
        assert evaluator.valid_until == datetime(2027, 1, 31, 0, 0, tzinfo=local(2027, 1, 1).tzinfo)
        assert authz.can_read_case(s, evaluator, s.get(ProcessInstance, case))
    # The notice goes out once the evaluator is provisioned; units assess themselves in WD(10).
    assert flows.outbox("Msg_EvalNotice")
    tasks = instances(flows, case, "self_task")
    assert {t.due_at for t in tasks.values()} == {end_of_day(2026, 9, 15)}
    flows.at(2026, 9, 15, 9, 0)
    self_assess(flows, case, UNITS)
    assert flows.task(case, "fieldwork").due_at == end_of_day(2026, 11, 16)  # WD(40)
    flows.complete("evaluator", case, "fieldwork", {"fieldwork_record": "完成", "survey_n": 600})
    flows.complete(
        "special_supervisor", case, "invited_opinion", {"invited_opinion_text": "建议加强亮证"}
    )
    flows.at(2026, 11, 16, 9, 0)
    score(
        flows,
        case,
        "score_task",
        {
            "jtys_510800": {
                **SCORES,
                "failed_files": 3,
                "file_score": 50,
                "satisfaction_score": 60,
                "institution_score": 60,
                "field_score": 60,
            },
            "yjgl_510800": {
                **SCORES,
                "failed_files": 6,
                "file_score": 40,
                "satisfaction_score": 50,
                "institution_score": 50,
                "field_score": 50,
                "issue_list": "制度缺失",
            },
        },
    )
    grades = {t["agency"]: t["grade"] for t in flows.var(case, "eval_targets")}
    assert grades["jtys_510800"] == "不合格" and grades["scjg_510800"] == "优秀"
    flows.complete("evaluator", case, "draft_report", {"draft_report_summary": "初稿"})
    flows.complete("section_chief", case, "review_draft", {"draft_review": "同意征求意见"})
    consult = instances(flows, case, "consult_task")
    flows.at(2026, 11, 30, 9, 0)
    assert {t.due_at for t in consult.values()} == {end_of_day(2026, 11, 30)}  # WD(10)
    for unit, task in consult.items():
        values = {"has_objection": unit == "jtys_510800"}
        if unit == "jtys_510800":
            values["objection_text"] = "3份案卷“未使用统一文书”属卷面问题，不应判为不合格卷"
        complete_id(flows, head_of(unit), case, task.id, values)
    (recheck,) = instances(flows, case, "recheck_task").values()
    assert recheck.due_at == end_of_day(2026, 12, 7)  # WD(5) from the objection on 11-30
    complete_id(
        flows,
        "evaluator",
        case,
        recheck.id,
        {
            **SCORES,
            "failed_files": 1,
            "file_score": 75,
            "satisfaction_score": 60,
            "institution_score": 60,
            "field_score": 60,
            "recheck_note": "2份改判合格",
        },
    )
    targets = {t["agency"]: t for t in flows.var(case, "eval_targets")}
    assert (
        targets["jtys_510800"]["grade"] == "合格" and targets["jtys_510800"]["total_score"] == 66.0
    )
    flows.complete("section_chief", case, "rule_objections", {"objection_ruling": "维持复核结果"})
    flows.at(2026, 12, 15, 9, 0)
    flows.complete("bureau_leader", case, "finalize", {"final_report_summary": "终稿"})
    bulletin = [d for d in flows.documents(case) if d.doc_type == "bulletin"][0]
    assert bulletin.doc_no == "广司监报〔2026〕1号"
    # Rectification for the failing unit: CD(30) runs into 2027 and may be shown ...
    (rectify,) = instances(flows, case, "rectify").values()
    assert rectify.due_at == end_of_day(2027, 1, 14)
    flows.at(2027, 1, 10, 9, 0)
    complete_id(flows, "yjgl_510800_handler", case, rectify.id, {"rectification_report": "已整改"})
    # ... but a working-day deadline in 2027 cannot be computed: it fails loudly.
    with flows.runtime.sessions() as s:
        incidents = s.scalars(select(Incident).where(Incident.instance_id == case)).all()
        (incident,) = [i for i in incidents if i.activity_id == "accept_rectification"]
        assert "workdays" in incident.message  # the administrator sees what cannot be computed


def test_government_approval_loops_no_objection_rectified_and_every_follow_up(flows):
    unit_users(flows)
    flows.at(2026, 3, 2, 9, 0)
    units = ["scjg_510800", "sthj_510800"]
    case = start_project(flows, units, feeds_city=True, plan_ok=False)
    flows.complete(
        "supervisor",
        case,
        "draft_plan",
        {
            "target_agency_list": ",".join(units),
            "indicator_set": "指标",
            "weight_file_review": 40,
            "weight_satisfaction": 30,
            "weight_institution": 20,
            "weight_field": 10,
            "sample_size": 10,
            "feeds_city_assessment": True,
        },
    )
    flows.complete("section_chief", case, "review_plan", {"plan_reviewed": True})
    flows.complete("bureau_leader", case, "approve_plan", {"plan_approved": True})
    assert flows.outbox("Msg_EvalPlanApproval")
    flows.message("Msg_EvalPlanApproved", case, {"gov_comment": "同意"}, "gov_liaison")
    procure(flows, case)
    self_assess(flows, case, units)
    flows.complete("evaluator", case, "fieldwork", {"fieldwork_record": "完成"})
    flows.complete("special_supervisor", case, "invited_opinion", {"invited_opinion_text": "无"})
    score(
        flows,
        case,
        "score_task",
        {"sthj_510800": {**SCORES, "needs_rectification": True, "issue_list": "裁量基准未更新"}},
    )
    flows.complete("evaluator", case, "draft_report", {"draft_report_summary": "初稿"})
    flows.complete("section_chief", case, "review_draft", {"draft_review": "同意"})
    for unit, task in instances(flows, case, "consult_task").items():
        complete_id(flows, head_of(unit), case, task.id, {"has_objection": False})
    assert "recheck_task" not in flows.tasks(case)
    flows.complete(
        "bureau_leader",
        case,
        "finalize",
        {
            "final_report_summary": "终稿",
            "follow_up_opinion": True,
            "opinion_agency": "sthj_510800",
            "follow_up_major": True,
            "follow_up_referral": True,
            "referral_kind": "DISCIPLINE",
            "referral_agency": "sthj_510800",
        },
    )
    (rectify,) = instances(flows, case, "rectify").values()
    complete_id(flows, "sthj_510800_handler", case, rectify.id, {"rectification_report": "已更新"})
    flows.complete(
        "supervisor",
        case,
        "accept_rectification",
        {"acceptance_result": "passed", "acceptance_note": "验收通过"},
    )
    flows.issue_document(
        case,
        {
            "doc_type": "opinion",
            "doc_subject": "裁量基准",
            "addressee_id": "sthj_510800",
            "facts_reasons": "未更新",
            "legal_basis": "条例第二十八条",
            "requirements": "更新",
        },
        served_at="2026-03-10T09:00:00+08:00",
    )
    flows.complete(
        "supervisor",
        case,
        "assemble_lead",
        {
            "lead_persons": "某人",
            "misconduct_type": "other",
            "facts_summary": "事实",
            "recipient_unit": "jw_510800",
        },
    )
    flows.complete("section_chief", case, "approve_lead_chief", {"lead_chief_approved": False})
    flows.complete("bureau_leader", case, "approve_lead_leader", {"lead_leader_approved": False})
    leads = [c for c in flows.children(case) if c.definition_key == "major_case_supervision"]
    assert leads and leads[0].variables["lead_source"] == "evaluation"
    flows.complete("supervisor", case, "close_project", {"archive_no": "PG-2026-1"})
    done = flows.case(case)
    assert done.status == "completed" and done.case_status == "EVAL_CLOSED"
    assert done.variables["eval_referral_status"] == "DISC_NOT_APPROVED"
