"""The case list and the case page: who sees which case and which parts, and the actions."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from db.models import AuditEvent
from db.models import CaseParticipant
from db.models import Comment
from db.models import ProcessInstance
from supervision import cases
from supervision import clock
from tests.factories import user
from tests.web.scenario import NOW
from tests.web.scenario import deploy_review
from tests.web.scenario import open_task
from tests.web.scenario import register_as_major
from tests.web.scenario import start_review

PHONE = "13912345678"


@pytest.fixture
def review(app, runtime):
    clock.freeze(NOW)
    with runtime.sessions.begin() as session:
        deploy_review(session, runtime.engine)
        return start_review(
            session,
            runtime.engine,
            complainant_name="王小明",
            complainant_phone=PHONE,
            complainant_id_no="510802199001011234",
        )


@pytest.fixture
def county_case(app, runtime, review):
    """A case of 昭化区 (510811), started there."""
    with runtime.sessions.begin() as session:
        return start_review(
            session,
            runtime.engine,
            starter="zhaohua1",
            case_no="ZHJD-2026-0003",
            title="昭化区城管执法投诉",
        )


def test_case_page_for_the_region_and_nobody_sideways(login, review, county_case):
    for username in ("sup1", "sup2", "chief", "leader"):
        page = login(username).get(f"/cases/{review}")
        assert page.status_code == 200, username
        assert "市场监管局执法程序投诉" in page.text
    # The city sees its counties' cases; a county sees its own; nobody sees sideways.
    assert login("sup1").get(f"/cases/{county_case}").status_code == 200
    assert login("zhaohua1").get(f"/cases/{county_case}").status_code == 200
    for username, case_id in (("lizhou1", county_case), ("lizhou1", review), ("zhaohua1", review)):
        page = login(username).get(f"/cases/{case_id}")
        assert page.status_code == 404, (username, case_id)
        assert "ZHJD-2026-0003" not in page.text and "市场监管局" not in page.text
    for outsider in ("market1", "operator", "invited1", "evaluator1", "liaison1", "designer"):
        assert login(outsider).get(f"/cases/{review}").status_code == 404, outsider
    assert login("sup1").get("/cases/no-such-case").status_code == 404


def test_case_list_shows_only_readable_cases(login, review, county_case):
    page = login("sup1").get("/cases")
    assert "GYJD-2026-0001" in page.text and "ZHJD-2026-0003" in page.text
    page = login("zhaohua1").get("/cases")
    assert "ZHJD-2026-0003" in page.text and "GYJD-2026-0001" not in page.text
    page = login("lizhou1").get("/cases")
    assert "ZHJD-2026-0003" not in page.text and "GYJD-2026-0001" not in page.text
    found = login("sup1").get("/cases?q=昭化")
    assert "ZHJD-2026-0003" in found.text and "GYJD-2026-0001" not in found.text
    assert login("designer").get("/cases").status_code == 403


def test_case_page_shows_diagram_states_timeline_and_open_tasks(login, runtime, review):
    with runtime.sessions.begin() as session:
        register_as_major(session, runtime.engine, review)
    html = login("sup1").get(f"/cases/{review}").text
    pairs = re.findall(r'class="el el-\w+ state-(\w+)" data-element-id="(\w+)"', html)
    by_element = {element: state for state, element in pairs}
    assert {e for e, s in by_element.items() if s == "active"} == {"finance_review", "legal_review"}
    assert by_element["register"] == "completed"
    assert "发起案件" in html and "签收任务" in html and "完成任务：登记" in html
    assert re.search(r"<dt>类别</dt><dd>重大</dd>", html)
    assert "经费审查" in html and "执法机关核查" in html


def test_personal_data_is_masked_everywhere_and_shown_on_request(login, runtime, review):
    sup = login("sup1")
    html = sup.get(f"/cases/{review}").text
    assert PHONE not in html and "510802199001011234" not in html and "王小明" not in html
    assert "139****5678" in html and "王**" in html
    assert "查看完整的诉求人信息" in html

    shown = sup.post(f"/cases/{review}/personal")
    assert shown.status_code == 200
    assert PHONE in shown.text and "王小明" in shown.text
    with runtime.sessions() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "personal_data_view")
        ).one()
        assert (event.actor, event.instance_id) == ("sup1", review)
    # The timeline records the view, without the data itself.
    html = sup.get(f"/cases/{review}").text
    assert "查看诉求人信息" in html and PHONE not in html


def test_bureaus_see_contact_data_only_when_shared(login, runtime, review):
    with runtime.sessions.begin() as session:
        register_as_major(session, runtime.engine, review)
    market = login("market1")
    page = market.get(f"/cases/{review}")
    assert page.status_code == 200
    assert "查看完整的诉求人信息" not in page.text
    assert market.post(f"/cases/{review}/personal").status_code == 403
    with runtime.sessions.begin() as session:
        instance = session.get(ProcessInstance, review)
        instance.variables = {**instance.variables, "share_contact": True}
    assert market.post(f"/cases/{review}/personal").status_code == 200


def test_bureaus_see_their_own_steps_not_the_supervisors_internal_work(login, runtime, review):
    with runtime.sessions.begin() as session:
        register_as_major(session, runtime.engine, review)
        instance = session.get(ProcessInstance, review)
        cases.add_comment(session, user(session, "sup1"), instance, "内部意见：从严")
        legal = open_task(session, review, "legal_review")
        cases.add_comment(session, user(session, "market1"), instance, "已核查", legal.id)
    html = login("market1").get(f"/cases/{review}").text
    assert "已核查" in html
    assert "内部意见" not in html
    assert "完成任务：登记" not in html  # the supervisors' step and its data
    assert "发起案件" in html
    assert "diagram" in html
    sup_html = login("sup1").get(f"/cases/{review}").text
    assert "内部意见" in sup_html and "完成任务：登记" in sup_html


def test_comment_on_a_case(login, runtime, review):
    sup = login("sup1")
    assert sup.post(f"/cases/{review}/comments", data={"message": ""}).status_code == 400
    assert sup.post(f"/cases/{review}/comments", data={"message": "跟进中"}).status_code == 302
    assert (
        login("lizhou1").post(f"/cases/{review}/comments", data={"message": "x"}).status_code == 404
    )
    with runtime.sessions() as session:
        assert [c.message for c in session.scalars(select(Comment))] == ["跟进中"]


def test_cancel_needs_a_chief_and_a_reason(login, runtime, review):
    assert login("sup1").post(f"/cases/{review}/cancel", data={"reason": "重复"}).status_code == 403
    chief = login("chief")
    empty = chief.post(f"/cases/{review}/cancel", data={"reason": " "})
    assert empty.status_code == 400
    assert "请填写撤销理由" in empty.text
    with runtime.sessions() as session:
        assert session.get(ProcessInstance, review).status == "active"
    assert chief.post(f"/cases/{review}/cancel", data={"reason": "重复投诉"}).status_code == 302
    with runtime.sessions() as session:
        assert session.get(ProcessInstance, review).status == "cancelled"
    assert "已撤销" in chief.get(f"/cases/{review}").text


def test_sharing_lets_an_invited_supervisor_read_the_case(login, runtime, review):
    invited = login("invited1")
    assert invited.get(f"/cases/{review}").status_code == 404
    sup = login("sup1")
    bad = sup.post(f"/cases/{review}/share", data={"target": "group:nope"})
    assert bad.status_code == 400
    assert "请选择要共享的单位" in bad.text
    past = sup.post(
        f"/cases/{review}/share",
        data={"target": "group:invited_supervisors", "expires_on": "2026-11-01"},
    )
    assert past.status_code == 400
    with runtime.sessions() as session:
        assert (
            session.scalars(select(CaseParticipant).where(CaseParticipant.reason == "shared")).all()
            == []
        )
    ok = sup.post(
        f"/cases/{review}/share",
        data={"target": "group:invited_supervisors", "expires_on": "2026-12-31"},
    )
    assert ok.status_code == 302
    assert invited.get(f"/cases/{review}").status_code == 200
    assert (
        login("market1")
        .post(f"/cases/{review}/share", data={"target": "group:city_market"})
        .status_code
        == 403
    )
