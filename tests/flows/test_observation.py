"""Observations of invited supervisors: the service (file, list, see the reply) and every
route of the observation process."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlalchemy import select

from db.models import Observation
from db.models import ProcessInstance
from supervision import attachments
from supervision import identity
from supervision import observations
from supervision.errors import FormInvalidError
from supervision.errors import InvalidInputError
from supervision.errors import NotAllowedError
from supervision.errors import NotFoundError
from supervision.identity import get_user

SEEN = {
    "observed_at": "2026-06-02T10:30:00+08:00",
    "location": "利州区东坝农贸市场",
    "agency_id": "scjg_510800",
    "officers": "执法人员二名（未见证件）",
    "observation_text": "执法人员检查摊位时未出示执法证件，态度生硬。",
    "suggestion": "加强执法人员亮证、文明执法培训。",
}


def file(flows, username="special_supervisor", **fields) -> int:
    with flows.runtime.sessions.begin() as s:
        return observations.file_observation(
            s, flows.engine, get_user(s, username), {**SEEN, **fields}
        ).id


def case_of(flows, observation_id: int) -> str:
    with flows.runtime.sessions() as s:
        return s.get(Observation, observation_id).instance_id


def count(flows, model) -> int:
    with flows.runtime.sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_filing_checks_who_and_what_and_writes_nothing_when_refused(flows):
    flows.at(2026, 6, 2, 11, 0)
    with flows.runtime.sessions.begin() as s, pytest.raises(NotAllowedError):
        observations.file_observation(s, flows.engine, get_user(s, "bureau_handler"), SEEN)
    with flows.runtime.sessions.begin() as s, pytest.raises(FormInvalidError) as refused:
        observations.file_observation(
            s, flows.engine, get_user(s, "special_supervisor"), {**SEEN, "location": ""}
        )
    assert set(refused.value.errors) == {"location"}
    with flows.runtime.sessions.begin() as s, pytest.raises(InvalidInputError):
        observations.file_observation(
            s,
            flows.engine,
            get_user(s, "special_supervisor"),
            SEEN,
            uploads=[attachments.Upload("photo.png", b"not a png")],
        )
    assert count(flows, Observation) == 0 and count(flows, ProcessInstance) == 0

    observation_id = file(flows)
    case = case_of(flows, observation_id)
    instance = flows.case(case)
    assert instance.case_no == "JD-510800-2026-GC-00001"
    assert instance.definition_key == "observation"
    assert flows.task(case, "triage").candidate_groups == ["jdk_510800"]
    with flows.runtime.sessions.begin() as s:
        identity.create_user(
            s,
            "other_invited",
            password="other-pass-1",
            roles=["special_supervisor"],
            groups=["tyjd_510800"],
        )
    with flows.runtime.sessions() as s:
        mine = observations.my_observations(s, get_user(s, "special_supervisor"))
        assert [o.id for o in mine] == [observation_id] and mine[0].status == "submitted"
        assert observations.my_observations(s, get_user(s, "other_invited")) == []
        with pytest.raises(NotFoundError):
            observations.get_observation(s, get_user(s, "other_invited"), observation_id)
        assert observations.get_observation(s, get_user(s, "supervisor"), observation_id).text


def triage(flows, case, routing, **extra):
    flows.complete(
        "supervisor",
        case,
        "triage",
        {"agency_id": "scjg_510800", "routing": routing, "assessment": "研判", **extra},
    )


def feedback_and_rating(flows, observation_id, case, text="已处理"):
    flows.complete("supervisor", case, "feedback", {"feedback_text": text})
    with flows.runtime.sessions() as s:
        seen = observations.get_observation(s, get_user(s, "special_supervisor"), observation_id)
        assert seen.reply_text == text and seen.status == "replied"
    flows.complete(
        "special_supervisor", case, "rate_feedback", {"supervisor_satisfaction": "satisfied"}
    )
    assert flows.case(case).case_status == "OBS_CLOSED"
    with flows.runtime.sessions() as s:
        assert s.get(Observation, observation_id).status == "closed"


def test_a_general_suggestion_is_answered_by_the_bureau_within_its_deadline(flows):
    flows.at(2026, 6, 2, 11, 0)
    observation_id = file(flows)
    case = case_of(flows, observation_id)
    triage(flows, case, "general_suggestion")
    answer = flows.task(case, "bureau_answer")
    assert answer.candidate_groups == ["scjg_510800"]
    assert answer.due_at.date().isoformat() == "2026-06-24"  # WD(15), 端午 06-19 skipped
    flows.complete("bureau_handler", case, "bureau_answer", {"answer_text": "初稿"})
    flows.complete("bureau_head", case, "approve_answer", {"answer_approved": False})
    flows.complete("bureau_handler", case, "bureau_answer", {"answer_text": "已组织亮证培训"})
    flows.complete("bureau_head", case, "approve_answer", {"answer_approved": True})
    feedback_and_rating(flows, observation_id, case, "执法机关已组织亮证培训")


def test_major_complaint_crime_and_misconduct_routes(flows):
    flows.at(2026, 6, 2, 11, 0)
    major_obs = file(flows)
    major = case_of(flows, major_obs)
    triage(flows, major, "major", invite_filer=True)
    (lead,) = flows.children(major)
    assert lead.definition_key == "major_case_supervision"
    assert lead.variables["invitees"] == "special_supervisor"
    flows.complete(
        "supervisor",
        lead.id,
        "register_lead",
        {
            "lead_source": "invited_supervisor",
            "respondent_agency_id": "scjg_510800",
            "act_description": "未亮证",
        },
    )
    flows.complete(
        "supervisor",
        lead.id,
        "assess",
        {"is_major": False, "assessment": "一般问题，已存档", "not_major_handling": "close"},
    )
    # Flow 3's outcome came back to the observation, which now gives feedback.
    assert flows.var(major, "lead_case_status") == "P3_NOT_MAJOR"
    assert flows.case(major).case_no == "JD-510800-2026-GC-00001"
    feedback_and_rating(flows, major_obs, major, "经研判属一般问题")

    complaint_obs = file(flows)
    complaint = case_of(flows, complaint_obs)
    triage(flows, complaint, "specific_complaint")
    (intake,) = flows.children(complaint)
    assert intake.definition_key == "complaint_intake"
    assert intake.variables["source_channel"] == "invited_supervisor"
    assert "screening" in flows.tasks(intake.id)  # direct intake: screened without sign-for
    feedback_and_rating(flows, complaint_obs, complaint)

    crime_obs = file(flows)
    crime = case_of(flows, crime_obs)
    triage(flows, crime, "crime")
    flows.complete(
        "supervisor",
        crime,
        "assess_criminal",
        {
            "target_agency_id": "scjg_510800",
            "party_name": "某商户",
            "suspected_offence": "某罪",
            "bureau_transferred": True,
        },
    )
    flows.complete(
        "bureau_handler",
        crime,
        "task_force",
        {
            "task_force": "甲、乙",
            "report_summary": "报告",
            "report_submitted_at": "2026-06-03T09:00:00+08:00",
        },
    )
    flows.complete(
        "bureau_head",
        crime,
        "head_decision",
        {"head_decision": "reject", "head_decided_at": "2026-06-03T10:00:00+08:00"},
    )
    flows.complete(
        "supervisor",
        crime,
        "review_rejection",
        {"rejection_accepted": True, "rejection_review": "理由成立"},
    )
    assert flows.var(crime, "referral_status") == "CRIM_NOT_APPROVED_REASON_RECORDED"
    feedback_and_rating(flows, crime_obs, crime)

    misconduct_obs = file(flows)
    misconduct = case_of(flows, misconduct_obs)
    triage(flows, misconduct, "misconduct")
    flows.complete(
        "supervisor",
        misconduct,
        "assemble_lead",
        {
            "lead_persons": "某执法人员",
            "misconduct_type": "abuse_of_power",
            "facts_summary": "事实",
            "recipient_unit": "jw_510800",
        },
    )
    flows.complete(
        "section_chief", misconduct, "approve_lead_chief", {"lead_chief_approved": False}
    )
    flows.complete(
        "bureau_leader", misconduct, "approve_lead_leader", {"lead_leader_approved": False}
    )
    feedback_and_rating(flows, misconduct_obs, misconduct)
