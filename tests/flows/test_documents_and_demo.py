"""Documents (content, visibility, voiding), the demo organisation, and handler input checks."""

from __future__ import annotations

import io
import zipfile
from types import SimpleNamespace

import pytest
from sqlalchemy import func
from sqlalchemy import select

from db.models import Group
from db.models import User
from supervision import demo
from supervision import documents
from supervision.errors import InvalidInputError
from supervision.errors import NotAllowedError
from supervision.errors import NotFoundError
from supervision.handlers import cases as case_handlers
from supervision.handlers import evaluation as evaluation_handlers
from supervision.identity import get_user
from supervision.permissions import Role

COMPLAINT = {
    "owner_unit_id": "jdk_510800",
    "case_no": "JD-510800-2026-TS-00077",
    "case_title": "乱检查",
    "target_agency_id": "scjg_510800",
    "hotline_ticket_no": "GY-DOC-1",
    "complaint_text": "多次检查未出示通知",
    "complainant_name": "王丽",
    "complainant_phone": "13900005521",
    "bureau_due_date": "2026-03-13",
}


def docx_text(data: bytes) -> str:
    return zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()


def test_a_transfer_letter_shares_the_complainant_only_when_the_supervisor_chose_to(flows):
    flows.at(2026, 3, 4, 9, 0)
    case = flows.start("document_issuing", "supervisor", {**COMPLAINT, "doc_type": "notice"})
    with flows.runtime.sessions.begin() as s:
        instance = s.get(type(flows.case(case)), case)
        hidden = documents.issue(
            s,
            instance,
            doc_type_code="transfer",
            variables=COMPLAINT,
            signed_by="section_chief",
            actor="section_chief",
        )
        shared = documents.issue(
            s,
            instance,
            doc_type_code="transfer",
            variables={**COMPLAINT, "share_contact": True, "share_contact_reason": "需当面核实"},
            signed_by="section_chief",
            actor="section_chief",
        )
        assert (hidden.doc_no, shared.doc_no) == ("广司监转〔2026〕1号", "广司监转〔2026〕2号")
    with flows.runtime.sessions() as s:
        supervisor = get_user(s, "supervisor")
        _, hidden_file = documents.document_file(s, supervisor, hidden.id)
        _, shared_file = documents.document_file(s, supervisor, shared.id)
    assert "13900005521" not in docx_text(hidden_file) and "依法保密" in docx_text(hidden_file)
    assert "13900005521" in docx_text(shared_file) and "2026-03-13" in docx_text(shared_file)


def test_documents_follow_the_case_visibility_and_a_voided_number_is_never_reused(flows):
    flows.at(2026, 3, 4, 9, 0)
    case = flows.start("document_issuing", "supervisor", {**COMPLAINT, "doc_type": "opinion"})
    with flows.runtime.sessions.begin() as s:
        instance = s.get(type(flows.case(case)), case)
        first = documents.issue(
            s,
            instance,
            doc_type_code="opinion",
            variables=COMPLAINT,
            signed_by="bureau_leader",
            actor="bureau_leader",
        )
        with pytest.raises(InvalidInputError):
            documents.issue(
                s, instance, doc_type_code="memo", variables=COMPLAINT, signed_by="x", actor="x"
            )
    with flows.runtime.sessions() as s:
        with pytest.raises(NotFoundError):  # 利州区 cannot see a city case's documents
            documents.get_document(s, get_user(s, "lz_supervisor"), first.id)
        with pytest.raises(NotAllowedError):  # only chiefs and leaders void
            documents.void(s, get_user(s, "supervisor"), first.id, "写错")
    with flows.runtime.sessions.begin() as s:
        with pytest.raises(InvalidInputError):
            documents.void(s, get_user(s, "section_chief"), first.id, " ")
        voided = documents.void(s, get_user(s, "section_chief"), first.id, "主送单位写错")
        assert voided.status == "void"
        instance = s.get(type(flows.case(case)), case)
        again = documents.issue(
            s,
            instance,
            doc_type_code="opinion",
            variables=COMPLAINT,
            signed_by="bureau_leader",
            actor="bureau_leader",
        )
        assert (first.doc_no, again.doc_no) == ("广司监意〔2026〕1号", "广司监意〔2026〕2号")
        with pytest.raises(InvalidInputError):
            documents.serve(
                s,
                voided,
                served_at=flows.case(case).started_at,
                method=None,
                received_by=None,
                actor="supervisor",
            )
        county = documents.issuing_organ(s, documents.doc_type("opinion"), "jdk_510823")
        assert (county.name, county.doc_code) == (
            "剑阁县司法局（剑阁县人民政府行政执法协调监督局）",
            "剑司",
        )


def test_the_demo_organisation_is_complete_and_seeding_twice_changes_nothing(runtime):
    with runtime.sessions.begin() as s:
        first = demo.seed_demo(s)
    with runtime.sessions.begin() as s:
        second = demo.seed_demo(s)
        groups = s.scalar(select(func.count()).select_from(Group))
        users = s.scalar(select(func.count()).select_from(User))
        assert "0 group(s) and 0 user(s) added" in second
        assert groups == len(demo.demo_groups()) and users == len(demo.demo_users())
        roles = {r for u in s.scalars(select(User)) for r in u.roles}
        assert roles == {r.value for r in Role}  # a demo user for every role
        codes = set(s.scalars(select(Group.code)))
        for region in ("510800", *demo.COUNTIES):
            for suffix in ("", "_chief", "_leader"):
                assert f"jdk_{region}{suffix}" in codes
        bureaus = {g.code for g in s.scalars(select(Group).where(Group.kind == "bureau"))}
        assert {"scjg_510800", "cgzf_510800", "jtzf_510823", "zhzf_510802"} <= bureaus
        assert all(f"{b}_head" in codes for b in bureaus)
        township = s.scalar(select(Group).where(Group.code == "sfs_510802001"))
        assert township.level == "township" and township.region_code.startswith("510802")
    assert "Demo@2026" in first and "| `supervisor` |" in first


def test_handlers_refuse_incomplete_parameters(runtime):
    def ctx(**kw):
        base = {"params": {}, "data": {}, "session": None, "instance": None, "actor": None}
        return SimpleNamespace(**{**base, **kw})

    assert case_handlers.set_defaults(ctx(params={"a": 1, "b": 2}, data={"a": 0})) == {"b": 2}
    with pytest.raises(InvalidInputError):
        case_handlers.send_message(ctx())
    with pytest.raises(InvalidInputError):
        case_handlers.start_related_case(ctx())
    with pytest.raises(InvalidInputError):
        case_handlers.raise_alert(ctx(params={"level": "purple"}))
    with pytest.raises(InvalidInputError):
        evaluation_handlers.record_agency_result(ctx(params={"stage": "self"}))
